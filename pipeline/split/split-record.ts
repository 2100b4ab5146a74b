/**
 * What a run records about its train/test split, in the Preprocess output and in the model
 * bundle, so that a later run can tell which of its own test rows that model may have trained
 * on (Evaluate compares champion and challenger only on rows neither trained on).
 */
import { createHash } from "node:crypto";
import type { Column, Frame } from "../data/frame.ts";
import { canonicalNumber } from "../features/values.ts";
import { HASH_SPLIT_SCHEME, KeyDigester, keyDigestInto, WordDigester } from "./hash-split.ts";

/** What a row's split key is: the entity id, or the row's content (every column but the target). */
export type SplitKey =
  | { kind: "id"; column: string }
  | {
      kind: "content";
      /** SHA-256 of the hashed column names in order: other columns make other keys. */
      columnsSha256: string;
      columnCount: number;
    };

export type SplitRecord =
  | {
      strategy: "stratified" | "random";
      /** `HASH_SPLIT_SCHEME` when the split was made. */
      scheme: number;
      seed: number;
      testFraction: number;
      key: SplitKey;
    }
  | {
      strategy: "time";
      column: string;
      testFraction: number;
      /** The latest time on the training side (epoch ms when `unit` is `date`). */
      trainUntil: number;
      /** The earliest time on the test side. */
      testFrom: number;
      unit: "number" | "date";
      key: SplitKey;
    };

/**
 * One key text per row. Ids are keyed as text; content keys are the JSON list of the cells
 * (numbers in canonical form, categorical cells as their text, missing as null) over the
 * non-target columns sorted by name, so column order in the file does not matter.
 */
export function rowKeys(
  frame: Frame,
  options: { idColumn: string | null; target: string },
): { keys: string[]; key: SplitKey } {
  if (options.idColumn !== null) {
    const col = frame.columns.find((c) => c.name === options.idColumn);
    if (col) {
      const text = cellTexts(col);
      return {
        keys: text.map((t) => `id\u0000${t ?? ""}`),
        key: { kind: "id", column: options.idColumn },
      };
    }
  }
  const cols = frame.columns
    .filter((c) => c.name !== options.target)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const texts = cols.map(cellTexts);
  const keys = Array.from({ length: frame.rowCount }, (_, r) =>
    JSON.stringify(texts.map((t) => t[r])),
  );
  const names = JSON.stringify(cols.map((c) => c.name));
  return {
    keys,
    key: {
      kind: "content",
      columnsSha256: createHash("sha256").update(names).digest("hex"),
      columnCount: cols.length,
    },
  };
}

/**
 * Every row's key digest under a hash split scheme (hash-split.ts `HASH_SPLIT_SCHEME`). In
 * scheme 1 that is `keyDigests(rowKeys(…).keys)`, making each key text only while it is
 * hashed: the texts of a million wide rows would take gigabytes.
 */
export function rowKeyDigests(
  frame: Frame,
  options: { idColumn: string | null; target: string },
  scheme: number = HASH_SPLIT_SCHEME,
): { digests: Uint32Array; key: SplitKey } {
  if (scheme !== 1 && scheme !== 2) {
    throw new RangeError(`unknown hash split scheme ${scheme}: this Orchard knows 1 and 2`);
  }
  const digests = new Uint32Array(frame.rowCount * 2);
  const id =
    options.idColumn === null ? undefined : frame.columns.find((c) => c.name === options.idColumn);
  if (id) {
    for (let r = 0; r < frame.rowCount; r++)
      keyDigestInto(digests, r, `id\u0000${cellText(id, r) ?? ""}`);
    return { digests, key: { kind: "id", column: options.idColumn as string } };
  }
  const cols = contentColumns(frame, options.target);
  if (scheme === 2)
    return { digests: contentDigestsV2(cols, frame.rowCount), key: contentKeyV2(cols) };
  // The key is JSON.stringify of the row's cell texts; fed to the hash piece by piece. Number
  // texts need no JSON escaping; level texts are escaped once per level.
  const levelJson = cols.map((c) =>
    c.kind === "categorical" ? c.levels.map((l) => JSON.stringify(l)) : [],
  );
  const digester = new KeyDigester();
  for (let r = 0; r < frame.rowCount; r++) {
    digester.add("[");
    for (let c = 0; c < cols.length; c++) {
      if (c > 0) digester.add(",");
      const col = cols[c];
      if (col.kind === "numeric") {
        const v = col.values[r];
        if (Number.isNaN(v)) digester.add("null");
        else {
          digester.add('"');
          digester.add(canonicalNumber(v));
          digester.add('"');
        }
      } else {
        const code = col.codes[r];
        digester.add(code < 0 ? "null" : levelJson[c][code]);
      }
    }
    digester.add("]");
    digester.digestInto(digests, r);
  }
  return { digests, key: contentKey(cols) };
}

/**
 * Scheme 2's content digests: per row, two 32-bit words per content column (sorted by name):
 * a number's IEEE 754 bits (-0 as 0), a level's two-word digest of its text (hashed once per
 * level, so a row's words do not depend on which other levels the data holds), or a marker
 * for a missing cell. A row's digest reads only its own cells: it keeps its side as rows are
 * added.
 */
export function contentDigestsV2(cols: Column[], rows: number): Uint32Array {
  const digests = new Uint32Array(rows * 2);
  const bits = new Float64Array(1);
  const words = new Uint32Array(bits.buffer);
  const levelWords = cols.map((c) => {
    if (c.kind !== "categorical") return new Uint32Array(0);
    const out = new Uint32Array(c.levels.length * 2);
    for (let i = 0; i < c.levels.length; i++) keyDigestInto(out, i, c.levels[i]);
    return out;
  });
  const digester = new WordDigester();
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols.length; c++) {
      const col = cols[c];
      if (col.kind === "numeric") {
        const v = col.values[r];
        if (Number.isNaN(v)) {
          digester.add(MISSING_WORD);
          digester.add(MISSING_WORD);
        } else {
          bits[0] = v === 0 ? 0 : v;
          // low word first whatever the platform's byte order
          digester.add(LITTLE_ENDIAN ? words[0] : words[1]);
          digester.add(LITTLE_ENDIAN ? words[1] : words[0]);
        }
      } else {
        const code = col.codes[r];
        if (code < 0) {
          digester.add(MISSING_WORD);
          digester.add(MISSING_WORD);
        } else {
          digester.add(levelWords[c][2 * code]);
          digester.add(levelWords[c][2 * code + 1]);
        }
      }
    }
    digester.digestInto(digests, r);
  }
  return digests;
}

/** A missing cell's word (a NaN's high bits, never those of a number Orchard keeps). */
const MISSING_WORD = 0x7ff80001;
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * Scheme 2's content key: the column names and kinds, since a number and the same text are
 * different words here (a column that changes kind makes other keys).
 */
function contentKeyV2(cols: Column[]): SplitKey {
  const names = JSON.stringify(cols.map((c) => [c.name, c.kind]));
  return {
    kind: "content",
    columnsSha256: createHash("sha256").update(names).digest("hex"),
    columnCount: cols.length,
  };
}

function cellText(col: Column, r: number): string | null {
  if (col.kind === "numeric") {
    const v = col.values[r];
    return Number.isNaN(v) ? null : canonicalNumber(v);
  }
  const c = col.codes[r];
  return c < 0 ? null : col.levels[c];
}

function contentColumns(frame: Frame, target: string): Column[] {
  return frame.columns
    .filter((c) => c.name !== target)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function contentKey(cols: Column[]): SplitKey {
  const names = JSON.stringify(cols.map((c) => c.name));
  return {
    kind: "content",
    columnsSha256: createHash("sha256").update(names).digest("hex"),
    columnCount: cols.length,
  };
}

function cellTexts(col: Column): (string | null)[] {
  if (col.kind === "numeric") {
    return Array.from(col.values, (v) => (Number.isNaN(v) ? null : canonicalNumber(v)));
  }
  return Array.from(col.codes, (c) => (c < 0 ? null : col.levels[c]));
}

/** Whether two runs keyed their rows the same way (so digests of one mean the same in the other). */
export function sameSplitKey(a: SplitKey, b: SplitKey): boolean {
  if (a.kind === "id" || b.kind === "id") {
    return (
      a.kind === b.kind && (a as { column: string }).column === (b as { column: string }).column
    );
  }
  return a.columnsSha256 === b.columnsSha256;
}

/** The key in words, for reasons and the report. */
export function describeSplitKey(key: SplitKey): string {
  return key.kind === "id"
    ? `the id column "${key.column}"`
    : `the row's content (${key.columnCount} columns, target excluded)`;
}

/** The split in words for the report: the strategy, and where a time split's boundary fell. */
export function describeSplit(record: SplitRecord): { strategy: string; boundary: string | null } {
  const fraction = `test fraction ${record.testFraction}`;
  if (record.strategy === "time") {
    const at = (t: number) => (record.unit === "date" ? new Date(t).toISOString() : String(t));
    return {
      strategy: `by time: the latest rows by "${record.column}" are the test rows (${fraction})`,
      boundary: `train up to ${at(record.trainUntil)}, test from ${at(record.testFrom)}`,
    };
  }
  const classes = record.strategy === "stratified" ? "; classes in proportion on average" : "";
  return {
    strategy: `${record.strategy}: a row is a test row when a seeded hash (seed ${record.seed}) of ${describeSplitKey(record.key)} falls below its ${fraction}${classes}`,
    boundary: null,
  };
}

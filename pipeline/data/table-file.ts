/**
 * The parsed table as one binary, so a source is parsed once per run (by Ingest) and the steps
 * after it read typed columns instead of parsing CSV or Parquet again: "ORCHTABL", a uint32
 * header length, a JSON header (version, the reading the table was read with, row count,
 * columns with their kinds and category levels, and what `readTable` found on the way: type
 * mismatches and text in numeric-looking columns), then each column's array back to back,
 * 8-byte aligned: Float64Array (NaN for missing) for numeric columns, Int32Array codes into
 * the levels (-1 for missing) for categorical ones. Decoding is a few array views.
 */

import { ArtifactError } from "../errors.ts";
import type { ColumnMismatches, TextInNumbers } from "./build-frame.ts";
import type { Column } from "./frame.ts";
import type { TableRead } from "./read-table.ts";

const MAGIC = "ORCHTABL";
export const TABLE_FILE_VERSION = 1;

interface Header {
  version: number;
  /** Who reads the table checks it was read as it would read it (see `tableReadingKey`). */
  reading: string;
  rowCount: number;
  columns: { kind: Column["kind"]; name: string; levels?: string[] }[];
  mismatches: ColumnMismatches[];
  textInNumbers: TextInNumbers[];
}

export function encodeTable(table: TableRead, reading: string): Uint8Array {
  const header: Header = {
    version: TABLE_FILE_VERSION,
    reading,
    rowCount: table.rowCount,
    columns: table.columns.map((c) =>
      c.kind === "numeric"
        ? { kind: c.kind, name: c.name }
        : { kind: c.kind, name: c.name, levels: c.levels },
    ),
    mismatches: table.mismatches,
    textInNumbers: table.textInNumbers,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const arrays = table.columns.map((c) => (c.kind === "numeric" ? c.values : c.codes));
  const start = align8(12 + json.length);
  const total = arrays.reduce((at, a) => align8(at + a.byteLength), start);
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  let at = start;
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at = align8(at + a.byteLength);
  }
  return out;
}

/**
 * The table, or null when it was read with another reading than `reading` (the caller then
 * parses the source itself). A damaged file is an ArtifactError naming `source`.
 */
export function decodeTable(bytes: Uint8Array, reading: string, source: string): TableRead | null {
  const corrupt = (why: string) =>
    new ArtifactError(`${source} is corrupt (${why}); delete it and re-run the Ingest step`);
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw corrupt("bad magic");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(8, true);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLength)));
  } catch {
    throw corrupt("unreadable header");
  }
  if (header.version !== TABLE_FILE_VERSION || header.reading !== reading) return null;
  // Views need 8-byte alignment of the underlying buffer; copy only when the bytes lack it.
  const body = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const n = header.rowCount;
  let at = align8(12 + jsonLength);
  const columns = header.columns.map((c): Column => {
    const size = n * (c.kind === "numeric" ? 8 : 4);
    if (at + size > body.length) throw corrupt("truncated");
    const offset = body.byteOffset + at;
    at = align8(at + size);
    return c.kind === "numeric"
      ? { kind: "numeric", name: c.name, values: new Float64Array(body.buffer, offset, n) }
      : {
          kind: "categorical",
          name: c.name,
          codes: new Int32Array(body.buffer, offset, n),
          levels: c.levels ?? [],
        };
  });
  return {
    rowCount: n,
    columns,
    mismatches: header.mismatches,
    textInNumbers: header.textInNumbers,
  };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/**
 * The prepared dataset artifact that Preprocess writes and Train/Select/Evaluate read: the
 * deduplicated frame of feature columns, the encoded target, the entity ids and the
 * train/test split, as one compact binary (a JSON header describing the parts, then the
 * typed arrays back to back, 8-byte aligned). Reading it is a few array views, not a re-parse
 * of the source.
 */
import type { Column, Frame, Target } from "../data/frame.ts";
import { ArtifactError } from "../errors.ts";

export interface PreparedDataset {
  frame: Frame;
  target: Target;
  /** Entity id per row, or null without an id column. */
  ids: string[] | null;
  train: Int32Array;
  test: Int32Array;
  /**
   * Each row's split-key digest, two uint32 words per row (see pipeline/split/hash-split.ts);
   * null in datasets written before version 2.
   */
  splitKeys: Uint32Array | null;
  /** Each row's time when the split is by time (epoch ms for dates), else null. */
  times: Float64Array | null;
}

const MAGIC = "ORCHDSET";
/** 2 added the split keys and times; version 1 datasets are still read (without them). */
const VERSION = 2;

type ArrayPart = Float64Array | Int32Array;

interface Header {
  version: number;
  rowCount: number;
  columns: { kind: Column["kind"]; name: string; levels?: string[] }[];
  target: { kind: Target["kind"]; classes?: string[] };
  ids: string[] | null;
  /** Which optional parts follow train and test (absent in version 1). */
  splitKeys?: boolean;
  times?: boolean;
  /** Element counts of the typed arrays in write order. */
  parts: { type: "f64" | "i32"; length: number }[];
}

export function encodeDataset(data: PreparedDataset): Uint8Array {
  const arrays: ArrayPart[] = [];
  const columns = data.frame.columns.map((col) => {
    if (col.kind === "numeric") {
      arrays.push(col.values);
      return { kind: col.kind, name: col.name };
    }
    arrays.push(col.codes);
    return { kind: col.kind, name: col.name, levels: col.levels };
  });
  arrays.push(data.target.kind === "regression" ? data.target.values : data.target.codes);
  arrays.push(data.train, data.test);
  if (data.splitKeys) {
    const k = data.splitKeys;
    arrays.push(new Int32Array(k.buffer, k.byteOffset, k.length));
  }
  if (data.times) arrays.push(data.times);
  const header: Header = {
    version: VERSION,
    rowCount: data.frame.rowCount,
    columns,
    target:
      data.target.kind === "classification"
        ? { kind: "classification", classes: data.target.classes }
        : { kind: "regression" },
    ids: data.ids,
    splitKeys: data.splitKeys !== null,
    times: data.times !== null,
    parts: arrays.map((a) => ({
      type: a instanceof Float64Array ? "f64" : "i32",
      length: a.length,
    })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
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

export function decodeDataset(bytes: Uint8Array, source = "prepared dataset"): PreparedDataset {
  const corrupt = (why: string) =>
    new ArtifactError(`${source} is corrupt (${why}); re-run the Preprocess step`);
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
  if (header.version !== VERSION && header.version !== 1) {
    throw corrupt(`unsupported version ${header.version}`);
  }
  // Copy into an aligned buffer so typed-array views are legal whatever the input's offset.
  const body = bytes.slice();
  let at = align8(12 + jsonLength);
  const parts = header.parts.map(({ type, length }) => {
    const size = length * (type === "f64" ? 8 : 4);
    if (at + size > body.length) throw corrupt("truncated");
    const part =
      type === "f64"
        ? new Float64Array(body.buffer, at, length)
        : new Int32Array(body.buffer, at, length);
    at = align8(at + size);
    return part;
  });
  const next = () => parts.shift() as ArrayPart;
  const columns = header.columns.map(
    (c): Column =>
      c.kind === "numeric"
        ? { kind: "numeric", name: c.name, values: next() as Float64Array }
        : {
            kind: "categorical",
            name: c.name,
            codes: next() as Int32Array,
            levels: c.levels ?? [],
          },
  );
  const targetPart = next();
  const target: Target =
    header.target.kind === "classification"
      ? {
          kind: "classification",
          codes: targetPart as Int32Array,
          classes: header.target.classes ?? [],
        }
      : { kind: "regression", values: targetPart as Float64Array };
  const train = next() as Int32Array;
  const test = next() as Int32Array;
  const keys = header.splitKeys ? (next() as Int32Array) : null;
  return {
    frame: { rowCount: header.rowCount, columns },
    target,
    ids: header.ids,
    train,
    test,
    splitKeys: keys ? new Uint32Array(keys.buffer, keys.byteOffset, keys.length) : null,
    times: header.times ? (next() as Float64Array) : null,
  };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

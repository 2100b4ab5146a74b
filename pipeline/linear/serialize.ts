/**
 * The linear-model artifact, little-endian:
 *
 *   0 "ORCL" magic   4 u16 format version (1)   6 u8 kind 0|1   7 u8 task 0|1
 *   8 u32 features   12 u32 classes   16 u32 outputs K   20 (reserved)   24 f64 regularization
 *   32.. f64 coef[K·features], intercept[K], featureMean[features], importance[features]
 *   last 4 bytes: CRC-32 of everything before them.
 */
import { ArtifactError } from "../errors.ts";
import { crc32 } from "../forest/serialize.ts";
import type { ForestTask } from "../forest/types.ts";
import { type LinearKind, LinearModel } from "./linear-model.ts";

export const LINEAR_MAGIC = "ORCL";
export const LINEAR_FORMAT_VERSION = 1;
const HEADER_BYTES = 32;
const KINDS: LinearKind[] = ["logistic-regression", "linear-regression"];
const TASKS: ForestTask[] = ["classification", "regression"];

export function isLinearArtifact(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]) === LINEAR_MAGIC
  );
}

export function serializeLinear(model: LinearModel): Uint8Array {
  const f = model.flat;
  const K = f.intercept.length;
  const parts = [f.coef, f.intercept, f.featureMean, f.featureImportance];
  const size = HEADER_BYTES + parts.reduce((s, a) => s + a.byteLength, 0) + 4;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = LINEAR_MAGIC.charCodeAt(i);
  dv.setUint16(4, LINEAR_FORMAT_VERSION, true);
  dv.setUint8(6, KINDS.indexOf(f.kind));
  dv.setUint8(7, TASKS.indexOf(f.task));
  dv.setUint32(8, f.nFeatures, true);
  dv.setUint32(12, f.nClasses, true);
  dv.setUint32(16, K, true);
  dv.setFloat64(24, f.regularization, true);
  let off = HEADER_BYTES;
  for (const a of parts) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    off += a.byteLength;
  }
  dv.setUint32(size - 4, crc32(out, size - 4), true);
  return out;
}

function corrupt(what: string): never {
  throw new ArtifactError(
    `The linear-model artifact is corrupt: ${what}. Retrain the model or fetch the artifact again.`,
  );
}

export function deserializeLinear(bytes: Uint8Array): LinearModel {
  if (!isLinearArtifact(bytes) || bytes.length < HEADER_BYTES + 4)
    corrupt("bad magic or too short");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint16(4, true);
  if (version !== LINEAR_FORMAT_VERSION) {
    throw new ArtifactError(
      `The linear-model artifact has format version ${version}; this Orchard reads version ${LINEAR_FORMAT_VERSION}. Retrain the model with this version.`,
    );
  }
  const kind = KINDS[dv.getUint8(6)];
  const task = TASKS[dv.getUint8(7)];
  const F = dv.getUint32(8, true);
  const C = dv.getUint32(12, true);
  const K = dv.getUint32(16, true);
  if (!kind || !task || F < 1 || K < 1) corrupt("unknown kind or task, or bad shape");
  const expected = HEADER_BYTES + 8 * (K * F + K + 2 * F) + 4;
  if (bytes.length !== expected)
    corrupt(`${bytes.length} bytes where the header implies ${expected}`);
  if (dv.getUint32(bytes.length - 4, true) !== crc32(bytes, bytes.length - 4))
    corrupt("checksum mismatch");
  let off = HEADER_BYTES;
  const f64 = (n: number) => {
    const a = new Float64Array(bytes.slice(off, off + n * 8).buffer);
    off += n * 8;
    return a;
  };
  return new LinearModel({
    kind,
    task,
    nFeatures: F,
    nClasses: C,
    regularization: dv.getFloat64(24, true),
    coef: f64(K * F),
    intercept: f64(K),
    featureMean: f64(F),
    featureImportance: f64(F),
  });
}

/**
 * The boosting artifact: one Uint8Array, little-endian, laid out like the forest's
 * (pipeline/forest/serialize.ts) with its own magic so neither is read as the other.
 *
 *   0  "ORCB" magic            16 u32 outputs K       32 u32 leaves
 *   4  u16 format version (1)  20 u32 trees           36 u32 train-loss entries
 *   6  u8 task 0|1             24 u32 nodes           40 u32 validation-loss entries
 *   7  u8 loss                 28 (reserved, 0)       44 (reserved, 0)
 *   8  u32 features
 *   12 u32 classes
 *   48.. sections, each on an 8-byte boundary: baseline f64[K], importance f64[features],
 *   threshold f64[nodes], values f64[leaves], cover f64[nodes], train loss, validation loss
 *   f64[…], treeNodeOffset and treeLeafOffset i32[trees+1], feature, left, right i32[nodes],
 *   missingLeft u8[nodes]; last 4 bytes: CRC-32 of everything before them.
 *
 * Reading checks magic, version, exact length, checksum and tree structure (children after
 * their parent and inside the tree, features and leaves in range) and throws ArtifactError.
 */
import { ArtifactError } from "../errors.ts";
import { checkTreeNodes, crc32 } from "../forest/serialize.ts";
import type { ForestTask } from "../forest/types.ts";
import { BoostedModel, type FlatBoosting } from "./boosted-model.ts";
import type { LossName } from "./losses.ts";

export const BOOSTING_MAGIC = "ORCB";
export const BOOSTING_FORMAT_VERSION = 1;
const HEADER_BYTES = 48;
const TASKS: ForestTask[] = ["classification", "regression"];
const LOSSES: LossName[] = ["log_loss", "squared_error", "absolute_error"];

const align8 = (n: number) => (n + 7) & ~7;
type Section = Float64Array | Int32Array | Uint8Array;

/** True when the bytes start with the boosting magic (the bundle tells the kinds apart so). */
export function isBoostingArtifact(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]) === BOOSTING_MAGIC
  );
}

export function serializeBoosting(model: BoostedModel): Uint8Array {
  const f = model.flat;
  const T = f.treeNodeOffset.length - 1;
  const sections: Section[] = [
    f.baseline,
    f.featureImportance,
    f.threshold,
    f.values,
    f.cover,
    f.trainLoss,
    f.validationLoss,
    f.treeNodeOffset,
    f.treeLeafOffset,
    f.feature,
    f.left,
    f.right,
    f.missingLeft,
  ];
  let size = HEADER_BYTES;
  for (const s of sections) size = align8(size) + s.byteLength;
  size = align8(size) + 4;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = BOOSTING_MAGIC.charCodeAt(i);
  dv.setUint16(4, BOOSTING_FORMAT_VERSION, true);
  dv.setUint8(6, TASKS.indexOf(f.task));
  dv.setUint8(7, LOSSES.indexOf(f.loss));
  dv.setUint32(8, f.nFeatures, true);
  dv.setUint32(12, f.nClasses, true);
  dv.setUint32(16, f.baseline.length, true);
  dv.setUint32(20, T, true);
  dv.setUint32(24, f.feature.length, true);
  dv.setUint32(32, f.values.length, true);
  dv.setUint32(36, f.trainLoss.length, true);
  dv.setUint32(40, f.validationLoss.length, true);
  let off = HEADER_BYTES;
  for (const s of sections) {
    off = align8(off);
    out.set(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), off);
    off += s.byteLength;
  }
  dv.setUint32(size - 4, crc32(out, size - 4), true);
  return out;
}

function corrupt(what: string): never {
  throw new ArtifactError(
    `The boosting artifact is corrupt or not a boosted model: ${what}. Retrain the model or fetch the artifact again.`,
  );
}

export function deserializeBoosting(bytes: Uint8Array): BoostedModel {
  if (!(bytes instanceof Uint8Array) || bytes.length < HEADER_BYTES + 4) {
    corrupt(`only ${bytes?.length ?? 0} bytes`);
  }
  if (!isBoostingArtifact(bytes)) corrupt(`magic is not "${BOOSTING_MAGIC}"`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint16(4, true);
  if (version !== BOOSTING_FORMAT_VERSION) {
    throw new ArtifactError(
      `The boosting artifact has format version ${version}; this Orchard reads version ${BOOSTING_FORMAT_VERSION}. Retrain the model with this version.`,
    );
  }
  const task = TASKS[dv.getUint8(6)];
  const loss = LOSSES[dv.getUint8(7)];
  if (!task || !loss) corrupt("unknown task or loss");
  const F = dv.getUint32(8, true);
  const C = dv.getUint32(12, true);
  const K = dv.getUint32(16, true);
  const T = dv.getUint32(20, true);
  const N = dv.getUint32(24, true);
  const L = dv.getUint32(32, true);
  const nt = dv.getUint32(36, true);
  const nv = dv.getUint32(40, true);
  const sizes = [
    K * 8,
    F * 8,
    N * 8,
    L * 8,
    N * 8,
    nt * 8,
    nv * 8,
    (T + 1) * 4,
    (T + 1) * 4,
    N * 4,
    N * 4,
    N * 4,
    N,
  ];
  let expected = HEADER_BYTES;
  for (const s of sizes) expected = align8(expected) + s;
  expected = align8(expected) + 4;
  if (bytes.length !== expected)
    corrupt(`${bytes.length} bytes where the header implies ${expected}`);
  if (dv.getUint32(bytes.length - 4, true) !== crc32(bytes, bytes.length - 4)) {
    corrupt("checksum mismatch");
  }
  if ((task === "classification") !== C > 0 || F < 1 || K < 1 || T % K !== 0) corrupt("bad shape");
  let off = HEADER_BYTES;
  const take = (n: number) => {
    off = align8(off);
    const s = bytes.slice(off, off + n);
    off += n;
    return s.buffer;
  };
  const f64 = (n: number) => new Float64Array(take(n * 8));
  const i32 = (n: number) => new Int32Array(take(n * 4));
  const flat: FlatBoosting = {
    task,
    loss,
    nFeatures: F,
    nClasses: C,
    baseline: f64(K),
    featureImportance: f64(F),
    threshold: f64(N),
    values: f64(L),
    cover: f64(N),
    trainLoss: f64(nt),
    validationLoss: f64(nv),
    treeNodeOffset: i32(T + 1),
    treeLeafOffset: i32(T + 1),
    feature: i32(N),
    left: i32(N),
    right: i32(N),
    missingLeft: new Uint8Array(take(N)),
  };
  checkStructure(flat);
  return new BoostedModel(flat);
}

/** Every walk must end at a leaf: children come after their parent and stay in the tree. */
function checkStructure(f: FlatBoosting): void {
  const T = f.treeNodeOffset.length - 1;
  if (f.treeNodeOffset[0] !== 0 || f.treeLeafOffset[0] !== 0) corrupt("bad tree table");
  if (f.treeNodeOffset[T] !== f.feature.length || f.treeLeafOffset[T] !== f.values.length) {
    corrupt("bad tree table");
  }
  checkTreeNodes(f, corrupt);
}

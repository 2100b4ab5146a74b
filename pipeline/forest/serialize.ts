/**
 * The forest artifact: one Uint8Array, little-endian, no nested JSON for Orchard's engine.
 *
 *   0  "ORCF" magic             16 u32 trees (json bytes for ml-random-forest)
 *   4  u16 format version (1)   20 u32 nodes            24 u32 leaves
 *   6  u8 engine 0|1            28 u32 flags (bit 0: has OOB score)
 *   7  u8 task 0|1              32 f64 OOB score
 *   8  u32 features             40.. sections, each starting on an 8-byte boundary:
 *   12 u32 classes                 importance f64[features], then for Orchard: threshold
 *                                  f64[nodes], values f64[leaves*V], treeNodeOffset and
 *                                  treeLeafOffset i32[trees+1], feature, left, right
 *                                  i32[nodes], missingLeft u8[nodes]; for ml-random-forest
 *                                  its toJSON() as UTF-8
 *   last 4 bytes: CRC-32 of everything before them.
 *
 * Reading checks magic, version, exact length, checksum and tree structure (children always
 * after their parent, features and leaves in range) and throws ArtifactError otherwise.
 */
import { ArtifactError } from "../errors.ts";
import { type FlatForest, OrchardForestModel } from "./forest-model.ts";
import { MlRandomForestModel } from "./ml-engine.ts";
import type { ForestModel, ForestTask } from "./types.ts";

export const FOREST_MAGIC = "ORCF";
export const FOREST_FORMAT_VERSION = 1;
const HEADER_BYTES = 40;
const ENGINES = ["orchard", "ml-random-forest"] as const;
const TASKS: ForestTask[] = ["classification", "regression"];

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc32(bytes: Uint8Array, end = bytes.length): number {
  let c = -1;
  for (let i = 0; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("Orchard forest artifacts assume a little-endian platform");
}

const align8 = (n: number) => (n + 7) & ~7;

type Section = Float64Array | Int32Array | Uint8Array;

function bytesOf(a: Section): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function writeArtifact(
  head: {
    engine: number;
    task: number;
    features: number;
    classes: number;
    a: number;
    b: number;
    c: number;
  },
  oobScore: number | null,
  sections: Section[],
): Uint8Array {
  let size = HEADER_BYTES;
  for (const s of sections) size = align8(size) + s.byteLength;
  size = align8(size) + 4;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = FOREST_MAGIC.charCodeAt(i);
  dv.setUint16(4, FOREST_FORMAT_VERSION, true);
  dv.setUint8(6, head.engine);
  dv.setUint8(7, head.task);
  dv.setUint32(8, head.features, true);
  dv.setUint32(12, head.classes, true);
  dv.setUint32(16, head.a, true);
  dv.setUint32(20, head.b, true);
  dv.setUint32(24, head.c, true);
  dv.setUint32(28, oobScore === null ? 0 : 1, true);
  dv.setFloat64(32, oobScore ?? 0, true);
  let off = HEADER_BYTES;
  for (const s of sections) {
    off = align8(off);
    out.set(bytesOf(s), off);
    off += s.byteLength;
  }
  dv.setUint32(size - 4, crc32(out, size - 4), true);
  return out;
}

export function serializeForest(model: ForestModel): Uint8Array {
  const task = TASKS.indexOf(model.task);
  const oob = model.oobScore;
  if (model instanceof OrchardForestModel) {
    const f = model.flat;
    return writeArtifact(
      {
        engine: 0,
        task,
        features: f.nFeatures,
        classes: f.nClasses,
        a: f.treeNodeOffset.length - 1,
        b: f.feature.length,
        c: f.treeLeafOffset[f.treeLeafOffset.length - 1],
      },
      oob,
      [
        f.featureImportance,
        f.threshold,
        f.values,
        f.treeNodeOffset,
        f.treeLeafOffset,
        f.feature,
        f.left,
        f.right,
        f.missingLeft,
      ],
    );
  }
  if (model instanceof MlRandomForestModel) {
    const json = new TextEncoder().encode(JSON.stringify(model.toJSON()));
    return writeArtifact(
      {
        engine: 1,
        task,
        features: model.nFeatures,
        classes: model.nClasses,
        a: json.length,
        b: 0,
        c: 0,
      },
      oob,
      [model.featureImportance, json],
    );
  }
  throw new ArtifactError(
    `Cannot serialize a forest of engine "${model.engine}" that was not built by fitForest or deserializeForest.`,
  );
}

function corrupt(what: string): never {
  throw new ArtifactError(
    `The forest artifact is corrupt or not a forest: ${what}. Retrain the model or fetch the artifact again.`,
  );
}

class Reader {
  off = HEADER_BYTES;
  constructor(private readonly bytes: Uint8Array) {}
  private take(byteLength: number): Uint8Array {
    this.off = align8(this.off);
    const s = this.bytes.slice(this.off, this.off + byteLength);
    this.off += byteLength;
    return s;
  }
  f64(n: number): Float64Array {
    return new Float64Array(this.take(n * 8).buffer);
  }
  i32(n: number): Int32Array {
    return new Int32Array(this.take(n * 4).buffer);
  }
  u8(n: number): Uint8Array {
    return this.take(n);
  }
}

export function deserializeForest(bytes: Uint8Array): ForestModel {
  if (!(bytes instanceof Uint8Array) || bytes.length < HEADER_BYTES + 4) {
    corrupt(`only ${bytes?.length ?? 0} bytes`);
  }
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== FOREST_MAGIC)
    corrupt(`magic is ${JSON.stringify(magic)}, expected "${FOREST_MAGIC}"`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint16(4, true);
  if (version !== FOREST_FORMAT_VERSION) {
    throw new ArtifactError(
      `The forest artifact has format version ${version}; this Orchard reads version ${FOREST_FORMAT_VERSION}. Retrain the model with this version.`,
    );
  }
  const engine = ENGINES[dv.getUint8(6)];
  const task = TASKS[dv.getUint8(7)];
  if (!engine || !task) corrupt("unknown engine or task");
  const features = dv.getUint32(8, true);
  const classes = dv.getUint32(12, true);
  const [a, b, c] = [dv.getUint32(16, true), dv.getUint32(20, true), dv.getUint32(24, true)];
  const V = task === "classification" ? classes : 1;
  const sizes =
    engine === "orchard"
      ? [features * 8, b * 8, c * V * 8, (a + 1) * 4, (a + 1) * 4, b * 4, b * 4, b * 4, b]
      : [features * 8, a];
  let expected = HEADER_BYTES;
  for (const s of sizes) expected = align8(expected) + s;
  expected = align8(expected) + 4;
  if (bytes.length !== expected)
    corrupt(`${bytes.length} bytes where the header implies ${expected}`);
  if (dv.getUint32(bytes.length - 4, true) !== crc32(bytes, bytes.length - 4)) {
    corrupt("checksum mismatch");
  }
  if ((task === "classification") !== classes > 0 || features < 1) corrupt("bad shape");
  const oobScore = dv.getUint32(28, true) & 1 ? dv.getFloat64(32, true) : null;
  const rd = new Reader(bytes);
  const featureImportance = rd.f64(features);
  if (engine === "ml-random-forest") {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(rd.u8(a)));
    } catch (err) {
      throw new ArtifactError(
        "The ml-random-forest model JSON in the artifact does not parse.",
        {},
        { cause: err },
      );
    }
    return MlRandomForestModel.fromJSON(json, task, features, classes, oobScore, featureImportance);
  }
  const flat: FlatForest = {
    task,
    nFeatures: features,
    nClasses: classes,
    featureImportance,
    oobScore,
    threshold: rd.f64(b),
    values: rd.f64(c * V),
    treeNodeOffset: rd.i32(a + 1),
    treeLeafOffset: rd.i32(a + 1),
    feature: rd.i32(b),
    left: rd.i32(b),
    right: rd.i32(b),
    missingLeft: rd.u8(b),
  };
  checkStructure(flat);
  return new OrchardForestModel(flat);
}

/** Every walk must end at a leaf: children come after their parent and stay in the tree. */
function checkStructure(f: FlatForest): void {
  const T = f.treeNodeOffset.length - 1;
  if (T < 1 || f.treeNodeOffset[0] !== 0 || f.treeLeafOffset[0] !== 0) corrupt("bad tree table");
  if (f.treeNodeOffset[T] !== f.feature.length) corrupt("bad tree table");
  if (f.treeLeafOffset[T] * (f.nClasses || 1) !== f.values.length) corrupt("bad tree table");
  checkTreeNodes(f, corrupt);
}

/** The node arrays of a flat tree ensemble: what checkTreeNodes walks. */
export type TreeNodeArrays = Pick<
  FlatForest,
  "treeNodeOffset" | "treeLeafOffset" | "feature" | "left" | "right" | "missingLeft" | "nFeatures"
>;

/**
 * Per tree, every walk ends at a leaf: children come after their parent and stay in the tree,
 * split features exist, leaf indices stay in the tree's leaves. Shared by the forest and the
 * boosting artifacts (pipeline/boosting/serialize.ts), each with its own `corrupt` message.
 */
export function checkTreeNodes(f: TreeNodeArrays, corrupt: (what: string) => never): void {
  const T = f.treeNodeOffset.length - 1;
  for (let t = 0; t < T; t++) {
    const nb = f.treeNodeOffset[t];
    const ne = f.treeNodeOffset[t + 1];
    const leaves = f.treeLeafOffset[t + 1] - f.treeLeafOffset[t];
    if (ne <= nb || leaves < 1) corrupt(`tree ${t} is empty`);
    const size = ne - nb;
    for (let k = 0; k < size; k++) {
      const i = nb + k;
      const feat = f.feature[i];
      if (feat === -1) {
        if (f.left[i] < 0 || f.left[i] >= leaves) corrupt(`tree ${t} node ${k} has a bad leaf`);
      } else if (feat < 0 || feat >= f.nFeatures) {
        corrupt(`tree ${t} node ${k} splits on feature ${feat}`);
      } else if (
        f.left[i] <= k ||
        f.right[i] <= k ||
        f.left[i] >= size ||
        f.right[i] >= size ||
        f.missingLeft[i] > 1
      ) {
        corrupt(`tree ${t} node ${k} has bad children`);
      }
    }
  }
}

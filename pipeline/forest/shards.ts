/**
 * A forest fitted in shards (`model.shards: k`): k processes each grow a contiguous range of
 * tree indices, and one assembles them into the very forest a single process would have fitted,
 * byte for byte. This holds because a tree depends only on (X, y, params, its index): its
 * random stream is createRng(deriveSeed(seed, index)) (tree-builder.ts), the binned matrix is
 * a function of (X, maxBins, seed), and the assembler sums importance and out-of-bag votes in
 * tree-index order, whoever grew the trees.
 *
 * A shard carries its trees' nodes, leaves and per-tree importance, but not the out-of-bag
 * leaf of every training row (4 bytes per row per tree: 400 MB for 1M rows and 100 trees).
 * The assembler recomputes those: the tree's bootstrap draw is redrawn from its stream
 * (bootstrap.ts), and each out-of-bag row is walked down the tree on its raw values. That walk
 * lands where the builder's walk on bins did: a row is in bin b when x <= edges[b] and not
 * below (binOf), and a node that splits after bin b has threshold edges[b] (or +Infinity after
 * the last value bin), so `x <= threshold` and `bin <= b` agree for every value, NaN going by
 * missingLeft in both.
 *
 * The shard artifact: "ORCS", u16 version, u16 0, u32 JSON header length, the JSON header
 * (task, sizes, seed, tree range, per-tree node and leaf counts), then per tree feature,
 * threshold, left, right, missingLeft, values and importance, each section starting on an
 * 8-byte boundary; the last 4 bytes are the CRC-32 of everything before them.
 */
import type { FeatureMatrix, Target } from "../data/frame.ts";
import { ArtifactError, SpecError } from "../errors.ts";
import { ForestAssembler } from "./assemble.ts";
import { bootstrapCounts } from "./bootstrap.ts";
import { checkForestInputs } from "./fit.ts";
import { OrchardForestModel } from "./forest-model.ts";
import { crc32 } from "./serialize.ts";
import { growthInputs } from "./train-orchard.ts";
import { type GrownTree, TreeBuilder } from "./tree-builder.ts";
import type { ForestParams, ForestTask } from "./types.ts";

/** Tree indices `from` (inclusive) to `to` (exclusive). */
export interface TreeRange {
  from: number;
  to: number;
}

export interface ForestShard extends TreeRange {
  task: ForestTask;
  nFeatures: number;
  /** 0 for regression. */
  nClasses: number;
  nRows: number;
  seed: number;
  /** Trees `from` .. `to - 1`, in index order; `oobLeaf` is always null (see above). */
  trees: GrownTree[];
}

export const SHARD_MAGIC = "ORCS";
export const SHARD_FORMAT_VERSION = 1;

/**
 * `shards` contiguous ranges covering trees 0 .. trees - 1, as even as whole trees allow;
 * never more ranges than trees (a shard without a tree would be a wasted invocation).
 */
export function shardRanges(trees: number, shards: number): TreeRange[] {
  if (!Number.isInteger(trees) || trees < 1 || !Number.isInteger(shards) || shards < 1) {
    throw new SpecError(
      `a forest of ${trees} trees cannot be split into ${shards} shards: both must be whole numbers >= 1`,
      { path: "model.shards" },
    );
  }
  const k = Math.min(trees, shards);
  return Array.from({ length: k }, (_, s) => ({
    from: Math.floor((s * trees) / k),
    to: Math.floor(((s + 1) * trees) / k),
  }));
}

function checkRange(range: TreeRange, trees: number): void {
  const { from, to } = range;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to <= from || to > trees) {
    throw new SpecError(
      `tree range ${from}..${to} is not a non-empty range of the forest's ${trees} trees`,
      { path: "shard" },
    );
  }
}

/** Grows trees `range.from` .. `range.to - 1` of the forest `fitForest(X, y, params)` would fit. */
export function growShard(
  X: FeatureMatrix,
  y: Target,
  params: ForestParams,
  range: TreeRange,
): ForestShard {
  checkForestInputs(X, y, params);
  checkRange(range, params.trees);
  const { data, target, settings } = growthInputs(X, y, params, false);
  const builder = new TreeBuilder(data, target, settings);
  const trees: GrownTree[] = [];
  for (let t = range.from; t < range.to; t++) trees.push({ ...builder.grow(t), oobLeaf: null });
  return {
    task: y.kind,
    nFeatures: X.cols,
    nClasses: target.nClasses,
    nRows: X.rows,
    seed: params.seed >>> 0,
    from: range.from,
    to: range.to,
    trees,
  };
}

/**
 * The forest `fitForest(X, y, params)` fits with the Orchard engine, from shards that cover
 * every tree once, in order. X and y must be the ones the shards were grown on.
 */
export function assembleShards(
  X: FeatureMatrix,
  y: Target,
  params: ForestParams,
  shards: readonly ForestShard[],
): OrchardForestModel {
  checkForestInputs(X, y, params);
  const nClasses = y.kind === "classification" ? y.classes.length : 0;
  let next = 0;
  for (const shard of shards) {
    const mismatch =
      shard.task !== y.kind ||
      shard.nFeatures !== X.cols ||
      shard.nRows !== X.rows ||
      shard.nClasses !== nClasses ||
      shard.seed !== params.seed >>> 0;
    if (mismatch || shard.from !== next || shard.trees.length !== shard.to - shard.from) {
      throw new ArtifactError(
        `shard of trees ${shard.from}..${shard.to} does not fit this forest (expected trees from ${next}, ${X.rows} rows x ${X.cols} features, seed ${params.seed >>> 0}): it was grown on other data or parameters; run the sharded fit again`,
      );
    }
    next = shard.to;
  }
  if (next !== params.trees) {
    throw new ArtifactError(
      `the shards hold trees 0..${next} of a forest of ${params.trees}: a shard is missing; run the sharded fit again`,
    );
  }
  const assembler = new ForestAssembler(
    {
      task: y.kind,
      nClasses,
      codes: y.kind === "classification" ? y.codes : null,
      values: y.kind === "regression" ? y.values : null,
    },
    X.cols,
    X.rows,
    params.trees,
    params.bootstrap,
  );
  const counts = params.bootstrap ? new Int32Array(X.rows) : null;
  for (const shard of shards) {
    shard.trees.forEach((tree, i) => {
      const oobLeaf = counts ? outOfBagLeaves(X, tree, shard.seed, shard.from + i, counts) : null;
      assembler.add({ ...tree, oobLeaf });
    });
  }
  return new OrchardForestModel(assembler.finish());
}

/** The leaf of every row tree `treeIndex` did not draw, -1 for the rows it drew. */
function outOfBagLeaves(
  X: FeatureMatrix,
  tree: GrownTree,
  seed: number,
  treeIndex: number,
  counts: Int32Array,
): Int32Array {
  bootstrapCounts(seed, treeIndex, counts);
  const { rows, cols, values } = X;
  const { feature, threshold, left, right, missingLeft } = tree;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    if (counts[r] > 0) {
      out[r] = -1;
      continue;
    }
    let node = 0;
    let f = feature[0];
    while (f >= 0) {
      const x = values[r * cols + f];
      const goLeft = Number.isNaN(x) ? missingLeft[node] === 1 : x <= threshold[node];
      node = goLeft ? left[node] : right[node];
      f = feature[node];
    }
    out[r] = left[node];
  }
  return out;
}

interface ShardHeader {
  task: ForestTask;
  nFeatures: number;
  nClasses: number;
  nRows: number;
  seed: number;
  from: number;
  to: number;
  nodes: number[];
  leaves: number[];
}

const align8 = (n: number) => (n + 7) & ~7;
type Section = Float64Array | Int32Array | Uint8Array;

function sectionsOf(tree: GrownTree): Section[] {
  return [
    tree.feature,
    tree.threshold,
    tree.left,
    tree.right,
    tree.missingLeft,
    tree.values,
    tree.importance,
  ];
}

export function serializeShard(shard: ForestShard): Uint8Array {
  const V = shard.task === "classification" ? shard.nClasses : 1;
  const header: ShardHeader = {
    task: shard.task,
    nFeatures: shard.nFeatures,
    nClasses: shard.nClasses,
    nRows: shard.nRows,
    seed: shard.seed,
    from: shard.from,
    to: shard.to,
    nodes: shard.trees.map((t) => t.feature.length),
    leaves: shard.trees.map((t) => t.values.length / V),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const sections = shard.trees.flatMap(sectionsOf);
  let size = 12 + json.length;
  for (const s of sections) size = align8(size) + s.byteLength;
  size = align8(size) + 4;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = SHARD_MAGIC.charCodeAt(i);
  dv.setUint16(4, SHARD_FORMAT_VERSION, true);
  dv.setUint32(8, json.length, true);
  out.set(json, 12);
  let off = 12 + json.length;
  for (const s of sections) {
    off = align8(off);
    out.set(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), off);
    off += s.byteLength;
  }
  dv.setUint32(size - 4, crc32(out, size - 4), true);
  return out;
}

export function deserializeShard(bytes: Uint8Array, where = "the shard"): ForestShard {
  const corrupt = (what: string): never => {
    throw new ArtifactError(
      `${where} is not a forest shard or is corrupt (${what}); run the sharded fit again`,
    );
  };
  if (!(bytes instanceof Uint8Array) || bytes.length < 16) corrupt(`${bytes?.length ?? 0} bytes`);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== SHARD_MAGIC) corrupt(`magic ${JSON.stringify(magic)}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint16(4, true) !== SHARD_FORMAT_VERSION) corrupt(`version ${dv.getUint16(4, true)}`);
  if (crc32(bytes, bytes.length - 4) !== dv.getUint32(bytes.length - 4, true)) corrupt("checksum");
  const jsonLength = dv.getUint32(8, true);
  let header: ShardHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLength)));
  } catch {
    return corrupt("header");
  }
  const V = header.task === "classification" ? header.nClasses : 1;
  let off = 12 + jsonLength;
  const take = (byteLength: number): ArrayBuffer => {
    off = align8(off);
    if (off + byteLength > bytes.length - 4) corrupt("truncated");
    const copy = bytes.slice(off, off + byteLength);
    off += byteLength;
    return copy.buffer;
  };
  const trees: GrownTree[] = header.nodes.map((n, i) => ({
    feature: new Int32Array(take(n * 4)),
    threshold: new Float64Array(take(n * 8)),
    left: new Int32Array(take(n * 4)),
    right: new Int32Array(take(n * 4)),
    missingLeft: new Uint8Array(take(n)),
    values: new Float64Array(take(header.leaves[i] * V * 8)),
    importance: new Float64Array(take(header.nFeatures * 8)),
    oobLeaf: null,
  }));
  if (trees.length !== header.to - header.from) corrupt("tree count");
  const { nodes: _n, leaves: _l, ...rest } = header;
  return { ...rest, trees };
}

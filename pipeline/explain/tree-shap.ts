/**
 * Exact path-dependent TreeSHAP (the values of Lundberg, Erion & Lee 2018) over the flat node
 * arrays of an Orchard forest. For each row it returns, per feature and per output (class
 * probability, or the regression value), the feature's Shapley value under the trees' own
 * conditional expectations: at a split on a feature outside the coalition both children are
 * followed, weighted by the share of the node's cover that went each way. They are computed
 * by fast-tree-shap.ts in O(nodes · depth/2) per row and tree; the paper's Algorithm 2
 * (tree-shap-reference.ts, O(leaves · depth²)) is kept as the oracle the tests compare with.
 *
 * Cover is an input. The Orchard forest does not keep per-node sample counts, so callers pass
 * `nodeCover(forest, X, sample)`: the weight of the training rows X reaching each node, each
 * row weighted by how often the tree's bootstrap drew it (redrawn from the forest's seed, see
 * pipeline/forest/bootstrap.ts). That is the cover shap's TreeExplainer reads from a
 * scikit-learn forest (`tree_.weighted_n_node_samples`: the in-bag counts are its sample
 * weights), so the expected value is each tree's mean over its own bootstrap sample. Any
 * cover with parent = left + right gives exact Shapley values of that expectation, and
 * additivity holds exactly: expected value + Σ contributions = the forest's prediction.
 *
 * The forest's output is the mean of its trees' leaf values, so both the values and the
 * expected value are the mean over trees.
 */
import type { FeatureMatrix } from "../data/frame.ts";
import { bootstrapCounts } from "../forest/bootstrap.ts";
import { checkMatrixWidth, type FlatForest } from "../forest/forest-model.ts";
import { addTreesShap } from "./fast-tree-shap.ts";

export interface ShapValues {
  rows: number;
  features: number;
  /** Outputs per row: classes for classification, 1 for regression. */
  outputs: number;
  /** rows × features × outputs, row-major: value of (r, f, o) at (r * features + f) * outputs + o. */
  values: Float64Array;
  /** The expected output per output (the mean prediction under the cover). */
  expected: Float64Array;
}

/** How the forest drew each tree's rows: the seed and `bootstrap` it was trained with. */
export interface TrainingSample {
  seed: number;
  bootstrap: boolean;
}

/**
 * The weight of the rows of X reaching each node of the forest (indexed like the flat node
 * arrays). With `sample`, X must be the training matrix, rows in training order: each row
 * weighs its in-bag count in each tree (0 when out of bag). Without it every row weighs 1
 * (a background data set, or a forest grown without bootstrap).
 */
export function nodeCover(
  flat: FlatForest,
  X: FeatureMatrix,
  sample?: TrainingSample,
): Float64Array {
  checkMatrixWidth(X, flat.nFeatures);
  const { feature, left, right, treeNodeOffset } = flat;
  const cover = new Float64Array(feature.length);
  const trees = treeNodeOffset.length - 1;
  const inBag = sample?.bootstrap ? new Int32Array(X.rows) : null;
  for (let t = 0; t < trees; t++) {
    const nb = treeNodeOffset[t];
    if (inBag) bootstrapCounts(sample!.seed, t, inBag);
    for (let r = 0; r < X.rows; r++) {
      const w = inBag ? inBag[r] : 1;
      if (w === 0) continue;
      const xo = r * X.cols;
      let node = nb;
      cover[node] += w;
      while (feature[node] >= 0) {
        node = nb + (goesLeft(flat, node, X.values[xo + feature[node]]) ? left[node] : right[node]);
        cover[node] += w;
      }
    }
  }
  return cover;
}

export function goesLeft(flat: FlatForest, node: number, v: number): boolean {
  return v <= flat.threshold[node] || (Number.isNaN(v) && flat.missingLeft[node] === 1);
}

export function outputsOf(flat: FlatForest): number {
  return flat.task === "classification" ? flat.nClasses : 1;
}

/** The expected output of the forest under `cover` (mean over trees of the cover-weighted leaf values). */
export function expectedValue(flat: FlatForest, cover: Float64Array): Float64Array {
  const V = outputsOf(flat);
  const out = new Float64Array(V);
  const { feature, left, values, treeNodeOffset, treeLeafOffset } = flat;
  const trees = treeNodeOffset.length - 1;
  for (let t = 0; t < trees; t++) {
    const nb = treeNodeOffset[t];
    const root = cover[nb];
    for (let node = nb; node < treeNodeOffset[t + 1]; node++) {
      if (feature[node] >= 0 || cover[node] === 0) continue;
      const vo = (treeLeafOffset[t] + left[node]) * V;
      for (let o = 0; o < V; o++) out[o] += (values[vo + o] * cover[node]) / root;
    }
  }
  for (let o = 0; o < V; o++) out[o] /= trees;
  return out;
}

/** Throws unless `cover` is a usable cover of this forest (one weight per node, every root covered). */
export function checkCover(flat: FlatForest, cover: Float64Array): void {
  if (cover.length !== flat.feature.length) {
    throw new RangeError(
      `treeShap: cover has ${cover.length} entries but the forest has ${flat.feature.length} nodes; compute it with nodeCover for this forest`,
    );
  }
  const treeCount = flat.treeNodeOffset.length - 1;
  for (let t = 0; t < treeCount; t++) {
    if (!(cover[flat.treeNodeOffset[t]] > 0)) {
      throw new RangeError(
        `treeShap: the root of tree ${t} has no cover; compute the cover from at least one row`,
      );
    }
  }
}

/**
 * The SHAP values of every row of X, in this thread (fast-tree-shap.ts has the algorithm;
 * shap-parallel.ts spreads the trees over worker threads with the same result).
 */
export function treeShap(flat: FlatForest, cover: Float64Array, X: FeatureMatrix): ShapValues {
  checkMatrixWidth(X, flat.nFeatures);
  checkCover(flat, cover);
  const V = outputsOf(flat);
  const F = flat.nFeatures;
  const trees = flat.treeNodeOffset.length - 1;
  const values = new Float64Array(X.rows * F * V);
  addTreesShap(flat, cover, X, values);
  for (let i = 0; i < values.length; i++) values[i] /= trees;
  return { rows: X.rows, features: F, outputs: V, values, expected: expectedValue(flat, cover) };
}

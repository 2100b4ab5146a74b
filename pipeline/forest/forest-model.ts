/**
 * A trained Orchard forest: all trees concatenated into flat typed arrays, so prediction is a
 * tight loop over raw feature values (no binning) and serialization is a handful of copies.
 *
 * Node k of tree t is `treeNodeOffset[t] + k`; children in `left`/`right` are tree-local.
 * A leaf has `feature` -1 and its tree-local leaf index in `left`; its values start at
 * `(treeLeafOffset[t] + leaf) * valueSize` (class frequencies, or the mean for regression).
 */
import type { FeatureMatrix } from "../data/frame.ts";
import { MissingColumnError, SpecError } from "../errors.ts";
import type { ForestModel, ForestTask } from "./types.ts";

export interface FlatForest {
  task: ForestTask;
  nFeatures: number;
  nClasses: number;
  treeNodeOffset: Int32Array;
  treeLeafOffset: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  missingLeft: Uint8Array;
  values: Float64Array;
  featureImportance: Float64Array;
  oobScore: number | null;
}

export function checkMatrixWidth(X: FeatureMatrix, nFeatures: number): void {
  if (X.cols !== nFeatures) {
    throw new MissingColumnError(
      `The model was trained on ${nFeatures} features but the input has ${X.cols} (${X.names.join(", ")}). Pass the columns the model was trained on, in the same order.`,
    );
  }
}

/** Index of the largest value in `v[off .. off + k)`, the first on ties (like numpy argmax). */
export function argmax(v: Float64Array, off: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (v[off + c] > v[off + best]) best = c;
  return best;
}

export class OrchardForestModel implements ForestModel {
  readonly engine = "orchard" as const;
  readonly task: ForestTask;
  readonly nFeatures: number;
  readonly nClasses: number;
  readonly featureImportance: Float64Array;
  readonly oobScore: number | null;
  readonly flat: FlatForest;

  constructor(flat: FlatForest) {
    this.flat = flat;
    this.task = flat.task;
    this.nFeatures = flat.nFeatures;
    this.nClasses = flat.nClasses;
    this.featureImportance = flat.featureImportance;
    this.oobScore = flat.oobScore;
  }

  get nTrees(): number {
    return this.flat.treeNodeOffset.length - 1;
  }

  predict(X: FeatureMatrix): Float64Array {
    if (this.task === "regression") return this.average(X, 1);
    const K = this.nClasses;
    const proba = this.average(X, K);
    const out = new Float64Array(X.rows);
    for (let r = 0; r < X.rows; r++) out[r] = argmax(proba, r * K, K);
    return out;
  }

  predictProba(X: FeatureMatrix): Float64Array {
    if (this.task === "regression") {
      throw new SpecError(
        "predictProba needs a classification model; this forest is a regressor. Use predict.",
      );
    }
    return this.average(X, this.nClasses);
  }

  /**
   * The tree-local leaf index every row lands in, rows x trees row-major (scikit-learn's
   * `apply`, with leaf indices instead of node ids).
   */
  apply(X: FeatureMatrix): Int32Array {
    checkMatrixWidth(X, this.nFeatures);
    const T = this.nTrees;
    const out = new Int32Array(X.rows * T);
    for (let t = 0; t < T; t++) {
      for (let r = 0; r < X.rows; r++) out[r * T + t] = this.leafOf(X, r, t);
    }
    return out;
  }

  private leafOf(X: FeatureMatrix, r: number, t: number): number {
    const { feature, threshold, left, right, missingLeft } = this.flat;
    const nb = this.flat.treeNodeOffset[t];
    const xo = r * X.cols;
    let node = nb;
    while (feature[node] >= 0) {
      const v = X.values[xo + feature[node]];
      const goLeft = v <= threshold[node] || (Number.isNaN(v) && missingLeft[node] === 1);
      node = nb + (goLeft ? left[node] : right[node]);
    }
    return left[node];
  }

  /** Mean over trees of the leaf values each row lands in; V values per leaf. */
  private average(X: FeatureMatrix, V: number): Float64Array {
    checkMatrixWidth(X, this.nFeatures);
    const { feature, threshold, left, right, missingLeft, values } = this.flat;
    const { treeNodeOffset, treeLeafOffset } = this.flat;
    const rows = X.rows;
    const cols = X.cols;
    const x = X.values;
    const out = new Float64Array(rows * V);
    const T = this.nTrees;
    for (let t = 0; t < T; t++) {
      const nb = treeNodeOffset[t];
      const lb = treeLeafOffset[t];
      for (let r = 0; r < rows; r++) {
        const xo = r * cols;
        let node = nb;
        let f = feature[node];
        while (f >= 0) {
          const v = x[xo + f];
          const goLeft = v <= threshold[node] || (Number.isNaN(v) && missingLeft[node] === 1);
          node = nb + (goLeft ? left[node] : right[node]);
          f = feature[node];
        }
        const vo = (lb + left[node]) * V;
        const oo = r * V;
        for (let c = 0; c < V; c++) out[oo + c] += values[vo + c];
      }
    }
    for (let i = 0; i < out.length; i++) out[i] /= T;
    return out;
  }
}

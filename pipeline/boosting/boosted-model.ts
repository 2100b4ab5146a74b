/**
 * A trained boosted ensemble: every tree concatenated into the forest engine's flat arrays
 * (same node layout as pipeline/forest/forest-model.ts, one value per leaf), the constant
 * starting score per output, and what training recorded (learning curve, node cover).
 *
 * Tree t adds to output `t % K` (K = 1 for regression and binary classification, the class
 * count for softmax). The raw score is baseline + Σ leaf values; a classifier's probability
 * is its sigmoid (binary) or softmax.
 */
import type { FeatureMatrix } from "../data/frame.ts";
import { SpecError } from "../errors.ts";
import { argmax, checkMatrixWidth, type FlatForest } from "../forest/forest-model.ts";
import type { ForestTask } from "../forest/types.ts";
import { type LossName, probabilitiesOf } from "./losses.ts";

export interface FlatBoosting {
  task: ForestTask;
  nFeatures: number;
  /** 0 for regression. */
  nClasses: number;
  loss: LossName;
  /** Raw starting score per output (K entries). */
  baseline: Float64Array;
  treeNodeOffset: Int32Array;
  treeLeafOffset: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  missingLeft: Uint8Array;
  /** One per leaf. */
  values: Float64Array;
  /** Training rows that reached each node when it was grown (the TreeSHAP cover). */
  cover: Float64Array;
  /** Total split gain per feature, normalized to sum 1 (all 0 when no tree split). */
  featureImportance: Float64Array;
  /** Mean training loss after 0, 1, … rounds (rounds + 1 entries). */
  trainLoss: Float64Array;
  /** Mean validation loss after 0, 1, … rounds, or empty without early stopping. */
  validationLoss: Float64Array;
}

export class BoostedModel {
  readonly kind = "gradient-boosting" as const;
  readonly engine = "orchard" as const;
  readonly task: ForestTask;
  readonly nFeatures: number;
  readonly nClasses: number;
  readonly featureImportance: Float64Array;
  readonly oobScore = null;
  readonly flat: FlatBoosting;

  constructor(flat: FlatBoosting) {
    this.flat = flat;
    this.task = flat.task;
    this.nFeatures = flat.nFeatures;
    this.nClasses = flat.nClasses;
    this.featureImportance = flat.featureImportance;
  }

  /** Raw outputs per row (K = 1, or classes for softmax). */
  get nOutputs(): number {
    return this.flat.baseline.length;
  }

  get nTrees(): number {
    return this.flat.treeNodeOffset.length - 1;
  }

  /** Boosting rounds kept (after early stopping). */
  get rounds(): number {
    return this.nTrees / this.nOutputs;
  }

  /** Rows × K raw scores (log-odds, softmax logits, or the regression value). */
  rawScore(X: FeatureMatrix): Float64Array {
    checkMatrixWidth(X, this.nFeatures);
    const f = this.flat;
    const K = this.nOutputs;
    const rows = X.rows;
    const cols = X.cols;
    const x = X.values;
    const out = new Float64Array(rows * K);
    for (let r = 0; r < rows; r++) out.set(f.baseline, r * K);
    const { feature, threshold, left, right, missingLeft, values, treeNodeOffset, treeLeafOffset } =
      f;
    for (let t = 0; t < this.nTrees; t++) {
      const nb = treeNodeOffset[t];
      const lb = treeLeafOffset[t];
      const k = t % K;
      for (let r = 0; r < rows; r++) {
        const xo = r * cols;
        let node = nb;
        let ft = feature[node];
        while (ft >= 0) {
          const v = x[xo + ft];
          const goLeft = v <= threshold[node] || (Number.isNaN(v) && missingLeft[node] === 1);
          node = nb + (goLeft ? left[node] : right[node]);
          ft = feature[node];
        }
        out[r * K + k] += values[lb + left[node]];
      }
    }
    return out;
  }

  predict(X: FeatureMatrix): Float64Array {
    if (this.task === "regression") return this.rawScore(X);
    const C = this.nClasses;
    const proba = this.predictProba(X);
    const out = new Float64Array(X.rows);
    for (let r = 0; r < X.rows; r++) out[r] = argmax(proba, r * C, C);
    return out;
  }

  predictProba(X: FeatureMatrix): Float64Array {
    if (this.task === "regression") {
      throw new SpecError(
        "predictProba needs a classification model; this model is a regressor. Use predict.",
      );
    }
    return probabilitiesOf(this.rawScore(X), X.rows, this.nOutputs, this.nClasses);
  }

  /**
   * The trees of output k as a forest-shaped regression ensemble (for TreeSHAP, which takes
   * the mean over trees: multiply by the tree count for the sum), with its node cover.
   */
  outputForest(k: number): { flat: FlatForest; cover: Float64Array; trees: number } {
    const f = this.flat;
    const K = this.nOutputs;
    const picked: number[] = [];
    for (let t = k; t < this.nTrees; t += K) picked.push(t);
    let nodes = 0;
    let leaves = 0;
    for (const t of picked) {
      nodes += f.treeNodeOffset[t + 1] - f.treeNodeOffset[t];
      leaves += f.treeLeafOffset[t + 1] - f.treeLeafOffset[t];
    }
    const treeNodeOffset = new Int32Array(picked.length + 1);
    const treeLeafOffset = new Int32Array(picked.length + 1);
    const feature = new Int32Array(nodes);
    const threshold = new Float64Array(nodes);
    const left = new Int32Array(nodes);
    const right = new Int32Array(nodes);
    const missingLeft = new Uint8Array(nodes);
    const cover = new Float64Array(nodes);
    const values = new Float64Array(leaves);
    picked.forEach((t, i) => {
      const [n0, n1] = [f.treeNodeOffset[t], f.treeNodeOffset[t + 1]];
      const [l0, l1] = [f.treeLeafOffset[t], f.treeLeafOffset[t + 1]];
      const no = treeNodeOffset[i];
      const lo = treeLeafOffset[i];
      feature.set(f.feature.subarray(n0, n1), no);
      threshold.set(f.threshold.subarray(n0, n1), no);
      left.set(f.left.subarray(n0, n1), no);
      right.set(f.right.subarray(n0, n1), no);
      missingLeft.set(f.missingLeft.subarray(n0, n1), no);
      cover.set(f.cover.subarray(n0, n1), no);
      values.set(f.values.subarray(l0, l1), lo);
      treeNodeOffset[i + 1] = no + (n1 - n0);
      treeLeafOffset[i + 1] = lo + (l1 - l0);
    });
    const flat: FlatForest = {
      task: "regression",
      nFeatures: f.nFeatures,
      nClasses: 0,
      treeNodeOffset,
      treeLeafOffset,
      feature,
      threshold,
      left,
      right,
      missingLeft,
      values,
      featureImportance: f.featureImportance,
      oobScore: null,
    };
    return { flat, cover, trees: picked.length };
  }
}

/**
 * Exact TreeSHAP of a boosted model, through the public TreeSHAP of tree-shap.ts. A boosted
 * model's raw score of output k is its baseline plus the SUM of its trees for k, while
 * `treeShap` explains the MEAN of a forest's trees: so each output's trees are explained as
 * one forest and scaled by their count, and the baseline is added to the expected value.
 * Additivity holds: expected + Σ contributions = the raw score (log-odds of class 1 for a
 * binary classifier, the softmax logit of each class, or the regression value), which is what
 * shap's TreeExplainer explains for XGBoost and LightGBM.
 *
 * The cover is the training rows (of the round's sample) that reached each node when the
 * tree was grown, stored in the model (LightGBM's `internal_count`; XGBoost's cover is the
 * hessian sum instead).
 */
import type { BoostedModel } from "../boosting/boosted-model.ts";
import type { FeatureMatrix } from "../data/frame.ts";
import { type ShapValues, treeShap } from "./tree-shap.ts";

export function boostingShap(model: BoostedModel, X: FeatureMatrix): ShapValues {
  const K = model.nOutputs;
  const F = model.nFeatures;
  const values = new Float64Array(X.rows * F * K);
  const expected = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const { flat, cover, trees } = model.outputForest(k);
    const shap = treeShap(flat, cover, X);
    expected[k] = model.flat.baseline[k] + shap.expected[0] * trees;
    for (let i = 0; i < X.rows * F; i++) values[i * K + k] = shap.values[i] * trees;
  }
  return { rows: X.rows, features: F, outputs: K, values, expected };
}

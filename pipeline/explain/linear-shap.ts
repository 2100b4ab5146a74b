/**
 * Exact SHAP values of a linear model: feature f contributes w_kf · (x_f − mean_f) to output
 * k, against the expected value b_k + Σ w_kf · mean_f, with the means of the training rows
 * (shap's LinearExplainer with `feature_perturbation="interventional"` and the training data as
 * background). Additivity is exact: expected + Σ contributions = the linear score (log-odds of
 * class 1 for a binary classifier, each class's softmax logit, or the value).
 */
import type { FeatureMatrix } from "../data/frame.ts";
import { checkMatrixWidth } from "../forest/forest-model.ts";
import type { LinearModel } from "../linear/linear-model.ts";
import type { ShapValues } from "./tree-shap.ts";

export function linearShap(model: LinearModel, X: FeatureMatrix): ShapValues {
  checkMatrixWidth(X, model.nFeatures);
  const { coef, intercept, featureMean } = model.flat;
  const K = model.nOutputs;
  const F = model.nFeatures;
  const values = new Float64Array(X.rows * F * K);
  const expected = Float64Array.from(intercept);
  for (let k = 0; k < K; k++)
    for (let f = 0; f < F; f++) expected[k] += coef[k * F + f] * featureMean[f];
  for (let r = 0; r < X.rows; r++) {
    for (let f = 0; f < F; f++) {
      const d = X.values[r * F + f] - featureMean[f];
      for (let k = 0; k < K; k++) values[(r * F + f) * K + k] = coef[k * F + f] * d;
    }
  }
  return { rows: X.rows, features: F, outputs: K, values, expected };
}

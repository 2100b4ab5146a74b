/**
 * A fitted linear model on the preprocessor's (scaled) features: K rows of coefficients and
 * K intercepts. K = 1 for ridge regression and binary logistic regression (the log-odds of
 * class 1, as scikit-learn's `coef_` of shape (1, F)), or the class count for multinomial
 * logistic regression (softmax over K linear scores, scikit-learn's `multi_class="multinomial"`).
 */

import { probabilitiesOf } from "../boosting/losses.ts";
import type { FeatureMatrix } from "../data/frame.ts";
import { SpecError } from "../errors.ts";
import { argmax, checkMatrixWidth } from "../forest/forest-model.ts";
import type { ForestTask } from "../forest/types.ts";

export type LinearKind = "logistic-regression" | "linear-regression";

export interface FlatLinear {
  kind: LinearKind;
  task: ForestTask;
  nFeatures: number;
  /** 0 for regression. */
  nClasses: number;
  /** K × features, row-major. */
  coef: Float64Array;
  /** K entries. */
  intercept: Float64Array;
  /** The training mean of each feature: the expectation linear SHAP explains against. */
  featureMean: Float64Array;
  /** Mean |contribution| per feature on the training rows (summed over outputs), normalized to 1. */
  featureImportance: Float64Array;
  /** C (logistic regression) or alpha (ridge) the model was fitted with. */
  regularization: number;
}

export class LinearModel {
  readonly engine = "orchard" as const;
  readonly oobScore = null;
  readonly kind: LinearKind;
  readonly task: ForestTask;
  readonly nFeatures: number;
  readonly nClasses: number;
  readonly featureImportance: Float64Array;
  readonly flat: FlatLinear;

  constructor(flat: FlatLinear) {
    this.flat = flat;
    this.kind = flat.kind;
    this.task = flat.task;
    this.nFeatures = flat.nFeatures;
    this.nClasses = flat.nClasses;
    this.featureImportance = flat.featureImportance;
  }

  get nOutputs(): number {
    return this.flat.intercept.length;
  }

  /** Rows × K linear scores (log-odds / softmax logits / the value). */
  rawScore(X: FeatureMatrix): Float64Array {
    checkMatrixWidth(X, this.nFeatures);
    const { coef, intercept } = this.flat;
    const K = this.nOutputs;
    const F = this.nFeatures;
    const out = new Float64Array(X.rows * K);
    for (let r = 0; r < X.rows; r++) {
      const xo = r * F;
      for (let k = 0; k < K; k++) {
        let z = intercept[k];
        const wo = k * F;
        for (let f = 0; f < F; f++) z += coef[wo + f] * X.values[xo + f];
        out[r * K + k] = z;
      }
    }
    return out;
  }

  predict(X: FeatureMatrix): Float64Array {
    if (this.task === "regression") return this.rawScore(X);
    const C = this.nClasses;
    const proba = this.predictProba(X);
    return Float64Array.from({ length: X.rows }, (_, r) => argmax(proba, r * C, C));
  }

  predictProba(X: FeatureMatrix): Float64Array {
    if (this.task === "regression") {
      throw new SpecError(
        "predictProba needs a classification model; this model is a regressor. Use predict.",
      );
    }
    return probabilitiesOf(this.rawScore(X), X.rows, this.nOutputs, this.nClasses);
  }
}

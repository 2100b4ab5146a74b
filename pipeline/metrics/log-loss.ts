/**
 * Cross-entropy of class probabilities (rows x nClasses, row-major), as scikit-learn computes
 * it: each probability is clipped to [eps, 1 - eps] with eps the float64 machine epsilon, each
 * row is renormalized to sum to 1, and the loss is the mean of -ln p(true class).
 */

import { checkCodes, checkNonEmpty, checkProba } from "./check.ts";

export function logLoss(yTrue: Int32Array, proba: Float64Array, nClasses: number): number {
  checkNonEmpty(yTrue.length);
  checkCodes(yTrue, nClasses, "yTrue");
  checkProba(proba, yTrue.length, nClasses);
  const eps = Number.EPSILON;
  const clip = (p: number) => Math.min(Math.max(p, eps), 1 - eps);
  let total = 0;
  for (let r = 0; r < yTrue.length; r++) {
    let rowSum = 0;
    for (let c = 0; c < nClasses; c++) rowSum += clip(proba[r * nClasses + c]);
    total += -Math.log(clip(proba[r * nClasses + yTrue[r]]) / rowSum);
  }
  return total / yTrue.length;
}

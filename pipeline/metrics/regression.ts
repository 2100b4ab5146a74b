/** Regression metrics, matching scikit-learn (R² of a constant target is 1 if predicted exactly, else 0). */

import { checkPair } from "./check.ts";

export function rmse(yTrue: Float64Array, yPred: Float64Array): number {
  checkPair(yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += (yTrue[i] - yPred[i]) ** 2;
  return Math.sqrt(s / yTrue.length);
}

export function mae(yTrue: Float64Array, yPred: Float64Array): number {
  checkPair(yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yTrue[i] - yPred[i]);
  return s / yTrue.length;
}

/** Coefficient of determination; NaN for a single row, where it is not defined. */
export function r2(yTrue: Float64Array, yPred: Float64Array): number {
  checkPair(yTrue, yPred);
  const n = yTrue.length;
  if (n < 2) return Number.NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i];
  mean /= n;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    residual += (yTrue[i] - yPred[i]) ** 2;
    total += (yTrue[i] - mean) ** 2;
  }
  if (total === 0) return residual === 0 ? 1 : 0;
  return 1 - residual / total;
}

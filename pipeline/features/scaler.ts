/**
 * Numeric scaling fitted on train rows: `(x - center) / scale`. Missing values are ignored
 * when fitting and stay missing when transforming, as in scikit-learn.
 *
 * - standard: StandardScaler — mean and population std (ddof=0) by the corrected two-pass
 *   algorithm; a feature sklearn would call constant (variance within rounding error of 0)
 *   gets scale 1.
 * - robust: RobustScaler — median and the 25–75 interquartile range with NumPy's linear
 *   quantiles; an IQR below 10 machine epsilons gets scale 1.
 */

import { medianSorted, quantileSorted, sortedPresent } from "./values.ts";

export type ScaleKind = "standard" | "robust";

export interface ScalerState {
  center: number;
  scale: number;
}

const EPS = Number.EPSILON;

export function fitScaler(values: Float64Array, kind: ScaleKind): ScalerState {
  return kind === "standard" ? fitStandardScaler(values) : fitRobustScaler(values);
}

export function fitStandardScaler(values: Float64Array): ScalerState {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    sum += v;
    n++;
  }
  if (n === 0) return { center: 0, scale: 1 };
  const mean = sum / n;
  let correction = 0;
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    const d = v - mean;
    correction += d;
    squares += d * d;
  }
  const variance = (squares - (correction * correction) / n) / n;
  // sklearn's _is_constant_feature: the error bound of the two-pass variance.
  const bound = n * EPS * variance + (n * mean * EPS) ** 2;
  const constant = variance <= bound;
  return { center: mean, scale: constant ? 1 : Math.sqrt(variance) };
}

export function fitRobustScaler(values: Float64Array): ScalerState {
  const sorted = sortedPresent(values);
  if (sorted.length === 0) return { center: 0, scale: 1 };
  const iqr = quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25);
  return { center: medianSorted(sorted), scale: iqr < 10 * EPS ? 1 : iqr };
}

export function applyScaler(values: Float64Array, state: ScalerState): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = (values[i] - state.center) / state.scale;
  return out;
}

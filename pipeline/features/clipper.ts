/**
 * Outlier clipping learned on train rows: values are clamped to
 * `[Q1 - k·IQR, Q3 + k·IQR]` with NumPy-linear quartiles of the present train values.
 * Missing values stay missing; a column with no present train value is not clipped.
 */

import { quantileSorted, sortedPresent } from "./values.ts";

export interface ClipperState {
  low: number;
  high: number;
}

export function fitClipper(values: Float64Array, iqrMultiplier: number): ClipperState {
  const sorted = sortedPresent(values);
  if (sorted.length === 0) {
    return { low: Number.NEGATIVE_INFINITY, high: Number.POSITIVE_INFINITY };
  }
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const iqr = q3 - q1;
  return { low: q1 - iqrMultiplier * iqr, high: q3 + iqrMultiplier * iqr };
}

export function applyClipper(values: Float64Array, state: ClipperState): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    out[i] = Math.min(Math.max(values[i], state.low), state.high);
  }
  return out;
}

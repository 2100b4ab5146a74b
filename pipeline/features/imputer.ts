/**
 * Missing-value imputation, fitted on train rows only. Numeric strategies follow
 * scikit-learn's SimpleImputer (mean and median ignore missing values); categorical
 * `most_frequent` breaks ties by the smallest value in code-point order, as SimpleImputer does.
 *
 * One deliberate difference: a train column with no present value at all imputes 0 for
 * `mean`/`median` (SimpleImputer's `keep_empty_features=True`) instead of dropping the column,
 * and `most_frequent` leaves it missing (one-hot then encodes all zeros).
 */

import { SpecError } from "../errors.ts";
import { compareCodePoints, medianPresent } from "./values.ts";

export type NumericImputeStrategy = "mean" | "median" | "constant" | "none";
export type CategoricalImputeStrategy = "most_frequent" | "constant" | "none";

/** `fill` is the value written into missing cells; `null` leaves them missing. */
export interface NumericImputerState {
  fill: number | null;
}

export interface CategoricalImputerState {
  fill: string | null;
}

/** SimpleImputer's default constant for text columns. */
export const DEFAULT_CATEGORICAL_FILL = "missing_value";

export function fitNumericImputer(
  values: Float64Array,
  strategy: NumericImputeStrategy,
  fillValue?: number | string,
): NumericImputerState {
  switch (strategy) {
    case "none":
      return { fill: null };
    case "constant": {
      if (fillValue === undefined) return { fill: 0 };
      if (typeof fillValue !== "number" || !Number.isFinite(fillValue)) {
        throw new SpecError(
          `preprocessing.impute.numericFillValue must be a finite number when numeric imputation is "constant", got ${JSON.stringify(fillValue)}; set a number or use "mean"/"median"`,
          { path: "preprocessing.impute.numericFillValue" },
        );
      }
      return { fill: fillValue };
    }
    case "mean": {
      let sum = 0;
      let count = 0;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (Number.isNaN(v)) continue;
        sum += v;
        count++;
      }
      return { fill: count === 0 ? 0 : sum / count };
    }
    case "median": {
      const median = medianPresent(values);
      return { fill: Number.isNaN(median) ? 0 : median };
    }
  }
}

/** A copy of `values` with missing cells replaced by the fitted fill (if any). */
export function applyNumericImputer(
  values: Float64Array,
  state: NumericImputerState,
): Float64Array {
  const out = Float64Array.from(values);
  if (state.fill === null) return out;
  for (let i = 0; i < out.length; i++) if (Number.isNaN(out[i])) out[i] = state.fill;
  return out;
}

export function fitCategoricalImputer(
  values: readonly (string | null)[],
  strategy: CategoricalImputeStrategy,
  fillValue?: number | string,
): CategoricalImputerState {
  switch (strategy) {
    case "none":
      return { fill: null };
    case "constant":
      return { fill: fillValue === undefined ? DEFAULT_CATEGORICAL_FILL : String(fillValue) };
    case "most_frequent":
      return { fill: mostFrequent(values) };
  }
}

export function applyCategoricalImputer(
  values: readonly (string | null)[],
  state: CategoricalImputerState,
): (string | null)[] {
  const fill = state.fill;
  return fill === null ? [...values] : values.map((v) => (v === null ? fill : v));
}

/** The most frequent present value, the smallest one on ties; null if none is present. */
export function mostFrequent(values: readonly (string | null)[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  let bestCount = 0;
  for (const [v, c] of counts) {
    if (c > bestCount || (c === bestCount && best !== null && compareCodePoints(v, best) < 0)) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

/**
 * Per-row explanations in the user's terms: TreeSHAP values of the preprocessed columns,
 * summed back to the raw feature each column came from (a one-hot block to its categorical
 * column), so contributions name the columns of the input file. Summing keeps additivity:
 * expectedValue + Σ contributions = the explained output.
 *
 * Classification explains the probability of the predicted class; regression the value.
 */

import { BoostedModel } from "../boosting/boosted-model.ts";
import type { FeatureMatrix, Frame } from "../data/frame.ts";
import { ArtifactError, SpecError } from "../errors.ts";
import { OrchardForestModel } from "../forest/forest-model.ts";
import { LinearModel } from "../linear/linear-model.ts";
import type { ModelBundle } from "../model/bundle.ts";
import { type RawRow, rowsToFrame } from "../model/schema.ts";
import { boostingShap } from "./boosting-shap.ts";
import { linearShap } from "./linear-shap.ts";
import { type ShapValues, treeShap } from "./tree-shap.ts";

export interface Explanation {
  /** The explained output: the predicted class label, or null for regression. */
  class: string | null;
  /** The output's expected value under the training cover. */
  expectedValue: number;
  /** The explained output for this row (expectedValue + Σ contributions). */
  output: number;
  /** Per raw feature, in the model's feature order. */
  contributions: Record<string, number>;
}

/** The raw feature of each preprocessed column (numeric as named, `name=level` to `name`). */
export function rawFeatureOf(
  outputNames: readonly string[],
  features: { numeric: readonly string[]; categorical: readonly string[] },
): string[] {
  const numeric = new Set(features.numeric);
  // Longest name first, so `a=b` as a column name wins over `a` for `a=b=c`.
  const categorical = [...features.categorical].sort((a, b) => b.length - a.length);
  return outputNames.map((name) => {
    if (numeric.has(name)) return name;
    const owner = categorical.find((c) => name.startsWith(`${c}=`));
    if (!owner) {
      throw new ArtifactError(
        `model column "${name}" belongs to no feature of the model's schema; the bundle is inconsistent — retrain the model`,
      );
    }
    return owner;
  });
}

/**
 * Whether explaining the bundle needs a stored cover (a forest) or not (a boosted model
 * carries its own, see boosting-shap.ts; a linear model needs none, see linear-shap.ts).
 */
export function needsStoredCover(bundle: ModelBundle): boolean {
  return !(bundle.forest instanceof BoostedModel || bundle.forest instanceof LinearModel);
}

/** SHAP values of X under the model; `cover` is used for forests only. */
function shapOf(bundle: ModelBundle, cover: Float64Array, X: FeatureMatrix): ShapValues {
  if (bundle.forest instanceof BoostedModel) return boostingShap(bundle.forest, X);
  if (bundle.forest instanceof LinearModel) return linearShap(bundle.forest, X);
  return treeShap(orchardForest(bundle).flat, cover, X);
}

export function orchardForest(bundle: ModelBundle): OrchardForestModel {
  if (bundle.forest.engine === "onnx") {
    throw new SpecError(
      "explanations are not available for a custom (ONNX) model: Orchard computes TreeSHAP for the families it trains; predict without --explain",
      { path: "model.type" },
    );
  }
  if (!(bundle.forest instanceof OrchardForestModel)) {
    throw new SpecError(
      `explanations need the orchard forest engine; this model was trained with ${bundle.forest.engine} — set model.engine: orchard and retrain`,
      { path: "model.engine" },
    );
  }
  return bundle.forest;
}

/** One explanation per row, in order. `cover` comes from `nodeCover` over the training rows (in-bag weighted). */
export function explainRows(
  bundle: ModelBundle,
  cover: Float64Array,
  rows: RawRow[],
): Explanation[] {
  const forest = bundle.forest;
  const { schema } = bundle.header;
  const X = bundle.preprocessor.transform(rowsToFrame(schema, rows));
  const shap = shapOf(bundle, cover, X);
  const owners = rawFeatureOf(X.names, schema.features);
  const features = [...schema.features.numeric, ...schema.features.categorical];
  const proba = schema.task === "classification" ? forest.predictProba(X) : null;
  const V = shap.outputs;
  // a binary boosted model has one output, the log-odds of class 1: that class is explained
  const single = proba !== null && V === 1;
  return Array.from({ length: X.rows }, (_, r) => {
    let o = 0;
    if (proba) for (let c = 1; c < V; c++) if (proba[r * V + c] > proba[r * V + o]) o = c;
    const contributions: Record<string, number> = Object.fromEntries(features.map((f) => [f, 0]));
    let sum = shap.expected[o];
    for (let f = 0; f < shap.features; f++) {
      const v = shap.values[(r * shap.features + f) * V + o];
      contributions[owners[f]] += v;
      sum += v;
    }
    return {
      class: proba ? (schema.classes?.[single ? 1 : o] ?? String(o)) : null,
      expectedValue: shap.expected[o],
      output: sum,
      contributions,
    };
  });
}

/**
 * Mean absolute contribution per raw feature over the rows (every output of a classifier
 * averaged), highest first: the report's global view of what drove the model.
 */
export function meanAbsContributions(
  bundle: ModelBundle,
  cover: Float64Array,
  frame: Frame,
): { feature: string; meanAbs: number }[] {
  const X = bundle.preprocessor.transform(frame);
  return meanAbsOf(bundle, X.names, shapOf(bundle, cover, X));
}

/**
 * `meanAbsContributions` from SHAP values computed elsewhere (the report computes them on
 * worker threads, pipeline/explain/shap-parallel.ts; kept apart so that code that only explains
 * in-thread, like the predict handler, does not bundle the worker).
 */
export function meanAbsOf(
  bundle: ModelBundle,
  columns: readonly string[],
  shap: ShapValues,
): { feature: string; meanAbs: number }[] {
  const { schema } = bundle.header;
  const owners = rawFeatureOf(columns, schema.features);
  const features = [...schema.features.numeric, ...schema.features.categorical];
  const total = new Map(features.map((f) => [f, 0]));
  const V = shap.outputs;
  for (let r = 0; r < shap.rows; r++) {
    for (let o = 0; o < V; o++) {
      // Per output, a raw feature's value is the sum over its columns, then its magnitude.
      const perRaw = new Map<string, number>();
      for (let f = 0; f < shap.features; f++) {
        const v = shap.values[(r * shap.features + f) * V + o];
        perRaw.set(owners[f], (perRaw.get(owners[f]) ?? 0) + v);
      }
      for (const [name, v] of perRaw) total.set(name, (total.get(name) ?? 0) + Math.abs(v));
    }
  }
  const n = Math.max(1, shap.rows * V);
  return [...total]
    .map(([feature, t]) => ({ feature, meanAbs: t / n }))
    .sort((a, b) => b.meanAbs - a.meanAbs || (a.feature < b.feature ? -1 : 1));
}

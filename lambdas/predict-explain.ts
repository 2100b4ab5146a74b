/**
 * Explanations for predictions (`orchard predict --explain`, the predict Lambda with
 * `"explain": true`): each prediction gets its TreeSHAP explanation — the expected
 * value of the explained output (the predicted class's probability, or the regression value)
 * and each raw feature's contribution, which add up to that output.
 */

import { loadCover } from "../pipeline/explain/cover-artifact.ts";
import {
  type Explanation,
  explainRows,
  needsStoredCover,
  orchardForest,
} from "../pipeline/explain/explain-rows.ts";
import type { ModelBundle, Prediction } from "../pipeline/model/bundle.ts";
import type { RawRow } from "../pipeline/model/schema.ts";
import { stepDeps } from "./step-handler.ts";

export type ExplainedPrediction = Prediction & { explanation: Explanation };

/** Adds explanations for the champion `version` (its cover is read from the local store). */
export async function withExplanations(
  pipeline: string,
  version: string,
  bundle: ModelBundle,
  rows: RawRow[],
  predictions: Prediction[],
): Promise<ExplainedPrediction[]> {
  const deps = stepDeps();
  const model = await deps.registry.getVersion(pipeline, version);
  if (!model) throw new Error(`registry lost version ${version} of ${pipeline} while predicting`);
  // a boosted model carries its cover; only a forest's is stored next to it
  const cover = needsStoredCover(bundle)
    ? await loadCover(deps.artifacts, pipeline, model, orchardForest(bundle).flat)
    : new Float64Array(0);
  const explained = explainRows(bundle, cover, rows);
  return predictions.map((p, i) => ({ ...p, explanation: explained[i] }));
}

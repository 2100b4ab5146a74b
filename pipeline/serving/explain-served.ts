/**
 * Explanations for served predictions (`"explain": true` on `POST /predict`): each
 * prediction gets the TreeSHAP explanation of the model version that answered it, using the
 * training cover stored next to that version. A model that cannot explain (another forest
 * engine, or no stored cover) is a 501 that says why and what to do, not a 500.
 */
import { ArtifactError, SpecError } from "../errors.ts";
import { loadCover } from "../explain/cover-artifact.ts";
import {
  type Explanation,
  explainRows,
  needsStoredCover,
  orchardForest,
} from "../explain/explain-rows.ts";
import type { ModelBundle, Prediction } from "../model/bundle.ts";
import type { RawRow } from "../model/schema.ts";
import type { ArtifactStore, ModelRegistry } from "../store.ts";
import { ExplanationUnavailableError } from "./errors.ts";

export type ExplainedPrediction = Prediction & { explanation: Explanation };

export interface ExplainSources {
  registry: ModelRegistry;
  artifacts: ArtifactStore;
}

/** The stored training cover of `version` (the explainer's weights per tree node). */
export async function servedCover(
  sources: ExplainSources,
  pipeline: string,
  version: string,
  bundle: ModelBundle,
): Promise<Float64Array> {
  // a boosted model carries its cover; only a forest's is stored next to it
  if (!needsStoredCover(bundle)) return new Float64Array(0);
  try {
    const flat = orchardForest(bundle).flat;
    const model = await sources.registry.getVersion(pipeline, version);
    if (!model) {
      throw new ExplanationUnavailableError(
        `model ${version} of "${pipeline}" is no longer registered; retry the request`,
      );
    }
    return await loadCover(sources.artifacts, pipeline, model, flat);
  } catch (err) {
    if (err instanceof SpecError || err instanceof ArtifactError) {
      throw new ExplanationUnavailableError(err.message);
    }
    throw err;
  }
}

/** `predictions` (of `rows`, in order) each with its explanation under `cover`. */
export function explainPredictions(
  bundle: ModelBundle,
  cover: Float64Array,
  rows: RawRow[],
  predictions: Prediction[],
): ExplainedPrediction[] {
  const explained = explainRows(bundle, cover, rows);
  return predictions.map((p, i) => ({ ...p, explanation: explained[i] }));
}

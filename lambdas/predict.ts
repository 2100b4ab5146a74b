/**
 * Predict: scores raw rows with the pipeline's champion model. The bundle is cached per
 * champion version, so a promotion is picked up on the next call without a redeploy.
 * Event: `{ "rows": [{ column: value, … }] }`; result: `{ "modelVersion", "predictions" }`.
 */
import { OrchardError, TypeMismatchError } from "../pipeline/errors.ts";
import { loadBundle, type ModelBundle, type Prediction } from "../pipeline/model/bundle.ts";
import type { RawRow } from "../pipeline/model/schema.ts";
import { stepDeps, stepHandler } from "./step-handler.ts";

/** No champion yet: nothing can predict until a run promotes a model. */
export class NoChampionError extends OrchardError {}

export interface PredictEvent {
  /** Default: the ORCHARD_PIPELINE environment variable. */
  pipeline?: string;
  rows: RawRow[];
}

export interface PredictResult {
  modelVersion: string;
  predictions: Prediction[];
}

let cached: { key: string; bundle: ModelBundle } | undefined;

/** The champion's bundle for `pipeline`, loaded once per champion version. */
export async function championBundle(
  pipeline: string,
): Promise<{ version: string; bundle: ModelBundle }> {
  const deps = stepDeps();
  const champion = await deps.registry.getChampion(pipeline);
  if (!champion) {
    throw new NoChampionError(
      `pipeline "${pipeline}" has no champion model yet; run the pipeline until a model is promoted`,
    );
  }
  const key = `${pipeline}/${champion.version}`;
  if (cached?.key !== key) {
    cached = {
      key,
      bundle: loadBundle(await deps.artifacts.get(champion.modelUri), champion.modelUri),
    };
  }
  return { version: champion.version, bundle: cached.bundle };
}

export const handler = stepHandler(
  "predict",
  async (event: PredictEvent): Promise<PredictResult> => {
    const pipeline = event.pipeline ?? process.env.ORCHARD_PIPELINE;
    if (!pipeline) {
      throw new TypeMismatchError("no pipeline: pass event.pipeline or set ORCHARD_PIPELINE");
    }
    if (!Array.isArray(event.rows)) {
      throw new TypeMismatchError('the event needs "rows": an array of objects, one per row');
    }
    const { version, bundle } = await championBundle(pipeline);
    return { modelVersion: version, predictions: bundle.predict(event.rows) };
  },
);

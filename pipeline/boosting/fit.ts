/**
 * fitBoosting: checks the inputs once (the forest's checks: shapes, labels, finite targets),
 * then trains.
 */
import type { FeatureMatrix, Target } from "../data/frame.ts";
import { SpecError } from "../errors.ts";
import { checkFitInputs } from "../forest/fit.ts";
import type { BoostedModel } from "./boosted-model.ts";
import { validateBoostingParams } from "./params.ts";
import { trainBoosting } from "./train.ts";
import type { BoostingFitOptions, BoostingParams } from "./types.ts";

export async function fitBoosting(
  X: FeatureMatrix,
  y: Target,
  params: BoostingParams,
  options: BoostingFitOptions = {},
): Promise<BoostedModel> {
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new SpecError(
      `workers must be a whole number >= 1, got ${String(workers)}. Use 1, or os.availableParallelism() for every core.`,
      { path: "workers" },
    );
  }
  validateBoostingParams(params);
  checkFitInputs(X, y);
  return trainBoosting(X, y, params, workers);
}

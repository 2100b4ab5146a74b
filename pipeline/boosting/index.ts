/** Orchard's histogram gradient boosting: fit, predict, serialize. */
export { BoostedModel, type FlatBoosting } from "./boosted-model.ts";
export { fitBoosting } from "./fit.ts";
export {
  AUTO_EARLY_STOPPING_ROWS,
  defaultBoostingParams,
  validateBoostingParams,
} from "./params.ts";
export { deserializeBoosting, serializeBoosting } from "./serialize.ts";
export type { BoostingFitOptions, BoostingParams, RegressionLoss } from "./types.ts";

/** Orchard's random forests: fit, predict, serialize. */
export { fitForest } from "./fit.ts";
export { type FlatForest, OrchardForestModel } from "./forest-model.ts";
export { defaultForestParams, resolveMaxFeatures, validateForestParams } from "./params.ts";
export { deserializeForest, serializeForest } from "./serialize.ts";
export type {
  Engine,
  FitOptions,
  ForestModel,
  ForestParams,
  ForestTask,
  MaxFeatures,
} from "./types.ts";

/** Orchard's linear models: L2-regularized logistic regression (L-BFGS) and ridge regression. */
export { fitLinear, type LinearParams } from "./fit-linear.ts";
export { type FlatLinear, type LinearKind, LinearModel } from "./linear-model.ts";
export { deserializeLinear, isLinearArtifact, serializeLinear } from "./serialize.ts";

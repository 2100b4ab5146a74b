/** The pipeline spec: parse and validate YAML, resolve the source, name metrics. */

export { DEFAULT_SEED } from "./apply-defaults.ts";
export { closestMatch, didYouMean, levenshtein } from "./did-you-mean.ts";
export { resolveMaxFeatures } from "./max-features.ts";
export {
  CLASSIFICATION_METRICS,
  type ClassificationMetric,
  defaultMetric,
  METRICS,
  metricDirection,
  metricsForTask,
  REGRESSION_METRICS,
  type RegressionMetric,
} from "./metric-names.ts";
export { parseSpec } from "./parse-spec.ts";
export {
  formatFromUri,
  type ResolvedSource,
  resolveSourceUri,
  sourceUriProblem,
} from "./source-uri.ts";
export type * from "./types.ts";

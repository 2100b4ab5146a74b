/**
 * The metric names a spec may use, which task each belongs to, and which way is better.
 * `search.metric` and `gate.metric` are validated against these lists.
 */

export const CLASSIFICATION_METRICS = [
  "accuracy",
  "f1_macro",
  "f1_weighted",
  "precision_macro",
  "recall_macro",
  "roc_auc",
  "log_loss",
] as const;

export const REGRESSION_METRICS = ["rmse", "mae", "r2"] as const;

export const METRICS = [...CLASSIFICATION_METRICS, ...REGRESSION_METRICS] as const;

export type ClassificationMetric = (typeof CLASSIFICATION_METRICS)[number];
export type RegressionMetric = (typeof REGRESSION_METRICS)[number];
export type Metric = ClassificationMetric | RegressionMetric;

export type Task = "classification" | "regression";

const LOWER_IS_BETTER: ReadonlySet<Metric> = new Set<Metric>(["log_loss", "rmse", "mae"]);

/** Whether a larger value of `metric` is better ("higher") or a smaller one ("lower"). */
export function metricDirection(metric: Metric): "higher" | "lower" {
  return LOWER_IS_BETTER.has(metric) ? "lower" : "higher";
}

/** The metrics that make sense for `task`. */
export function metricsForTask(task: Task): readonly Metric[] {
  return task === "classification" ? CLASSIFICATION_METRICS : REGRESSION_METRICS;
}

/** `accuracy` for classification, `rmse` for regression. */
export function defaultMetric(task: Task): Metric {
  return task === "classification" ? "accuracy" : "rmse";
}

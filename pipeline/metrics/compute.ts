/**
 * The named metric records a run reports and gates on. Names are sklearn's scorer names
 * without the `neg_` prefix; `metricDirection` says which way is better.
 */

import { SpecError } from "../errors.ts";
import { accuracy, precisionRecallF1 } from "./classification.ts";
import { logLoss } from "./log-loss.ts";
import { mae, r2, rmse } from "./regression.ts";
import { rocAuc } from "./roc-auc.ts";

export interface ClassificationMetrics {
  accuracy: number;
  f1_macro: number;
  f1_weighted: number;
  precision_macro: number;
  recall_macro: number;
  /** Present when probabilities were given. */
  log_loss?: number;
  /** Present when probabilities were given and every class occurs in yTrue (not all rows one class). */
  roc_auc?: number;
}

export interface RegressionMetrics {
  rmse: number;
  mae: number;
  r2: number;
}

export type ClassificationMetricName = keyof ClassificationMetrics;
export type RegressionMetricName = keyof RegressionMetrics;
export type MetricName = ClassificationMetricName | RegressionMetricName;

const DIRECTIONS: Record<MetricName, "higher" | "lower"> = {
  accuracy: "higher",
  f1_macro: "higher",
  f1_weighted: "higher",
  precision_macro: "higher",
  recall_macro: "higher",
  roc_auc: "higher",
  log_loss: "lower",
  rmse: "lower",
  mae: "lower",
  r2: "higher",
};

export const METRIC_NAMES = Object.keys(DIRECTIONS) as MetricName[];

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(DIRECTIONS, name);
}

/** Whether a larger value of the metric is better. Unknown names throw SpecError. */
export function metricDirection(name: string): "higher" | "lower" {
  if (!isMetricName(name)) {
    throw new SpecError(`unknown metric "${name}"; use one of ${METRIC_NAMES.join(", ")}`, {
      path: "metric",
    });
  }
  return DIRECTIONS[name];
}

export function computeMetrics(
  task: "classification",
  yTrue: Int32Array,
  yPred: Int32Array,
  proba: Float64Array | undefined,
  nClasses: number,
): ClassificationMetrics;
export function computeMetrics(
  task: "regression",
  yTrue: Float64Array,
  yPred: Float64Array,
): RegressionMetrics;
export function computeMetrics(
  task: "classification" | "regression",
  yTrue: Int32Array | Float64Array,
  yPred: Int32Array | Float64Array,
  proba?: Float64Array,
  nClasses?: number,
): ClassificationMetrics | RegressionMetrics {
  if (task === "regression") {
    const t = yTrue as Float64Array;
    const p = yPred as Float64Array;
    return { rmse: rmse(t, p), mae: mae(t, p), r2: r2(t, p) };
  }
  if (nClasses === undefined) throw new RangeError("classification metrics need nClasses");
  const t = yTrue as Int32Array;
  const p = yPred as Int32Array;
  const prf = precisionRecallF1(t, p, nClasses);
  const out: ClassificationMetrics = {
    accuracy: accuracy(t, p),
    f1_macro: prf.macro.f1,
    f1_weighted: prf.weighted.f1,
    precision_macro: prf.macro.precision,
    recall_macro: prf.macro.recall,
  };
  if (proba !== undefined) {
    out.log_loss = logLoss(t, proba, nClasses);
    const auc = rocAuc(t, proba, nClasses);
    if (auc !== undefined) out.roc_auc = auc;
  }
  return out;
}

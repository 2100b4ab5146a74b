/**
 * CloudWatch embedded metric format (EMF) for predict requests: one JSON log line that
 * CloudWatch turns into metrics without an API call. Namespace `Orchard/Serving`, dimensions
 * `Pipeline` and `Pipeline, ModelVersion` (so a canary's new version can be compared with the
 * champion). Metrics: `Latency` (ms), `Rows`, `ClientErrors`, `ServerErrors`, and the
 * prediction distribution: `Predicted_<label>` counts for classification, `Prediction`
 * (up to 100 values, CloudWatch's per-line limit) for regression.
 *
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
import type { Prediction } from "../model/bundle.ts";

export const METRIC_NAMESPACE = "Orchard/Serving";
/** EMF allows 100 metrics per directive and 100 values per metric. */
const MAX_METRICS = 100;
const MAX_VALUES = 100;

export interface RequestMetrics {
  pipeline: string;
  /** The model that answered; absent when the request was refused before a model was chosen. */
  modelVersion?: string;
  status: number;
  latencyMs: number;
  rows: number;
  predictions?: Prediction[];
}

export interface EmfMetric {
  Name: string;
  Unit: "Milliseconds" | "Count" | "None";
}

/** Counts per predicted label, or the predicted values (regression). */
export function predictionDistribution(predictions: Prediction[]): {
  counts?: Record<string, number>;
  values?: number[];
} {
  if (predictions.length === 0) return {};
  if (typeof predictions[0].prediction === "number") {
    return { values: predictions.slice(0, MAX_VALUES).map((p) => Number(p.prediction)) };
  }
  // Every class appears, zeros included, so sums over a window compare like for like.
  const counts: Record<string, number> = Object.create(null);
  for (const label of Object.keys(predictions[0].probabilities ?? {})) counts[label] = 0;
  for (const p of predictions)
    counts[String(p.prediction)] = (counts[String(p.prediction)] ?? 0) + 1;
  return { counts };
}

/** The EMF object for one request (serialize it as one line). */
export function emfRecord(m: RequestMetrics, now: Date): Record<string, unknown> {
  const metrics: EmfMetric[] = [
    { Name: "Latency", Unit: "Milliseconds" },
    { Name: "Rows", Unit: "Count" },
    { Name: "ClientErrors", Unit: "Count" },
    { Name: "ServerErrors", Unit: "Count" },
  ];
  const record: Record<string, unknown> = {
    Pipeline: m.pipeline,
    Latency: Math.round(m.latencyMs * 1000) / 1000,
    Rows: m.rows,
    ClientErrors: m.status >= 400 && m.status < 500 ? 1 : 0,
    ServerErrors: m.status >= 500 ? 1 : 0,
    StatusCode: m.status,
  };
  const dist = predictionDistribution(m.predictions ?? []);
  if (dist.values) {
    metrics.push({ Name: "Prediction", Unit: "None" });
    record.Prediction = dist.values;
  }
  for (const [label, count] of Object.entries(dist.counts ?? {})) {
    if (metrics.length >= MAX_METRICS) break;
    const name = `Predicted_${label}`.slice(0, 255);
    metrics.push({ Name: name, Unit: "Count" });
    record[name] = count;
  }
  const dimensions = m.modelVersion ? [["Pipeline"], ["Pipeline", "ModelVersion"]] : [["Pipeline"]];
  if (m.modelVersion) record.ModelVersion = m.modelVersion;
  return {
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [
        { Namespace: METRIC_NAMESPACE, Dimensions: dimensions, Metrics: metrics },
      ],
    },
    ...record,
  };
}

/**
 * CloudWatch embedded metric format (EMF): one JSON log line that CloudWatch Logs turns into
 * metrics, with no PutMetricData call (and no IAM grant for one). The dashboard and alarms in
 * infra/monitoring.ts read these: namespace `Orchard`, dimension `Pipeline`, one metric per
 * held-out model metric (its own name, e.g. `accuracy`) and `MaxPSI` / `DriftedFeatures`.
 *
 * Written to stderr like the logs (Lambda sends both to CloudWatch) and silenced with
 * ORCHARD_LOG_LEVEL=silent, as `orchard run` does, so a local run's output stays clean.
 *
 * The document is built by Powertools for AWS Lambda's Metrics (metric name, unit and value
 * checks, the EMF schema). Powertools adds a
 * `service` dimension to every metric by default; it is cleared here, so the dimension set is
 * exactly `METRIC_DIMENSIONS`, the one the alarms and the dashboard read (test/infra/
 * monitoring.test.ts checks the two agree). The line is written here, not by
 * `publishStoredMetrics()`, which prints to stdout.
 */
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { DriftOutput } from "../../pipeline/steps/types.ts";

export const METRIC_NAMESPACE = "Orchard";
/** The one dimension of every metric; infra/monitoring.ts's alarms use the same set. */
export const METRIC_DIMENSIONS = ["Pipeline"] as const;
export const DRIFT_METRICS = { maxPsi: "MaxPSI", driftedFeatures: "DriftedFeatures" } as const;

export interface EmfMetric {
  name: string;
  value: number;
  unit?: "None" | "Count";
}

function powertoolsMetrics(pipeline: string): Metrics {
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE });
  metrics.clearDefaultDimensions(); // the `service` dimension no alarm reads
  metrics.addDimension(METRIC_DIMENSIONS[0], pipeline);
  return metrics;
}

/** The EMF document for metrics of one pipeline at `timestamp` (ms); non-finite values are left out. */
export function emfRecord(pipeline: string, metrics: EmfMetric[], timestamp: number): object {
  const powertools = powertoolsMetrics(pipeline);
  for (const m of metrics) {
    if (!Number.isFinite(m.value)) continue;
    powertools.addMetric(
      m.name,
      m.unit === "Count" ? MetricUnit.Count : MetricUnit.NoUnit,
      m.value,
    );
  }
  const record = powertools.serializeMetrics();
  // Set after: Powertools' setTimestamp refuses times over 14 days old (replays, tests).
  record._aws.Timestamp = timestamp;
  return record;
}

export type EmfWriter = (line: string) => void;

const stderrWriter: EmfWriter = (line) => process.stderr.write(`${line}\n`);

function emit(pipeline: string, metrics: EmfMetric[], write: EmfWriter): void {
  if (process.env.ORCHARD_LOG_LEVEL?.trim().toLowerCase() === "silent") return;
  if (!metrics.some((m) => Number.isFinite(m.value))) return;
  write(JSON.stringify(emfRecord(pipeline, metrics, Date.now())));
}

/** Every finite held-out metric of the run's model. */
export function emitModelMetrics(pipeline: string, metrics: object, write = stderrWriter): void {
  const list = Object.entries(metrics)
    .filter(([, v]) => typeof v === "number")
    .map(([name, value]) => ({ name, value: value as number }));
  emit(pipeline, list, write);
}

export function emitDriftMetrics(pipeline: string, drift: DriftOutput, write = stderrWriter): void {
  emit(
    pipeline,
    [
      { name: DRIFT_METRICS.maxPsi, value: drift.maxPsi ?? Number.NaN },
      { name: DRIFT_METRICS.driftedFeatures, value: drift.driftedFeatures.length, unit: "Count" },
    ],
    write,
  );
}

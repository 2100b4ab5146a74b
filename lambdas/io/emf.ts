/**
 * CloudWatch embedded metric format (EMF): one JSON log line that CloudWatch Logs turns into
 * metrics, with no PutMetricData call (and no IAM grant for one). The dashboard and alarms in
 * infra/monitoring.ts read these: namespace `Orchard`, dimension `Pipeline`, one metric per
 * held-out model metric (its own name, e.g. `accuracy`) and `MaxPSI` / `DriftedFeatures`.
 *
 * Written to stderr like the logs (Lambda sends both to CloudWatch) and silenced with
 * ORCHARD_LOG_LEVEL=silent, as `orchard run` does, so a local run's output stays clean.
 */
import type { DriftOutput } from "../../pipeline/steps/types.ts";

export const METRIC_NAMESPACE = "Orchard";
export const DRIFT_METRICS = { maxPsi: "MaxPSI", driftedFeatures: "DriftedFeatures" } as const;

export interface EmfMetric {
  name: string;
  value: number;
  unit?: "None" | "Count";
}

/** The EMF document for metrics of one pipeline at `timestamp` (ms); non-finite values are left out. */
export function emfRecord(pipeline: string, metrics: EmfMetric[], timestamp: number): object {
  const kept = metrics.filter((m) => Number.isFinite(m.value));
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [["Pipeline"]],
          Metrics: kept.map((m) => ({ Name: m.name, Unit: m.unit ?? "None" })),
        },
      ],
    },
    Pipeline: pipeline,
    ...Object.fromEntries(kept.map((m) => [m.name, m.value])),
  };
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

/**
 * The Monitor's CloudWatch metrics as one embedded-metric-format record (no PutMetricData
 * call, no grant): namespace `Orchard`, dimension `Pipeline`, the champion's live gate metric
 * as `Live_<metric>` (e.g. `Live_accuracy`), its labeled and captured prediction counts, label
 * coverage, the live inputs' maximum PSI, and `MonitorAlarm` (1 when the verdict is an alarm).
 * A CloudWatch alarm on `MonitorAlarm >= 1` is what a retrain trigger listens to.
 */
import type { MonitorReport } from "./monitor.ts";

export const MONITOR_NAMESPACE = "Orchard";
export const MONITOR_ALARM_METRIC = "MonitorAlarm";

export function monitorEmfRecord(
  report: MonitorReport,
  timestamp: number,
): Record<string, unknown> {
  const champion = report.versions.find((v) => v.version === report.champion);
  const values: [string, number, "None" | "Count"][] = [
    [`Live_${report.gate.metric}`, report.gate.value ?? Number.NaN, "None"],
    ["LabeledPredictions", champion?.labeled ?? 0, "Count"],
    ["CapturedPredictions", report.captured, "Count"],
    ["LabelCoverage", champion ? champion.coverage : Number.NaN, "None"],
    ["LiveMaxPSI", report.drift?.maxPsi ?? Number.NaN, "None"],
    [MONITOR_ALARM_METRIC, report.alarm ? 1 : 0, "Count"],
  ];
  const kept = values.filter(([, v]) => Number.isFinite(v));
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: MONITOR_NAMESPACE,
          Dimensions: [["Pipeline"]],
          Metrics: kept.map(([name, , unit]) => ({ Name: name, Unit: unit })),
        },
      ],
    },
    Pipeline: report.pipeline,
    ...Object.fromEntries(kept.map(([name, value]) => [name, value])),
  };
}

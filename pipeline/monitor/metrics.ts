/**
 * The Monitor's CloudWatch metrics as one embedded-metric-format record (no PutMetricData
 * call, no grant): namespace `Orchard`, dimension `Pipeline`, the champion's live gate metric
 * as `Live_<metric>` (e.g. `Live_accuracy`), the bound it is judged against (`LiveGateBound`,
 * the gate's own or the held-out value worsened by `monitor.tolerance`), its labeled and
 * captured prediction counts, label coverage, the live inputs' maximum PSI, `MonitorAlarm`
 * (1 when the verdict is an alarm) and `RetrainStarted` (1 when this run recorded a retrain:
 * an alarm outside the cool-down).
 *
 * The stack's live-gate alarm (infra/monitor.ts) is metric math over these, built here by
 * `liveGateAlarmExpression` so the names it reads are the names written: the live metric past
 * its bound, on at least `minLabels` labels, in a run that recorded a retrain. The last term is
 * the cool-down: the alarm (and the EventBridge rule that starts the pipeline on its change to
 * ALARM) cannot know when the last retrain started, the Monitor can
 * (`<pipeline>/monitor/state.json`). Each run inside the cool-down writes 0, so the alarm
 * returns to OK and the next retrain is a new state change.
 */
import type { MonitorReport } from "./monitor.ts";

export const MONITOR_NAMESPACE = "Orchard";
export const MONITOR_DIMENSION = "Pipeline";
export const MONITOR_ALARM_METRIC = "MonitorAlarm";
export const LIVE_GATE_BOUND_METRIC = "LiveGateBound";
export const LABELED_METRIC = "LabeledPredictions";
export const RETRAIN_STARTED_METRIC = "RetrainStarted";

/** `Live_<gate metric>`, e.g. `Live_accuracy`. */
export function liveMetricName(metric: string): string {
  return `Live_${metric}`;
}

export function monitorEmfRecord(
  report: MonitorReport,
  timestamp: number,
  retrain?: { start: boolean },
): Record<string, unknown> {
  const champion = report.versions.find((v) => v.version === report.champion);
  const values: [string, number, "None" | "Count"][] = [
    [liveMetricName(report.gate.metric), report.gate.value ?? Number.NaN, "None"],
    [LIVE_GATE_BOUND_METRIC, report.gate.bound ?? Number.NaN, "None"],
    [LABELED_METRIC, champion?.labeled ?? 0, "Count"],
    ["CapturedPredictions", report.captured, "Count"],
    ["LabelCoverage", champion ? champion.coverage : Number.NaN, "None"],
    ["LiveMaxPSI", report.drift?.maxPsi ?? Number.NaN, "None"],
    [MONITOR_ALARM_METRIC, report.alarm ? 1 : 0, "Count"],
    ...(retrain
      ? ([[RETRAIN_STARTED_METRIC, retrain.start ? 1 : 0, "Count"]] as [string, number, "Count"][])
      : []),
  ];
  const kept = values.filter(([, v]) => Number.isFinite(v));
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: MONITOR_NAMESPACE,
          Dimensions: [[MONITOR_DIMENSION]],
          Metrics: kept.map(([name, , unit]) => ({ Name: name, Unit: unit })),
        },
      ],
    },
    [MONITOR_DIMENSION]: report.pipeline,
    ...Object.fromEntries(kept.map(([name, value]) => [name, value])),
  };
}

/** One metric of a metric-math alarm: its query id and the Monitor metric it reads. */
export interface AlarmMetric {
  id: string;
  metricName: string;
  stat: "Maximum" | "Minimum";
}

/**
 * The live-gate alarm as metric math: 1 when the live gate metric is past its bound
 * (`direction` of the gate metric), on at least `minLabels` labels, in a run that started a
 * retrain; else 0. Alarm on `>= 1`. Four metrics, within CloudWatch's 10 per alarm.
 */
export function liveGateAlarmExpression(
  gateMetric: string,
  direction: "higher" | "lower",
  minLabels: number,
): { expression: string; metrics: AlarmMetric[] } {
  if (!Number.isInteger(minLabels) || minLabels < 1) {
    throw new RangeError(`minLabels must be a whole number >= 1, got ${minLabels}`);
  }
  // The worst value of the period: one Monitor run per period makes these the run's values.
  const worst = direction === "higher" ? "Minimum" : "Maximum";
  const metrics: AlarmMetric[] = [
    { id: "live", metricName: liveMetricName(gateMetric), stat: worst },
    { id: "bound", metricName: LIVE_GATE_BOUND_METRIC, stat: "Maximum" },
    { id: "labeled", metricName: LABELED_METRIC, stat: "Maximum" },
    { id: "started", metricName: RETRAIN_STARTED_METRIC, stat: "Maximum" },
  ];
  const past = direction === "higher" ? "live < bound" : "live > bound";
  return {
    expression: `IF(${past} AND labeled >= ${minLabels} AND started >= 1, 1, 0)`,
    metrics,
  };
}

/**
 * Deterministic CloudWatch alarm names: `orchard-<stack>-<pipeline>-<kind>`, unique per account
 * and region as long as stack and pipeline names are. Set explicitly (not auto-named by Pulumi)
 * so the canary function's environment can name the alarms that veto a canary without
 * depending on the alarm resources — the step-errors alarm depends on every step function's
 * name, the canary's included, and the reverse edge would be a cycle.
 */
export type AlarmKind =
  | "failed"
  | "timed-out"
  | "throttled"
  | "step-errors"
  | `step-errors-${number}`
  | "gate"
  | "drift"
  /** The Monitor's live gate metric past its bound (infra/monitor.ts): starts a retrain. */
  | "live-gate"
  | "monitor-failed";

/**
 * CloudWatch allows at most 10 metrics (MetricStat entries) in one metric-math alarm
 * (PutMetricAlarm: "up to 20 MetricDataQuery structures … as many as 10 structures that
 * contain a MetricStat parameter", docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/
 * API_MetricDataQuery.html).
 */
export const MAX_METRICS_PER_ALARM = 10;

/**
 * The step functions split for the step-errors alarms: as few alarms as the 10-metric limit
 * allows, of near-equal size, in pipeline order. Why not one alarm per function, or only
 * Step Functions' ExecutionsFailed: an operator wants the first error of any step to page
 * (a retried transient error never fails the execution, but a step erroring every night is
 * worth knowing), and few alarms to watch; which step it was is in the alarm's description
 * and the dashboard's "Step errors" widget.
 */
export function stepErrorGroups<T>(functions: readonly T[]): T[][] {
  const count = Math.ceil(functions.length / MAX_METRICS_PER_ALARM);
  const groups: T[][] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const size = Math.ceil((functions.length - start) / (count - i));
    groups.push(functions.slice(start, start + size));
    start += size;
  }
  return groups;
}

/** `step-errors` when one alarm covers every step function, else `step-errors-1`, `-2`, …. */
export function stepErrorAlarmKinds(functionCount: number): AlarmKind[] {
  const count = Math.ceil(functionCount / MAX_METRICS_PER_ALARM);
  if (count <= 1) return functionCount === 0 ? [] : ["step-errors"];
  return Array.from({ length: count }, (_, i) => `step-errors-${i + 1}` as const);
}

export function alarmName(stack: string, pipeline: string, kind: AlarmKind): string {
  return `orchard-${stack}-${pipeline}-${kind}`;
}

/**
 * The alarms a canary checks before promoting: a failed execution, any step function's error
 * (the step-errors alarms of `stepFunctions` Lambda steps), and the gate metric out of bounds
 * (when the gate has a bound). Timed-out and throttled executions say nothing about the
 * candidate model and are left out.
 *
 * The drift (PSI) alarm is left out too, whatever `retrain` says: it compares the incoming data
 * with the champion's training data, and the candidate under canary was trained on that very
 * data. It fires in exactly the runs where retraining is most needed (an on-drift retrain runs
 * only when it does; the alarm then stays in ALARM for its hour-long period, across the canary
 * wait), so as a veto it rolled back drift-triggered candidates and kept the stale champion
 * serving the drifted traffic. Drift still pages through its alarm.
 */
export function canaryAlarmNames(
  stack: string,
  pipeline: string,
  exists: { stepFunctions: number; gate: boolean },
): string[] {
  const kinds: AlarmKind[] = ["failed", ...stepErrorAlarmKinds(exists.stepFunctions)];
  if (exists.gate) kinds.push("gate");
  return kinds.map((kind) => alarmName(stack, pipeline, kind));
}

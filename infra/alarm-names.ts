/**
 * Deterministic CloudWatch alarm names: `orchard-<stack>-<pipeline>-<kind>`, unique per account
 * and region as long as stack and pipeline names are. Set explicitly (not auto-named by Pulumi)
 * so the canary function's environment can name the alarms that veto a canary without
 * depending on the alarm resources — the step-errors alarm depends on every step function's
 * name, the canary's included, and the reverse edge would be a cycle.
 */
export type AlarmKind = "failed" | "timed-out" | "throttled" | "step-errors" | "gate" | "drift";

export function alarmName(stack: string, pipeline: string, kind: AlarmKind): string {
  return `orchard-${stack}-${pipeline}-${kind}`;
}

/**
 * The alarms a canary checks before promoting: a failed execution, any step function's error,
 * and the model alarms (gate metric out of bounds, when the gate has a bound; input PSI drift).
 * Timed-out and throttled executions say nothing about the candidate model and are left out.
 */
export function canaryAlarmNames(
  stack: string,
  pipeline: string,
  exists: { stepErrors: boolean; gate: boolean },
): string[] {
  const kinds: AlarmKind[] = ["failed"];
  if (exists.stepErrors) kinds.push("step-errors");
  if (exists.gate) kinds.push("gate");
  kinds.push("drift");
  return kinds.map((kind) => alarmName(stack, pipeline, kind));
}

/**
 * The cloud canary checks the pipeline's alarms: under Pulumi mocks, the canary function's
 * ORCHARD_CANARY_ALARMS names exactly the failed-execution, step-error and gate alarms
 * the stack declares (by their explicit, deterministic names), and nothing that does not exist.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { alarmName, canaryAlarmNames } from "../../infra/alarm-names.ts";
import { runStack, type StackRun } from "./harness.ts";

const FN = "aws:lambda/function:Function";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

describe.each(["staging", "prod"] as const)("the %s stack's canary", (stack) => {
  let run: StackRun;
  beforeAll(async () => {
    run = await runStack(stack);
  });

  const canaryAlarms = () =>
    String(run.one(FN, "-canary-fn").inputs.environment.variables.ORCHARD_CANARY_ALARMS).split(",");
  const declared = () => run.ofType(ALARM).map((a) => a.inputs.name as string);

  it("names only alarms the stack declares", () => {
    const names = canaryAlarms();
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(declared()).toContain(name);
  });

  it("names the failed-execution and step-error alarms of its pipeline", () => {
    expect(canaryAlarms()).toEqual(
      expect.arrayContaining(
        (["failed", "step-errors-1", "step-errors-2"] as const).map((k) =>
          alarmName(stack, "penguins", k),
        ),
      ),
    );
  });

  it("names the gate alarm exactly when the stack declares one", () => {
    const gate = alarmName(stack, "penguins", "gate");
    expect(canaryAlarms().includes(gate)).toBe(declared().includes(gate));
  });

  // The drift alarm fires exactly when an on-drift retrain runs: as a veto it would roll back
  // every drift-triggered candidate (issue 14).
  it("leaves out the timed-out, throttled and drift alarms", () => {
    for (const kind of ["timed-out", "throttled", "drift"] as const) {
      const name = alarmName(stack, "penguins", kind);
      expect(declared()).toContain(name);
      expect(canaryAlarms()).not.toContain(name);
    }
  });

  it("gives every alarm an explicit name", () => {
    for (const alarm of run.ofType(ALARM))
      expect(alarm.inputs.name, alarm.name).toMatch(/^orchard-/);
  });
});

describe("canaryAlarmNames", () => {
  it.each([
    [{ stepFunctions: 12, gate: true }, ["failed", "step-errors-1", "step-errors-2", "gate"]],
    [{ stepFunctions: 3, gate: true }, ["failed", "step-errors", "gate"]],
    [{ stepFunctions: 0, gate: false }, ["failed"]],
  ] as const)("for %j names %j", (exists, kinds) => {
    expect(canaryAlarmNames("s", "p", exists)).toEqual(kinds.map((k) => `orchard-s-p-${k}`));
  });
});

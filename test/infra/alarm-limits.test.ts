/**
 * CloudWatch takes at most 10 metrics (MetricStat entries) in one alarm. Every alarm both
 * stacks declare stays within it, and so does a pipeline with every optional step on
 * (canary, batch scoring, on-drift retraining), whose 12 step functions once made one
 * 12-metric step-errors alarm that `pulumi up` could not create.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  alarmName,
  canaryAlarmNames,
  MAX_METRICS_PER_ALARM,
  stepErrorGroups,
} from "../../infra/alarm-names.ts";
import { PROJECT_ROOT } from "../../infra/config.ts";
import { withoutSections } from "../support/spec-text.ts";
import { type CapturedResource, runStack } from "./harness.ts";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const FN = "aws:lambda/function:Function";

function metricCount(alarm: CapturedResource): number {
  const queries = (alarm.inputs.metricQueries ?? []) as { metric?: unknown }[];
  return alarm.inputs.metricName ? 1 : queries.filter((q) => q.metric !== undefined).length;
}

/** The example with canary, batch scoring and on-drift retraining, in a temp directory. */
function everyOptionalStep(): string {
  const example = path.join(PROJECT_ROOT, "examples/penguins");
  const yaml = withoutSections(readFileSync(path.join(example, "pipeline.yaml"), "utf8"), "deploy");
  const dir = mkdtempSync(path.join(tmpdir(), "orchard-all-steps-"));
  const file = path.join(dir, "pipeline.yaml");
  writeFileSync(
    file,
    yaml.replace("uri: penguins.csv", `uri: ${path.join(example, "penguins.csv")}`) +
      "retrain: on-drift\n" +
      "deploy:\n" +
      "  canary: { percent: 10, minutes: 30 }\n" +
      `  batch: { inputUri: ${path.join(example, "batch")}/ }\n`,
  );
  return file;
}

describe.each([
  ["staging", {}],
  ["prod", {}],
  [
    "staging with every optional step",
    {
      "orchard:pipelines": JSON.stringify([{ spec: everyOptionalStep(), uploadSource: true }]),
    },
  ],
] as const)("the alarms of %s", (label, config) => {
  it(`each have at most ${MAX_METRICS_PER_ALARM} metrics, and the step errors of every step function are alarmed on`, async () => {
    const run = await runStack(label.split(" ")[0], { config });
    const alarms = run.ofType(ALARM);
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      expect(metricCount(alarm), alarm.inputs.name).toBeLessThanOrEqual(MAX_METRICS_PER_ALARM);
    }
    const watched = alarms.flatMap((a) =>
      (
        (a.inputs.metricQueries ?? []) as {
          metric?: { metricName: string; dimensions: { FunctionName: string } };
        }[]
      )
        .filter((q) => q.metric?.metricName === "Errors")
        .map((q) => q.metric!.dimensions.FunctionName),
    );
    const functions = run
      .ofType(FN)
      .filter((f) => !f.name.includes("-serving-"))
      .map((f) => f.state.name);
    expect(functions).toHaveLength(14);
    expect(watched.sort()).toEqual(functions.sort());
    // The canary vetoes on every step-errors alarm the stack declares.
    const canary = String(
      run.one(FN, "-canary-fn").inputs.environment.variables.ORCHARD_CANARY_ALARMS,
    ).split(",");
    for (const a of alarms.filter((x) => /-step-errors/.test(x.inputs.name))) {
      expect(canary).toContain(a.inputs.name);
    }
  });
});

describe("stepErrorGroups", () => {
  it.each([
    [0, []],
    [1, [1]],
    [10, [10]],
    [11, [6, 5]],
    [12, [6, 6]],
    [21, [7, 7, 7]],
  ])("splits %i step functions into groups of %j, in order", (n, sizes) => {
    const fns = Array.from({ length: n }, (_, i) => i);
    const groups = stepErrorGroups(fns);
    expect(groups.map((g) => g.length)).toEqual(sizes);
    expect(groups.flat()).toEqual(fns);
  });

  it("names the canary's step-errors alarms after the groups", () => {
    expect(canaryAlarmNames("s", "p", { stepFunctions: 12, gate: false })).toEqual(
      expect.arrayContaining([
        alarmName("s", "p", "step-errors-1"),
        alarmName("s", "p", "step-errors-2"),
      ]),
    );
    expect(canaryAlarmNames("s", "p", { stepFunctions: 9, gate: false })).toContain(
      alarmName("s", "p", "step-errors"),
    );
  });
});

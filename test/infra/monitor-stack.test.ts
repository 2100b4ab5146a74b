/**
 * The Monitor in a deployed stack (docs/monitoring.md): a pipeline whose spec has
 * `monitor.capture` gets the Monitor Lambda (the `monitor` bundle, X-Ray active) running as its
 * own `monitor` role (the declared `stepPolicy("monitor")`, nothing more), a state machine that
 * invokes it, an hourly schedule, an alarm on its failures, the live-gate alarm (metric math
 * over the Monitor's EMF metrics, within CloudWatch's limits) and the retrain trigger: an
 * EventBridge rule on that alarm's ALARM state starting the pipeline's state machine with
 * `run.reason`, through a role that may start that one state machine only (simulated). A
 * pipeline without capture gets none of it.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import aslValidator from "asl-validator";
import { beforeAll, describe, expect, it } from "vitest";
import { stepPolicy } from "../../infra/access/policies.ts";
import type { AccessTargets } from "../../infra/access/types.ts";
import { MAX_METRICS_PER_ALARM } from "../../infra/alarm-names.ts";
import {
  MONITOR_PERIOD_SECONDS,
  RETRAIN_REASON_PLACEHOLDERS,
  retrainInputTemplate,
} from "../../infra/monitor.ts";
import { allRules } from "../../infra/policy/rules.ts";
import { evaluatePolicies } from "../../infra/synth/policy-findings.ts";
import { liveGateAlarmExpression } from "../../pipeline/monitor/metrics.ts";
import { monitorDefinition } from "../../pipeline/workflow/monitor-definition.ts";
import { ACCOUNT_ID, runStack, type StackRun } from "./harness.ts";
import { mandatoryFindings } from "./mandatory-findings.ts";

const T = {
  fn: "aws:lambda/function:Function",
  sfn: "aws:sfn/stateMachine:StateMachine",
  schedule: "aws:scheduler/schedule:Schedule",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  rule: "aws:cloudwatch/eventRule:EventRule",
  target: "aws:cloudwatch/eventTarget:EventTarget",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  role: "aws:iam/role:Role",
} as const;

function spec(dir: string, name: string, extra = ""): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}\nsource:\n  uri: s3://landing-bucket/${name}.csv\ntarget: y\ntask: classification\nid: customer\n${extra}`,
  );
  return file;
}

describe("the Monitor in a stack", () => {
  let run: StackRun;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "orchard-monitor-stack-"));
    run = await runStack("staging", {
      config: {
        "orchard:pipelines": JSON.stringify([
          {
            spec: spec(
              dir,
              "watched",
              "gate: { metric: accuracy, minimum: 0.8 }\nmonitor:\n  capture: { sampleRate: 0.5 }\n  minLabels: 25\n",
            ),
          },
          { spec: spec(dir, "plain") },
        ]),
      },
    });
  });

  it("deploys the Monitor Lambda, state machine and hourly schedule for the watched pipeline only", () => {
    const fn = run.one(T.fn, "orchard-watched-monitor-fn");
    expect(fn.inputs.tracingConfig).toEqual({ mode: "Active" });
    expect(fn.inputs.timeout).toBe(900);
    expect(fn.inputs.environment.variables).toMatchObject({ ORCHARD_PIPELINE: "watched" });
    expect(fn.inputs.role).toMatch(/:role\/orchard-access-watched-monitor/);
    const sfn = run.one(T.sfn, "orchard-watched-monitor-sfn");
    const definition = JSON.parse(sfn.inputs.definition);
    expect(definition).toEqual(monitorDefinition("watched", fn.state.arn as string));
    expect(aslValidator(structuredClone(definition)).isValid).toBe(true);
    const schedule = run.one(T.schedule, "orchard-watched-monitor-schedule");
    expect(schedule.inputs.scheduleExpression).toBe("rate(1 hour)");
    expect(JSON.parse(schedule.inputs.target.input)).toEqual({
      run: { pipeline: "watched", specUri: expect.stringMatching(/\/watched\/specs\//) },
    });
    expect(run.ofType(T.sfn).map((r) => r.name)).not.toContain("orchard-plain-monitor-sfn");
    expect(run.ofType(T.fn).filter((r) => r.name.includes("plain-monitor"))).toEqual([]);
    expect(run.ofType(T.role).filter((r) => r.name.endsWith("plain-monitor"))).toEqual([]);
    expect(run.outputs.pipelines.watched.monitorStateMachineArn).toBe(sfn.state.arn);
    expect(run.outputs.pipelines.plain).not.toHaveProperty("monitorStateMachineArn");
  });

  it("grants the monitor role exactly the declared Monitor policy, on its pipeline's keys", () => {
    const policy = JSON.parse(
      run.one(T.rolePolicy, "-access-watched-monitor-policy").inputs.policy,
    );
    const shape = (doc: { Statement: { Sid: string; Action: string[] }[] }) =>
      doc.Statement.map((s) => `${s.Sid}: ${[...s.Action].sort().join(" ")}`).sort();
    expect(shape(policy)).toEqual(
      shape(stepPolicy("monitor", FAKE_TARGETS, { logGroupArn: FAKE_LOG_GROUP })),
    );
    // What it may do (the raw bucket's deletion deny names the whole bucket).
    const objects = policy.Statement.filter((s: { Effect: string }) => s.Effect === "Allow")
      .flatMap((s: { Resource: string[] }) => s.Resource)
      .filter((r: string) => /^arn:aws:s3:::[^/]+\//.test(r));
    expect(objects.length).toBeGreaterThan(0);
    for (const r of objects) expect(r).toMatch(/^arn:aws:s3:::[^/]+\/watched\//);
    expect(JSON.stringify(policy)).not.toMatch(/states:StartExecution|cloudwatch:PutMetricData/);
  });

  it("alarms on the live gate metric within CloudWatch's limits, paging and named for the stack", () => {
    const alarm = run.one(T.alarm, "orchard-watched-monitor-live-gate");
    expect(alarm.inputs.name).toBe("orchard-staging-watched-live-gate");
    expect(alarm.inputs.name.length).toBeLessThanOrEqual(255);
    const queries = alarm.inputs.metricQueries as {
      id: string;
      expression?: string;
      metric?: { namespace: string; metricName: string; dimensions: Record<string, string> };
    }[];
    const expected = liveGateAlarmExpression("accuracy", "higher", 25);
    expect(queries[0].expression).toBe(expected.expression);
    const metrics = queries.filter((q) => q.metric);
    expect(metrics.length).toBeLessThanOrEqual(MAX_METRICS_PER_ALARM);
    expect(metrics.map((q) => q.metric?.metricName)).toEqual(
      expected.metrics.map((m) => m.metricName),
    );
    for (const q of metrics) {
      expect(q.metric).toMatchObject({
        namespace: "Orchard",
        dimensions: { Pipeline: "watched" },
        period: MONITOR_PERIOD_SECONDS,
      });
    }
    expect(alarm.inputs.threshold).toBe(1);
    expect(alarm.inputs.treatMissingData).toBe("notBreaching");
    expect(alarm.inputs.alarmActions).toHaveLength(1);
    expect(run.one(T.alarm, "orchard-watched-monitor-failed").inputs.name).toBe(
      "orchard-staging-watched-monitor-failed",
    );
  });

  it("starts the pipeline's state machine when the live-gate alarm fires, with the reason in run.reason", () => {
    const rule = run.one(T.rule, "orchard-watched-monitor-retrain");
    expect(JSON.parse(rule.inputs.eventPattern)).toEqual({
      source: ["aws.cloudwatch"],
      "detail-type": ["CloudWatch Alarm State Change"],
      detail: { alarmName: ["orchard-staging-watched-live-gate"], state: { value: ["ALARM"] } },
    });
    expect(rule.inputs.state).toBe("ENABLED");
    const target = run.one(T.target, "orchard-watched-monitor-retrain-target");
    const pipeline = run.one(T.sfn, "orchard-watched-sfn");
    expect(target.inputs.arn).toBe(pipeline.state.arn);
    expect(target.inputs.inputTransformer.inputPaths).toEqual(RETRAIN_REASON_PLACEHOLDERS);
    // The scheduled run's input, plus run.reason: as EventBridge fills the placeholders.
    const scheduled = JSON.parse(
      run.one(T.schedule, "orchard-watched-schedule").inputs.target.input,
    );
    const filled = (target.inputs.inputTransformer.inputTemplate as string)
      .replace("<at>", "2026-12-03T10:00:00Z")
      .replace("<reason>", "Threshold Crossed: 1 datapoint [1.0] was >= the threshold (1.0).");
    expect(JSON.parse(filled)).toEqual({
      run: {
        ...scheduled.run,
        reason:
          "monitor alarm orchard-staging-watched-live-gate at 2026-12-03T10:00:00Z: Threshold Crossed: 1 datapoint [1.0] was >= the threshold (1.0).",
      },
    });
    const trust = JSON.parse(
      run.one(T.role, "orchard-watched-monitor-retrain-role").inputs.assumeRolePolicy,
    );
    expect(trust.Statement[0].Principal).toEqual({ Service: "events.amazonaws.com" });
    expect(trust.Statement[0].Condition.StringEquals["aws:SourceAccount"]).toBe(ACCOUNT_ID);
  });

  it("lets the retrain trigger start the pipeline's state machine and nothing else (simulated)", async () => {
    const policy = JSON.parse(
      run.one(T.rolePolicy, "orchard-watched-monitor-retrain-policy").inputs.policy,
    );
    const pipeline = run.one(T.sfn, "orchard-watched-sfn").state.arn as string;
    const monitorSfn = run.one(T.sfn, "orchard-watched-monitor-sfn").state.arn as string;
    const plain = run.one(T.sfn, "orchard-plain-sfn").state.arn as string;
    const decide = async (action: string, resource: string) => {
      const result = await runSimulation(
        {
          request: {
            principal: `arn:aws:iam::${ACCOUNT_ID}:role/retrain`,
            action,
            resource: { resource, accountId: ACCOUNT_ID },
            contextVariables: {},
          },
          identityPolicies: [{ name: "retrain", policy }],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
      return result.overallResult;
    };
    expect(await decide("states:StartExecution", pipeline)).toBe("Allowed");
    expect(await decide("states:StartExecution", plain)).not.toBe("Allowed");
    expect(await decide("states:StartExecution", monitorSfn)).not.toBe("Allowed");
    expect(
      await decide(
        "states:StopExecution",
        `${pipeline.replace(":stateMachine:", ":execution:")}:x`,
      ),
    ).not.toBe("Allowed");
  });

  it("disables the retrain trigger of a pipeline whose schedule is disabled", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "orchard-monitor-stack-"));
    const off = await runStack("staging", {
      config: {
        "orchard:pipelines": JSON.stringify([
          { spec: spec(dir, "paused", "monitor:\n  capture: {}\n"), enabled: false },
        ]),
      },
    });
    expect(off.one(T.rule, "orchard-paused-monitor-retrain").inputs.state).toBe("DISABLED");
    // Still monitored: the report and the metrics keep coming.
    expect(off.one(T.schedule, "orchard-paused-monitor-schedule").inputs.state).toBeUndefined();
  });

  it("passes every mandatory policy rule (limits, encryption, grants, names)", () => {
    expect(mandatoryFindings(evaluatePolicies(allRules, run.resources))).toEqual([]);
  });

  it("builds the retrain input template as JSON whatever the run input holds", () => {
    const template = retrainInputTemplate(
      { run: { pipeline: "p", specUri: "s3://a/p/specs/x.yaml", sourceUri: 's3://b/"odd".csv' } },
      "orchard-s-p-live-gate",
    );
    const filled = template.replace("<at>", "t").replace("<reason>", "r");
    expect(JSON.parse(filled).run).toEqual({
      pipeline: "p",
      specUri: "s3://a/p/specs/x.yaml",
      sourceUri: 's3://b/"odd".csv',
      reason: "monitor alarm orchard-s-p-live-gate at t: r",
    });
  });
});

const FAKE_TARGETS: AccessTargets = {
  pipeline: "watched",
  buckets: {
    raw: "arn:aws:s3:::raw",
    features: "arn:aws:s3:::features",
    artifacts: "arn:aws:s3:::artifacts",
  },
  tables: {
    features: `arn:aws:dynamodb:us-east-1:${ACCOUNT_ID}:table/features`,
    registry: `arn:aws:dynamodb:us-east-1:${ACCOUNT_ID}:table/registry`,
  },
  keyArn: `arn:aws:kms:us-east-1:${ACCOUNT_ID}:key/k`,
  alertTopicArn: `arn:aws:sns:us-east-1:${ACCOUNT_ID}:alerts`,
  predictFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:predict`,
  sourceObjectArns: [],
};
const FAKE_LOG_GROUP = `arn:aws:logs:us-east-1:${ACCOUNT_ID}:log-group:/orchard/staging/watched/monitor-x`;

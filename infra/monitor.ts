/**
 * Monitor: per pipeline whose spec has `monitor.capture` (docs/monitoring.md), the Monitor
 * Lambda (the `monitor` bundle, run as the pipeline's `monitor` role from infra/access.ts), a
 * Standard state machine that invokes it with retries, the EventBridge Scheduler schedule that
 * starts it every hour, an alarm on its failed executions, the live-gate alarm, and the
 * retrain trigger: an EventBridge rule on that alarm's change to ALARM that starts the
 * pipeline's state machine, through its own role, with `run.reason` naming the alarm.
 *
 * The cool-down is enforced by the Monitor, not here: neither an alarm nor a rule keeps state,
 * and a Lambda target in between would re-read the Monitor's own record. The Monitor writes
 * `<pipeline>/monitor/state.json` before it reports `RetrainStarted = 1`, and the alarm's math
 * requires that metric (pipeline/monitor/metrics.ts `liveGateAlarmExpression`), so an alarm
 * inside the cool-down never reaches ALARM and never starts a run. A run inside the cool-down
 * writes 0: the alarm returns to OK, and the next retrain is a new state change.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { STORAGE_ENV } from "../lambdas/io/env.ts";
import { metricDirection } from "../pipeline/metrics/compute.ts";
import {
  liveGateAlarmExpression,
  MONITOR_DIMENSION,
  MONITOR_NAMESPACE,
} from "../pipeline/monitor/metrics.ts";
import {
  MONITOR_TIMEOUT_SECONDS,
  monitorDefinition,
} from "../pipeline/workflow/monitor-definition.ts";
import {
  eventsTrustPolicy,
  retrainTriggerPolicy,
  stateMachinePolicy,
  statesTrustPolicy,
} from "./access/policies.ts";
import { alarmName } from "./alarm-names.ts";
import { stateMachineLogGroupPrefix, stepLogGroupPrefix } from "./log-group-names.ts";
import type { RunInput } from "./pipeline.ts";
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME } from "./pipeline-step.ts";
import { scheduleStateMachine } from "./state-machine-schedule.ts";
import { componentTags } from "./tags.ts";

/**
 * The Monitor runs hourly, and its alarms judge hourly periods: one run per period, so each
 * period's datapoints are one run's values.
 */
export const MONITOR_SCHEDULE = "rate(1 hour)";
export const MONITOR_PERIOD_SECONDS = 3600;

/** Reading a week of captures and joining them is memory-bound. */
const MONITOR_MEMORY_MB = 2048;

/** `run.reason` of a retrain execution: `<alarm reason>` and `<at>` are the event's. */
export const RETRAIN_REASON_PLACEHOLDERS = {
  reason: "$.detail.state.reason",
  at: "$.time",
} as const;

export interface MonitorArgs {
  pipeline: string;
  accountId: pulumi.Input<string>;
  region: string;
  /** The pipeline's `monitor` role (infra/access.ts); granted by the caller (`grantStep`). */
  role: aws.iam.Role;
  code: pulumi.asset.Archive;
  codeVersion: string;
  /** Bucket and table names the handler reads (`lambdas/io/env.ts`). */
  storageEnv: Record<string, pulumi.Input<string>>;
  /** The spec's gate metric and `monitor.minLabels`: the live-gate alarm's terms. */
  gateMetric: string;
  minLabels: number;
  logRetentionDays: number;
  /** The data-lake key: it encrypts the log groups. */
  keyArn: pulumi.Input<string>;
  /** The Monitor's execution input: the pipeline and its spec. */
  specUri: pulumi.Input<string>;
  /** The pipeline's state machine and the input its schedule sends: what a retrain starts. */
  pipelineStateMachineArn: pulumi.Input<string>;
  retrainInput: pulumi.Input<RunInput>;
  /** A disabled pipeline (`enabled: false`) is monitored but never retrained by the alarm. */
  retrainEnabled: boolean;
  alertTopicArn: pulumi.Input<string>;
}

/** The retrain execution's input template: the pipeline's run input with `run.reason` added. */
export function retrainInputTemplate(input: RunInput, alarm: string): string {
  const marker = "__ORCHARD_RETRAIN_REASON__";
  const text = JSON.stringify({ run: { ...input.run, reason: marker } });
  // EventBridge escapes a placeholder's value that stands inside a JSON string.
  return text.replace(marker, `monitor alarm ${alarm} at <at>: <reason>`);
}

export class Monitor extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly stateMachine: aws.sfn.StateMachine;
  readonly schedule: aws.scheduler.Schedule;
  readonly failedAlarm: aws.cloudwatch.MetricAlarm;
  readonly liveGateAlarm: aws.cloudwatch.MetricAlarm;
  readonly retrainRule: aws.cloudwatch.EventRule;
  readonly retrainTarget: aws.cloudwatch.EventTarget;

  constructor(name: string, args: MonitorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("orchard:monitor:Monitor", name, {}, opts);
    if (!/^[a-z0-9-]{1,40}$/.test(args.pipeline)) {
      throw new Error(`Monitor ${name}: pipeline "${args.pipeline}" is not a pipeline name`);
    }
    if (!Number.isInteger(args.minLabels) || args.minLabels < 1) {
      throw new Error(
        `Monitor ${name}: minLabels must be a whole number >= 1, got ${args.minLabels}`,
      );
    }
    const tags = componentTags("monitor", { pipeline: args.pipeline });
    const stack = pulumi.getStack();

    ({ function: this.function, logGroup: this.logGroup } = this.createFunction(name, args, tags));
    this.stateMachine = this.createStateMachine(name, args, tags, stack);
    this.schedule = this.createSchedule(name, args, tags);
    this.failedAlarm = this.createFailedAlarm(name, args, tags, stack);
    this.liveGateAlarm = this.createLiveGateAlarm(name, args, tags, stack);
    ({ rule: this.retrainRule, target: this.retrainTarget } = this.createRetrainTrigger(
      name,
      args,
      tags,
      alarmName(stack, args.pipeline, "live-gate"),
    ));
    this.registerOutputs({
      functionArn: this.function.arn,
      stateMachineArn: this.stateMachine.arn,
      liveGateAlarmName: this.liveGateAlarm.name,
    });
  }

  private createFunction(name: string, args: MonitorArgs, tags: Record<string, string>) {
    const child = { parent: this };
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        namePrefix: stepLogGroupPrefix(pulumi.getStack(), args.pipeline, "monitor"),
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.keyArn,
        tags,
      },
      child,
    );
    const fn = new aws.lambda.Function(
      `${name}-fn`,
      {
        runtime: LAMBDA_RUNTIME,
        architectures: [LAMBDA_ARCHITECTURE],
        handler: "index.handler",
        code: args.code,
        role: args.role.arn,
        memorySize: MONITOR_MEMORY_MB,
        timeout: MONITOR_TIMEOUT_SECONDS,
        environment: {
          variables: {
            NODE_OPTIONS: "--enable-source-maps",
            ORCHARD_CODE_VERSION: args.codeVersion,
            ORCHARD_PIPELINE: args.pipeline,
            ...Object.fromEntries(
              Object.values(STORAGE_ENV).map((k) => [k, args.storageEnv[k]] as const),
            ),
          },
        },
        tracingConfig: { mode: "Active" },
        loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
        tags,
      },
      { parent: this, dependsOn: [logGroup] },
    );
    return { function: fn, logGroup };
  }

  private createStateMachine(
    name: string,
    args: MonitorArgs,
    tags: Record<string, string>,
    stack: string,
  ): aws.sfn.StateMachine {
    const child = { parent: this };
    const role = new aws.iam.Role(
      `${name}-sfn-role`,
      {
        assumeRolePolicy: pulumi
          .output(args.accountId)
          .apply((a) => JSON.stringify(statesTrustPolicy(a, args.region))),
        tags,
      },
      child,
    );
    const logs = new aws.cloudwatch.LogGroup(
      `${name}-sfn-logs`,
      {
        namePrefix: stateMachineLogGroupPrefix(stack, `${args.pipeline}-monitor`),
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.keyArn,
        tags,
      },
      child,
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-sfn-policy`,
      {
        role: role.id,
        policy: pulumi
          .all([this.function.arn, logs.arn])
          .apply(([fn, logArn]) => JSON.stringify(stateMachinePolicy([fn], logArn))),
      },
      child,
    );
    return new aws.sfn.StateMachine(
      `${name}-sfn`,
      {
        type: "STANDARD",
        roleArn: role.arn,
        definition: this.function.arn.apply((fn) =>
          JSON.stringify(monitorDefinition(args.pipeline, fn), null, 2),
        ),
        loggingConfiguration: {
          level: "ALL",
          includeExecutionData: true,
          logDestination: logs.arn.apply((arn) => (arn.endsWith(":*") ? arn : `${arn}:*`)),
        },
        tracingConfiguration: { enabled: true },
        tags,
      },
      { parent: this, dependsOn: [policy] },
    );
  }

  private createSchedule(
    name: string,
    args: MonitorArgs,
    tags: Record<string, string>,
  ): aws.scheduler.Schedule {
    return scheduleStateMachine(
      name,
      {
        stateMachineArn: this.stateMachine.arn,
        accountId: args.accountId,
        region: args.region,
        description: `Monitors the Orchard pipeline ${args.pipeline}`,
        expression: MONITOR_SCHEDULE,
        timeZone: "UTC",
        input: pulumi
          .output(args.specUri)
          .apply((specUri) => JSON.stringify({ run: { pipeline: args.pipeline, specUri } })),
        tags,
      },
      this,
    );
  }

  private createFailedAlarm(
    name: string,
    args: MonitorArgs,
    tags: Record<string, string>,
    stack: string,
  ): aws.cloudwatch.MetricAlarm {
    return new aws.cloudwatch.MetricAlarm(
      `${name}-failed`,
      {
        name: alarmName(stack, args.pipeline, "monitor-failed"),
        alarmDescription: `Orchard pipeline ${args.pipeline}: a Monitor run failed; live metrics and the retrain trigger are stale`,
        namespace: "AWS/States",
        metricName: "ExecutionsFailed",
        dimensions: { StateMachineArn: this.stateMachine.arn },
        statistic: "Sum",
        period: 300,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: "notBreaching",
        alarmActions: [args.alertTopicArn],
        tags,
      },
      { parent: this },
    );
  }

  private createLiveGateAlarm(
    name: string,
    args: MonitorArgs,
    tags: Record<string, string>,
    stack: string,
  ): aws.cloudwatch.MetricAlarm {
    const direction = metricDirection(args.gateMetric);
    const { expression, metrics } = liveGateAlarmExpression(
      args.gateMetric,
      direction,
      args.minLabels,
    );
    return new aws.cloudwatch.MetricAlarm(
      `${name}-live-gate`,
      {
        name: alarmName(stack, args.pipeline, "live-gate"),
        alarmDescription: `Orchard pipeline ${args.pipeline}: the live ${args.gateMetric} is ${direction === "higher" ? "below" : "above"} its bound on at least ${args.minLabels} labels; a retrain was started (see the Monitor report)`,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        evaluationPeriods: 1,
        // No Monitor run in a period (or no labels, so no live value): no retrain.
        treatMissingData: "notBreaching",
        alarmActions: [args.alertTopicArn],
        metricQueries: [
          { id: "retrain", expression, label: "Retrain on the live gate metric", returnData: true },
          ...metrics.map((m) => ({
            id: m.id,
            metric: {
              namespace: MONITOR_NAMESPACE,
              metricName: m.metricName,
              dimensions: { [MONITOR_DIMENSION]: args.pipeline },
              stat: m.stat,
              period: MONITOR_PERIOD_SECONDS,
            },
          })),
        ],
        tags,
      },
      { parent: this },
    );
  }

  private createRetrainTrigger(
    name: string,
    args: MonitorArgs,
    tags: Record<string, string>,
    alarm: string,
  ) {
    const child = { parent: this };
    const rule = new aws.cloudwatch.EventRule(
      `${name}-retrain`,
      {
        description: `Retrains the Orchard pipeline ${args.pipeline} when its live-gate alarm fires`,
        eventPattern: JSON.stringify({
          source: ["aws.cloudwatch"],
          "detail-type": ["CloudWatch Alarm State Change"],
          detail: { alarmName: [alarm], state: { value: ["ALARM"] } },
        }),
        state: args.retrainEnabled ? "ENABLED" : "DISABLED",
        tags,
      },
      { parent: this, dependsOn: [this.liveGateAlarm] },
    );
    const role = new aws.iam.Role(
      `${name}-retrain-role`,
      {
        assumeRolePolicy: pulumi
          .output(args.accountId)
          .apply((a) => JSON.stringify(eventsTrustPolicy(a, args.region))),
        tags,
      },
      child,
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-retrain-policy`,
      {
        role: role.id,
        policy: pulumi
          .output(args.pipelineStateMachineArn)
          .apply((arn) => JSON.stringify(retrainTriggerPolicy(arn))),
      },
      child,
    );
    const target = new aws.cloudwatch.EventTarget(
      `${name}-retrain-target`,
      {
        rule: rule.name,
        arn: args.pipelineStateMachineArn,
        roleArn: role.arn,
        inputTransformer: {
          inputPaths: { ...RETRAIN_REASON_PLACEHOLDERS },
          inputTemplate: pulumi
            .output(args.retrainInput)
            .apply((input) => retrainInputTemplate(input as RunInput, alarm)),
        },
        // A state machine that cannot start for an hour: skip it, the alarm has paged.
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
      },
      { parent: this, dependsOn: [policy] },
    );
    return { rule, target };
  }
}

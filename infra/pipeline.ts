/**
 * Pipeline: one Standard state machine per spec, its role, its execution log group, the
 * EventBridge Scheduler schedule that starts it, and the alarms that page into the alert topic.
 *
 * The definition is `cloudDefinition` (pipeline/workflow's builder with the real targets), so
 * what `orchard run` executes locally is what deploys. Execution logs are level ALL; whether
 * they carry each state's input and output is the stack's `logExecutionData` (off in prod:
 * states carry URIs and metric summaries, but a spec's source URI or a rejected value in an
 * error cause is still more than prod logs should keep).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { batchResultsPrefix } from "../pipeline/steps/intermediate-keys.ts";
import type { StepName } from "../pipeline/workflow/steps.ts";
import {
  distributedMapPolicy,
  type EcsTaskTargets,
  stateMachinePolicy,
  statesTrustPolicy,
} from "./access/policies.ts";
import { type AlarmKind, alarmName, stepErrorAlarmKinds, stepErrorGroups } from "./alarm-names.ts";
import { cloudDefinition, containerInputPrefix, type ResolvedTarget } from "./cloud-definition.ts";
import { stateMachineLogGroupPrefix } from "./log-group-names.ts";
import { STEP_CONTAINER_NAME, type StepTarget } from "./pipeline-step.ts";
import { scheduleStateMachine } from "./state-machine-schedule.ts";
import { componentTags } from "./tags.ts";

/** The execution input the schedule sends, as the steps read it (`pipeline/steps/types.ts`). */
export interface RunInput {
  /** `batchUri` (`s3://bucket/prefix`) only when the spec has `deploy.batch`. */
  run: { pipeline: string; specUri: string; sourceUri: string; batchUri?: string };
}

export interface PipelineArgs {
  pipeline: string;
  /** The account and region the state machine and schedule live in (their roles' trust). */
  accountId: pulumi.Input<string>;
  region: string;
  targets: Record<StepName, StepTarget>;
  /** Lambda step function names, for the step-errors alarms. */
  functionNames: pulumi.Input<string>[];
  /** The step of each of `functionNames`, same order (named in the alarm descriptions). */
  steps: string[];
  trainConcurrency?: number;
  /** The spec's `deploy.batch.toleratedFailurePercent` (ScoreFiles' tolerance); default 0. */
  batchToleratedFailurePercent?: number;
  /** Per-Task timeout of the Lambda steps (the longest Lambda timeout). */
  taskTimeoutSeconds: number;
  logRetentionDays: number;
  /** The KMS key that encrypts the execution log group (the data-lake key). */
  logKeyArn?: pulumi.Input<string>;
  logExecutionData: boolean;
  schedule: { expression: string; timeZone: string; enabled: boolean };
  input: pulumi.Input<RunInput>;
  alertTopicArn: pulumi.Input<string>;
  /**
   * Where the ScoreFiles Distributed Map lists (the spec's batch location); absent: no batch
   * scoring, and the role gets no Distributed Map grants.
   */
  batchPrefix?: { bucketArn: pulumi.Input<string>; prefix: string };
  /**
   * Where ScoreFiles' ResultWriter exports (the artifacts bucket and the data-lake key that
   * encrypts it): required with `batchPrefix`.
   */
  batchResults?: { bucketArn: pulumi.Input<string>; keyArn: pulumi.Input<string> };
  /**
   * Where the state machine stores container steps' inputs (the artifacts bucket, encrypted
   * with the data-lake key); required when any step runs as a container.
   */
  containerInputs?: {
    bucketName: pulumi.Input<string>;
    bucketArn: pulumi.Input<string>;
    keyArn: pulumi.Input<string>;
  };
}

/** Every alarm looks at 5-minute sums and fires on the first occurrence. */
const ALARM_PERIOD_SECONDS = 300;

export class Pipeline extends pulumi.ComponentResource {
  readonly stateMachine: aws.sfn.StateMachine;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly schedule: aws.scheduler.Schedule;
  readonly alarms: aws.cloudwatch.MetricAlarm[];

  constructor(name: string, args: PipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("orchard:pipeline:Pipeline", name, {}, opts);
    const child = { parent: this };
    const tags = componentTags("pipeline", { pipeline: args.pipeline });

    const resolved = pulumi.output(
      resolveTargets(args.targets, {
        bucket: args.containerInputs?.bucketName ?? "",
        prefix: containerInputPrefix(args.pipeline),
      }),
    );
    this.role = new aws.iam.Role(
      `${name}-sfn-role`,
      {
        assumeRolePolicy: pulumi
          .output(args.accountId)
          .apply((account) => JSON.stringify(statesTrustPolicy(account, args.region))),
        tags,
      },
      child,
    );
    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-sfn-logs`,
      {
        namePrefix: stateMachineLogGroupPrefix(pulumi.getStack(), args.pipeline),
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.logKeyArn,
        tags,
      },
      child,
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-sfn-policy`,
      {
        role: this.role.id,
        policy: pulumi
          .all([
            pulumi.output(grantsOf(args.targets)),
            this.logGroup.arn,
            pulumi.output(args.containerInputs ?? null),
          ])
          .apply(([grants, logGroupArn, inputs]) =>
            JSON.stringify(
              stateMachinePolicy(grants.functionArns, logGroupArn, {
                ...(grants.ecs
                  ? {
                      ecs: {
                        ...grants.ecs,
                        passRoleArns: [...new Set(grants.ecs.passRoleArns)],
                        ...(inputs
                          ? {
                              inputObjects: {
                                objectArnPattern: `${inputs.bucketArn}/${containerInputPrefix(args.pipeline)}*`,
                                keyArn: inputs.keyArn,
                              },
                            }
                          : {}),
                      },
                    }
                  : {}),
              }),
            ),
          ),
      },
      child,
    );
    const definition = resolved.apply((targets) =>
      JSON.stringify(
        cloudDefinition(
          {
            pipeline: args.pipeline,
            trainConcurrency: args.trainConcurrency,
            batchToleratedFailurePercent: args.batchToleratedFailurePercent,
            taskTimeoutSeconds: args.taskTimeoutSeconds,
          },
          targets,
        ),
        null,
        2,
      ),
    );
    this.stateMachine = new aws.sfn.StateMachine(
      `${name}-sfn`,
      {
        type: "STANDARD",
        roleArn: this.role.arn,
        definition,
        loggingConfiguration: {
          level: "ALL",
          includeExecutionData: args.logExecutionData,
          logDestination: this.logGroup.arn.apply((arn) => (arn.endsWith(":*") ? arn : `${arn}:*`)),
        },
        tracingConfiguration: { enabled: true },
        tags,
      },
      { parent: this, dependsOn: [rolePolicy] },
    );

    const batchPrefix = args.batchPrefix;
    const batchResults = args.batchResults;
    if (batchPrefix && !batchResults) {
      throw new Error(
        `Pipeline ${name}: batchPrefix is set without batchResults; ScoreFiles exports its results to the artifacts bucket, pass its ARN and key`,
      );
    }
    if (batchPrefix && batchResults) {
      // After the state machine, whose own ARN the Distributed Map grants name.
      new aws.iam.RolePolicy(
        `${name}-sfn-distributed-map`,
        {
          role: this.role.id,
          policy: pulumi
            .all([
              this.stateMachine.arn,
              pulumi.output(batchPrefix.bucketArn),
              pulumi.output(batchResults.bucketArn),
              pulumi.output(batchResults.keyArn),
            ])
            .apply(([arn, bucketArn, resultsBucketArn, keyArn]) =>
              JSON.stringify(
                distributedMapPolicy(
                  arn,
                  { bucketArn, prefix: batchPrefix.prefix },
                  {
                    bucketArn: resultsBucketArn,
                    prefix: batchResultsPrefix(args.pipeline),
                    keyArn,
                  },
                ),
              ),
            ),
        },
        child,
      );
    }

    this.schedule = this.createSchedule(name, args);
    this.alarms = this.createAlarms(name, args, tags);
    this.registerOutputs({
      stateMachineArn: this.stateMachine.arn,
      scheduleName: this.schedule.name,
    });
  }

  private createSchedule(name: string, args: PipelineArgs): aws.scheduler.Schedule {
    return scheduleStateMachine(
      name,
      {
        stateMachineArn: this.stateMachine.arn,
        accountId: args.accountId,
        region: args.region,
        description: `Runs the Orchard pipeline ${args.pipeline}`,
        expression: args.schedule.expression,
        timeZone: args.schedule.timeZone,
        enabled: args.schedule.enabled,
        input: pulumi.output(args.input).apply((input) => JSON.stringify(input)),
        tags: componentTags("pipeline", { pipeline: args.pipeline }),
      },
      this,
    );
  }

  private createAlarms(
    name: string,
    args: PipelineArgs,
    tags: Record<string, string>,
  ): aws.cloudwatch.MetricAlarm[] {
    const child = { parent: this };
    const common = {
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      alarmActions: [args.alertTopicArn],
      tags,
    };
    const execution = (suffix: AlarmKind, metricName: string, what: string) =>
      new aws.cloudwatch.MetricAlarm(
        `${name}-${suffix}`,
        {
          ...common,
          name: alarmName(pulumi.getStack(), args.pipeline, suffix),
          alarmDescription: `Orchard pipeline ${args.pipeline}: ${what}`,
          namespace: "AWS/States",
          metricName,
          dimensions: { StateMachineArn: this.stateMachine.arn },
          statistic: "Sum",
          period: ALARM_PERIOD_SECONDS,
        },
        child,
      );
    const alarms = [
      execution("failed", "ExecutionsFailed", "an execution failed"),
      execution("timed-out", "ExecutionsTimedOut", "an execution timed out"),
      execution("throttled", "ExecutionThrottled", "executions are throttled"),
    ];
    // The first error of any step pages, in as few alarms as CloudWatch's 10-metric limit
    // allows (see stepErrorGroups for why this split and not another).
    const groups = stepErrorGroups(
      args.functionNames.map((fn, i) => ({ fn, step: args.steps[i] })),
    );
    const kinds = stepErrorAlarmKinds(args.functionNames.length);
    groups.forEach((group, g) => {
      const kind = kinds[g];
      alarms.push(
        new aws.cloudwatch.MetricAlarm(
          `${name}-${kind}`,
          {
            ...common,
            name: alarmName(pulumi.getStack(), args.pipeline, kind),
            alarmDescription: `Orchard pipeline ${args.pipeline}: a step function raised an error (${group.map((m) => m.step).join(", ")})`,
            metricQueries: [
              {
                id: "errors",
                expression: `SUM([${group.map((_, i) => `m${i}`).join(", ")}])`,
                label: "Step errors",
                returnData: true,
              },
              ...group.map(({ fn }, i) => ({
                id: `m${i}`,
                metric: {
                  namespace: "AWS/Lambda",
                  metricName: "Errors",
                  dimensions: { FunctionName: fn },
                  stat: "Sum",
                  period: ALARM_PERIOD_SECONDS,
                },
              })),
            ],
          },
          child,
        ),
      );
    });
    return alarms;
  }
}

function resolveTargets(
  targets: Record<StepName, StepTarget>,
  inputStore: { bucket: pulumi.Input<string>; prefix: string },
) {
  return Object.fromEntries(
    Object.entries(targets).map(([step, t]) => [
      step,
      t.kind === "lambda"
        ? { kind: "lambda", functionArn: t.functionArn }
        : {
            kind: "container",
            clusterArn: t.clusterArn,
            taskDefinitionArn: t.taskDefinitionArn,
            containerName: STEP_CONTAINER_NAME,
            network: t.network,
            timeoutSeconds: t.timeoutSeconds,
            inputStore,
          },
    ]),
  ) as unknown as pulumi.Input<Record<StepName, ResolvedTarget>>;
}

function grantsOf(targets: Record<StepName, StepTarget>) {
  const all = Object.values(targets);
  const containers = all.flatMap((t) => (t.kind === "container" ? [t] : []));
  return {
    functionArns: all.flatMap((t) => (t.kind === "lambda" ? [t.functionArn] : [])),
    ecs:
      containers.length === 0
        ? undefined
        : {
            // One cluster per pipeline: every container step shares it.
            clusterArn: containers[0].clusterArn,
            taskDefinitionArns: containers.map((t) => t.taskDefinitionArn),
            passRoleArns: containers.flatMap((t) => [t.taskRoleArn, t.executionRoleArn]),
          },
  } as unknown as pulumi.Input<{ functionArns: string[]; ecs?: EcsTaskTargets }>;
}

/**
 * FeatureViewMaterialization: per feature view, the Lambda that materializes it (the
 * `materialize` bundle), its own role (`materializePolicy`: the view's offline prefix and
 * online items, its source, nothing else), a Standard state machine that invokes it with
 * retries, the EventBridge Scheduler schedule that starts it, and an alarm on failed
 * executions that pages the alert topic.
 *
 * The view's YAML is uploaded content-addressed under `views/<view>/definitions/`, and its
 * URI is in the schedule's input: a changed view is a new object and a changed input, so it
 * shows in `orchard diff`. A view whose source is local is uploaded too, under
 * `views/<view>/sources/` (inside the role's own prefix); an `s3://` source is read in place.
 */
import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { STORAGE_ENV } from "../lambdas/io/env.ts";
import { viewPrefix } from "../pipeline/feature-store/offline.ts";
import type { FeatureView } from "../pipeline/feature-store/types.ts";
import {
  MATERIALIZE_TIMEOUT_SECONDS,
  materializeDefinition,
} from "../pipeline/workflow/materialize-definition.ts";
import {
  LAMBDA_TRUST_POLICY,
  materializePolicy,
  stateMachinePolicy,
  statesTrustPolicy,
} from "./access/policies.ts";
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME } from "./pipeline-step.ts";
import { scheduleStateMachine } from "./state-machine-schedule.ts";
import { componentTags } from "./tags.ts";

/** Feature views refresh hourly unless the stack says otherwise. */
export const DEFAULT_VIEW_SCHEDULE = "rate(1 hour)";

export interface FeatureViewArgs {
  view: FeatureView;
  /** The view file's text, uploaded as its definition. */
  yaml: string;
  /** An `s3://` source as is, or a local source's bytes to upload. */
  source: { uri: string } | { bytes: Uint8Array; ext: string };
  accountId: pulumi.Input<string>;
  region: string;
  keyArn: pulumi.Input<string>;
  featuresBucket: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
  featureTable: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
  /** Bucket and table names the handler reads (`lambdas/io/env.ts`). */
  storageEnv: Record<string, pulumi.Input<string>>;
  code: pulumi.asset.Archive;
  codeVersion: string;
  schedule?: { expression: string; timeZone: string };
  logRetentionDays: number;
  alertTopicArn: pulumi.Input<string>;
}

/** `s3://bucket/key` → the object's ARN. */
function objectArn(uri: string): string {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new Error(`not an s3:// object URI: ${uri}`);
  return `arn:aws:s3:::${m[1]}/${m[2]}`;
}

export class FeatureViewMaterialization extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly stateMachine: aws.sfn.StateMachine;
  readonly schedule: aws.scheduler.Schedule;
  readonly alarm: aws.cloudwatch.MetricAlarm;
  readonly viewUri: pulumi.Output<string>;
  readonly sourceUri: pulumi.Output<string>;

  constructor(name: string, args: FeatureViewArgs, opts?: pulumi.ComponentResourceOptions) {
    super("orchard:features:FeatureViewMaterialization", name, {}, opts);
    const child = { parent: this };
    const view = args.view.name;
    const tags = componentTags("feature-view", { view });
    const stack = pulumi.getStack();
    const prefix = `${viewPrefix(view)}/`;

    const upload = (role: string, key: string, content: pulumi.asset.Asset) =>
      new aws.s3.BucketObjectv2(
        `${name}-${role}`,
        {
          bucket: args.featuresBucket.name,
          key,
          source: content,
          kmsKeyId: args.keyArn,
          serverSideEncryption: "aws:kms",
          tags,
        },
        { parent: this, retainOnDelete: true },
      );
    const yamlSha = createHash("sha256").update(args.yaml).digest("hex");
    const definition = upload(
      "definition",
      `${prefix}definitions/${yamlSha}.yaml`,
      new pulumi.asset.StringAsset(args.yaml),
    );
    this.viewUri = pulumi.interpolate`s3://${definition.bucket}/${definition.key}`;
    let sourceObjectArns: pulumi.Input<string[]> = [];
    if ("uri" in args.source) {
      this.sourceUri = pulumi.output(args.source.uri);
      sourceObjectArns = [objectArn(args.source.uri)];
    } else {
      const bytes = Buffer.from(args.source.bytes);
      const sha = createHash("sha256").update(bytes).digest("hex");
      const object = upload(
        "source",
        `${prefix}sources/${sha}.${args.source.ext}`,
        new pulumi.asset.StringAsset(bytes.toString("utf8")),
      );
      this.sourceUri = pulumi.interpolate`s3://${object.bucket}/${object.key}`;
    }

    this.role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: JSON.stringify(LAMBDA_TRUST_POLICY), tags },
      child,
    );
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        namePrefix: `/orchard/${stack}/views/${view}-`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.keyArn,
        tags,
      },
      child,
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: pulumi
          .all([
            args.featuresBucket.arn,
            args.featureTable.arn,
            pulumi.output(args.keyArn),
            pulumi.output(sourceObjectArns),
            logGroup.arn,
          ])
          .apply(([features, table, keyArn, sources, logGroupArn]) =>
            JSON.stringify(
              materializePolicy(
                {
                  view,
                  featuresBucketArn: features,
                  featureTableArn: table,
                  keyArn,
                  sourceObjectArns: sources,
                },
                { logGroupArn },
              ),
            ),
          ),
      },
      child,
    );
    this.function = new aws.lambda.Function(
      `${name}-fn`,
      {
        runtime: LAMBDA_RUNTIME,
        architectures: [LAMBDA_ARCHITECTURE],
        handler: "index.handler",
        code: args.code,
        role: this.role.arn,
        memorySize: 2048,
        timeout: MATERIALIZE_TIMEOUT_SECONDS,
        environment: {
          variables: {
            NODE_OPTIONS: "--enable-source-maps",
            ORCHARD_CODE_VERSION: args.codeVersion,
            [STORAGE_ENV.featuresBucket]: args.storageEnv[STORAGE_ENV.featuresBucket],
            [STORAGE_ENV.featureTable]: args.storageEnv[STORAGE_ENV.featureTable],
            // The handler opens every store; these two it never calls.
            [STORAGE_ENV.rawBucket]: args.storageEnv[STORAGE_ENV.rawBucket],
            [STORAGE_ENV.artifactsBucket]: args.storageEnv[STORAGE_ENV.artifactsBucket],
            [STORAGE_ENV.registryTable]: args.storageEnv[STORAGE_ENV.registryTable],
          },
        },
        tracingConfig: { mode: "Active" },
        loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
        tags,
      },
      { parent: this, dependsOn: [logGroup, rolePolicy] },
    );

    const sfnRole = new aws.iam.Role(
      `${name}-sfn-role`,
      {
        assumeRolePolicy: pulumi
          .output(args.accountId)
          .apply((a) => JSON.stringify(statesTrustPolicy(a, args.region))),
        tags,
      },
      child,
    );
    const sfnLogs = new aws.cloudwatch.LogGroup(
      `${name}-sfn-logs`,
      {
        namePrefix: `/aws/vendedlogs/states/orchard/${stack}/views/${view}-`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.keyArn,
        tags,
      },
      child,
    );
    const sfnPolicy = new aws.iam.RolePolicy(
      `${name}-sfn-policy`,
      {
        role: sfnRole.id,
        policy: pulumi
          .all([this.function.arn, sfnLogs.arn])
          .apply(([fn, logs]) => JSON.stringify(stateMachinePolicy([fn], logs))),
      },
      child,
    );
    this.stateMachine = new aws.sfn.StateMachine(
      `${name}-sfn`,
      {
        type: "STANDARD",
        roleArn: sfnRole.arn,
        definition: this.function.arn.apply((fn) =>
          JSON.stringify(materializeDefinition(view, fn), null, 2),
        ),
        loggingConfiguration: {
          level: "ALL",
          includeExecutionData: true,
          logDestination: sfnLogs.arn.apply((arn) => (arn.endsWith(":*") ? arn : `${arn}:*`)),
        },
        tracingConfiguration: { enabled: true },
        tags,
      },
      { parent: this, dependsOn: [sfnPolicy] },
    );

    const schedule = args.schedule ?? { expression: DEFAULT_VIEW_SCHEDULE, timeZone: "UTC" };
    this.schedule = scheduleStateMachine(
      name,
      {
        stateMachineArn: this.stateMachine.arn,
        accountId: args.accountId,
        region: args.region,
        description: `Materializes the Orchard feature view ${view}`,
        expression: schedule.expression,
        timeZone: schedule.timeZone,
        input: pulumi
          .all([this.viewUri, this.sourceUri])
          .apply(([viewUri, sourceUri]) => JSON.stringify({ view, viewUri, sourceUri })),
        tags,
      },
      this,
    );
    this.alarm = new aws.cloudwatch.MetricAlarm(
      `${name}-failed`,
      {
        name: `orchard-${stack}-view-${view}-failed`,
        alarmDescription: `Orchard feature view ${view}: a materialization failed; its features are going stale`,
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
      child,
    );
    this.registerOutputs({
      stateMachineArn: this.stateMachine.arn,
      functionArn: this.function.arn,
      roleArn: this.role.arn,
      viewUri: this.viewUri,
    });
  }
}

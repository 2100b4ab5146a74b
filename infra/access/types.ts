/**
 * The shapes of the IAM contract between the pure access module and the Pulumi program:
 * plain strings in (ARNs), plain JSON out (policy documents `JSON.stringify` can hand to
 * `aws.iam.RolePolicy`). Nothing here knows about Pulumi.
 */
import { STEP_NAMES, type StepName } from "../../pipeline/workflow/steps.ts";

/**
 * One role per pipeline step (the Lambda or Fargate task that runs it), plus serving and the
 * Monitor (docs/monitoring.md).
 */
export type StepRoleName = StepName | "predict" | "monitor";

export const STEP_ROLE_NAMES: readonly StepRoleName[] = [...STEP_NAMES, "predict", "monitor"];

/**
 * The step roles a stack creates: the Monitor's only for pipelines whose spec has
 * `monitor.capture` (infra/monitor.ts creates it beside its function).
 */
export const DEPLOYED_STEP_ROLE_NAMES: readonly StepRoleName[] = [
  ...STEP_NAMES,
  "predict",
  "monitor",
];

export type HumanRoleName = "data-scientist" | "platform-admin";

export const HUMAN_ROLE_NAMES: readonly HumanRoleName[] = ["data-scientist", "platform-admin"];

export interface AccessTargets {
  /** The pipeline name (`[a-z0-9-]{1,40}`): its data keys live under `<pipeline>/`. */
  pipeline: string;
  /** Bucket ARNs, e.g. `arn:aws:s3:::orchard-raw-1a2b3c`. */
  buckets: { raw: string; features: string; artifacts: string };
  /** Table ARNs, e.g. `arn:aws:dynamodb:eu-west-1:123456789012:table/registry-1a2b`. */
  tables: { features: string; registry: string };
  /** The data-lake KMS key ARN (it also encrypts the alert topic). */
  keyArn: string;
  /** SNS topic for failures and alarms. */
  alertTopicArn: string;
  /** The serving Lambda, unqualified (platform-admin may move its `live` alias). */
  predictFunctionArn: string;
  /** S3 source objects the ingest step may read (specs with `s3://` sources); may be []. */
  sourceObjectArns: string[];
  /**
   * Where batch scoring lists, reads and writes (the spec's `deploy.batch.inputUri` in S3):
   * a bucket the user owns, e.g. `{ bucketArn: "arn:aws:s3:::acme-scoring", prefix:
   * "penguins/daily/" }`, or the pipeline's landing prefix `<pipeline>/batch/` of the raw
   * bucket. The prefix may be empty (the whole bucket). Absent or null: the
   * pipeline has no batch scoring and BatchScore is granted nothing beyond the model.
   */
  batchPrefix?: BatchPrefix | null;
  /** State machines, for human roles. */
  stateMachineArns?: string[];
  /**
   * The feature views the pipeline's spec takes features from (`features.from`): Ingest may
   * read their offline files, predict their online items; nothing else of other views. For
   * the human roles (`HumanTargets`): every view of the stack, which people read with
   * `orchard features`.
   */
  views?: string[];
}

/** One key prefix of one bucket; objects under it are `${bucketArn}/${prefix}*`. */
export interface BatchPrefix {
  bucketArn: string;
  prefix: string;
}

/** What `humanPolicy` takes: the targets of every pipeline the role works on. */
export type HumanTargets = Omit<AccessTargets, "pipeline" | "predictFunctionArn"> & {
  pipelines: string[];
  /** Every pipeline's serving Lambda, unqualified. */
  predictFunctionArns: string[];
  stateMachineArns: string[];
  /** Log groups of the steps and state machines; platform-admin may read them. */
  logGroupArns?: string[];
  /**
   * Log group name prefixes (`/orchard/prod/`) whose every log group platform-admin may read,
   * in the data-lake key's account and region: one pattern for all of a stack's pipelines
   * instead of an ARN per log group (infra/log-group-names.ts).
   */
  logGroupNamePrefixes?: string[];
};

export type ConditionBlock = Record<string, Record<string, string | string[]>>;

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource: string[];
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** A trust (assume-role) statement: who may assume the role, not what it may do. */
export interface TrustStatement {
  Sid: string;
  Effect: "Allow";
  Principal: { Service: string } | { AWS: string[] };
  Action: string[];
  Condition?: ConditionBlock;
}

export interface TrustPolicyDocument {
  Version: "2012-10-17";
  Statement: TrustStatement[];
}

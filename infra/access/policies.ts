/**
 * The IAM policy documents of the platform, built from the declared access in
 * `declarations.ts` by the grant builders in `grants.ts`. Pure: plain strings in, plain
 * JSON out; `infra/access.ts` (the Pulumi component) hands the result to `aws.iam.RolePolicy`
 * inside an `apply`.
 *
 * Never `*` on data, never s3:DeleteObject (raw data is immutable, and every policy carries
 * an explicit Deny for it), no iam: actions except PassRole of named task roles for
 * container steps.
 */

import { onlineFeatureSet, viewPrefix } from "../../pipeline/feature-store/offline.ts";
import {
  type ArnParts,
  executionsOf,
  logStreamsOf,
  requireArn,
  requireArns,
  requirePipelineName,
  stripLogGroupSuffix,
  viaService,
} from "./arns.ts";
import {
  type Access,
  HUMAN_ACCESS,
  lakeBatchKey,
  STEP_ACCESS,
  TABLE_LEADING_KEYS,
  TABLE_OPERATIONS,
} from "./declarations.ts";
import { AccessPolicyError } from "./errors.ts";
import {
  denyRawDeletion,
  grantBatch,
  grantCreateContent,
  grantInvoke,
  grantKey,
  grantMoveAlias,
  grantPublish,
  grantRead,
  grantReadLogs,
  grantReadObjects,
  grantStateMachines,
  grantTable,
  grantWrite,
  grantWriteLogs,
  StatementSet,
} from "./grants.ts";
import type {
  AccessTargets,
  BatchPrefix,
  HumanRoleName,
  HumanTargets,
  PolicyDocument,
  PolicyStatement,
  StepRoleName,
} from "./types.ts";
import {
  logDeliveryStatement,
  readAlarmsStatement,
  readServingMetricsStatement,
  stateMachineTracingStatement,
  tracingStatement,
} from "./wildcards.ts";

export {
  ECS_TASKS_TRUST_POLICY,
  eventsTrustPolicy,
  humanTrustPolicy,
  LAMBDA_TRUST_POLICY,
  schedulerTrustPolicy,
  statesTrustPolicy,
} from "./trust.ts";
export type {
  AccessTargets,
  BatchPrefix,
  HumanRoleName,
  HumanTargets,
  PolicyDocument,
  PolicyStatement,
  StepRoleName,
} from "./types.ts";

/** The alias the serving function URL points at (platform-admin may move it). */
export const LIVE_ALIAS = "live";

interface BuildContext {
  pipelines: string[];
  targets: Omit<AccessTargets, "pipeline" | "predictFunctionArn">;
  /** The serving Lambdas the access reaches: the step's pipeline's one, or every pipeline's. */
  predictFunctionArns: string[];
  /** The targets field an error names for the i-th of them. */
  predictFunctionField: (i: number) => string;
  stateMachineArns: string[];
  logGroupArns: string[];
  logGroupNamePrefixes: string[];
}

function document(set: StatementSet): PolicyDocument {
  return { Version: "2012-10-17", Statement: set.statements() };
}

function expand(pattern: string, pipelines: string[]): string[] {
  return pipelines.map((p) => pattern.replaceAll("<pipeline>", p));
}

/** Turns declared access into statements; checks each target ARN it uses. */
function applyAccess(set: StatementSet, access: readonly Access[], ctx: BuildContext): void {
  const t = ctx.targets;
  for (const a of access) {
    if ("bucket" in a) {
      const arn = t.buckets?.[a.bucket];
      requireArn(arn, "bucket", `buckets.${a.bucket}`);
      const prefixes = expand(a.prefix, ctx.pipelines);
      if (a.mode === "read") grantRead(set, a.bucket, arn, prefixes);
      else if (a.mode === "create") grantCreateContent(set, a.bucket, arn, prefixes);
      else grantWrite(set, a.bucket, arn, prefixes);
    } else if ("table" in a) {
      const arn = t.tables?.[a.table];
      requireArn(arn, "table", `tables.${a.table}`);
      const keys = TABLE_LEADING_KEYS[a.table];
      const leading = {
        operator: keys.operator,
        values: expand(keys.pattern, ctx.pipelines),
      };
      const ops = TABLE_OPERATIONS[a.table];
      if (a.mode !== "write") grantTable(set, a.table, arn, "Read", ops.read, leading);
      if (a.mode !== "read") grantTable(set, a.table, arn, "Write", ops.write, leading);
    } else if ("sourceObjects" in a) {
      const arns = t.sourceObjectArns ?? [];
      requireArns(arns, "object", "sourceObjectArns");
      grantReadObjects(set, arns);
    } else if ("batchPrefix" in a) {
      const batch = t.batchPrefix;
      if (batch) {
        const inLake = checkBatchPrefix(batch, t.buckets, ctx.pipelines);
        grantBatch(set, batch.bucketArn, batch.prefix);
        // The landing prefix in the raw bucket is encrypted with the data-lake key.
        if (inLake) {
          set.keyReads.add("s3");
          set.keyWrites.add("s3");
        }
      }
    } else if ("topic" in a) {
      requireArn(t.alertTopicArn, "topic", "alertTopicArn");
      grantPublish(set, t.alertTopicArn);
    } else if ("function" in a) {
      const fns = ctx.predictFunctionArns;
      if (fns.length === 0) {
        throw new AccessPolicyError(
          `${ctx.predictFunctionField(0)} is missing: the serving function's ARN is needed for this access`,
          { path: ctx.predictFunctionField(0) },
        );
      }
      for (const [i, arn] of fns.entries())
        requireArn(arn, "function", ctx.predictFunctionField(i));
      if (a.mode === "alias") for (const arn of fns) grantMoveAlias(set, arn, LIVE_ALIAS);
      else grantInvoke(set, fns, LIVE_ALIAS);
    } else if ("stateMachines" in a) {
      const executions = ctx.stateMachineArns.map((arn, i) =>
        executionsOf(arn, `stateMachineArns[${i}]`),
      );
      grantStateMachines(set, ctx.stateMachineArns, executions, a.mode);
    } else if ("servingMetrics" in a) {
      set.add(readServingMetricsStatement(), readAlarmsStatement(keyParts(t.keyArn)));
    } else if ("views" in a) {
      const views = checkViews(t.views ?? []);
      if (views.length === 0) continue;
      if (a.views === "offline") {
        requireArn(t.buckets?.features, "bucket", "buckets.features");
        grantRead(
          set,
          "features",
          t.buckets.features,
          views.map((v) => `${viewPrefix(v)}/`),
        );
      } else {
        requireArn(t.tables?.features, "table", "tables.features");
        grantTable(set, "features", t.tables.features, "Read", TABLE_OPERATIONS.features.read, {
          operator: "StringLike",
          values: views.map((v) => `${onlineFeatureSet(v)}#*`),
        });
      }
    } else if ("logGroups" in a) {
      const groups = ctx.logGroupArns.map(stripLogGroupSuffix);
      const streams = groups.map((arn, i) => logStreamsOf(arn, `logGroupArns[${i}]`));
      const key = keyParts(t.keyArn);
      for (const [i, prefix] of ctx.logGroupNamePrefixes.entries()) {
        if (typeof prefix !== "string" || !/^\/[A-Za-z0-9_\-/.#]+\/$/.test(prefix)) {
          throw new AccessPolicyError(
            `logGroupNamePrefixes[${i}] is ${JSON.stringify(prefix)}; a log group name prefix starts and ends with / and has no * or ? (e.g. /orchard/prod/)`,
            { path: `logGroupNamePrefixes[${i}]` },
          );
        }
        const group = `arn:${key.partition}:logs:${key.region}:${key.account}:log-group:${prefix}*`;
        groups.push(group);
        streams.push(`${group}:log-stream:*`);
      }
      grantReadLogs(set, groups, streams);
    }
  }
}

/**
 * The batch location's bucket ARN and prefix, checked: a bucket ARN without key, and a prefix
 * free of IAM's pattern characters (`*`, `?`) and policy variables (`${`), which would widen
 * the grant beyond the prefix. In Orchard's own buckets only the pipeline's landing prefix
 * `<pipeline>/batch/` of the raw bucket is accepted (what a local `deploy.batch.inputUri`
 * deploys as): any other prefix there could reach other pipelines' data or this pipeline's
 * models. Returns whether the location is that landing prefix.
 */
function checkBatchPrefix(
  batch: BatchPrefix,
  buckets: AccessTargets["buckets"],
  pipelines: string[],
): boolean {
  requireArn(batch.bucketArn, "bucket", "batchPrefix.bucketArn");
  if (typeof batch.prefix !== "string" || /[*?]|\$\{/.test(batch.prefix)) {
    throw new AccessPolicyError(
      `batchPrefix.prefix is ${JSON.stringify(batch.prefix)}; a key prefix in a grant may not contain *, ? or \${ (IAM would read them as patterns): rename the batch prefix in deploy.batch.inputUri`,
      { path: "batchPrefix.prefix" },
    );
  }
  const own = Object.entries(buckets ?? {}).find(([, arn]) => arn === batch.bucketArn);
  if (!own) return false;
  const landing = pipelines.map(lakeBatchKey);
  if (own[0] === "raw" && landing.includes(batch.prefix as (typeof landing)[number])) return true;
  throw new AccessPolicyError(
    `batchPrefix is ${JSON.stringify(batch.prefix)} in Orchard's ${own[0]} bucket (${batch.bucketArn}); in Orchard's buckets batch scoring may use only the pipeline's landing prefix ${landing.join(", ")} of the raw bucket: write deploy.batch.inputUri as a local directory for that, or point it (or the pipeline's batchUri config) at a bucket of your own`,
    { path: "batchPrefix.bucketArn" },
  );
}

function keyParts(keyArn: string): ArnParts {
  return requireArn(keyArn, "key", "keyArn");
}

export interface StepPolicyOptions {
  /**
   * The step's own log group (`aws.cloudwatch.LogGroup` arn). Without it the role may write
   * to any `/aws/lambda/*` log group of the key's account and region: pass it.
   */
  logGroupArn?: string;
  /** X-Ray active tracing (default true, as the program deploys the functions). */
  tracing?: boolean;
}

/** The execution role policy of one pipeline step. */
export function stepPolicy(
  step: StepRoleName,
  targets: AccessTargets,
  options: StepPolicyOptions = {},
): PolicyDocument {
  const access = STEP_ACCESS[step];
  if (!access) {
    throw new AccessPolicyError(
      `unknown step "${String(step)}"; expected one of ${Object.keys(STEP_ACCESS).join(", ")}`,
    );
  }
  const pipeline = requirePipelineName(targets.pipeline, "pipeline");
  const key = keyParts(targets.keyArn);
  const set = new StatementSet();
  applyAccess(set, access, {
    pipelines: [pipeline],
    targets,
    predictFunctionArns: [targets.predictFunctionArn],
    predictFunctionField: () => "predictFunctionArn",
    stateMachineArns: [],
    logGroupArns: [],
    logGroupNamePrefixes: [],
  });
  grantKey(set, targets.keyArn, key);
  const streams = options.logGroupArn
    ? logStreamsOf(options.logGroupArn, "logGroupArn")
    : // Fallback only: the function's auto-generated name is not known here.
      `arn:${key.partition}:logs:${key.region}:${key.account}:log-group:/aws/lambda/*:log-stream:*`;
  grantWriteLogs(set, [streams]);
  if (options.tracing ?? true) set.add(tracingStatement());
  requireArn(targets.buckets?.raw, "bucket", "buckets.raw");
  denyRawDeletion(set, targets.buckets.raw);
  return document(set);
}

/** The policy of a human role over every pipeline of the stack. */
export function humanPolicy(role: HumanRoleName, targets: HumanTargets): PolicyDocument {
  const access = HUMAN_ACCESS[role];
  if (!access) {
    throw new AccessPolicyError(
      `unknown human role "${String(role)}"; expected one of ${Object.keys(HUMAN_ACCESS).join(", ")}`,
    );
  }
  if (!Array.isArray(targets.pipelines) || targets.pipelines.length === 0) {
    throw new AccessPolicyError("humanPolicy needs at least one pipeline name in pipelines", {
      path: "pipelines",
    });
  }
  const pipelines = targets.pipelines.map((p, i) => requirePipelineName(p, `pipelines[${i}]`));
  const set = new StatementSet();
  applyAccess(set, access, {
    pipelines,
    targets,
    predictFunctionArns: targets.predictFunctionArns ?? [],
    predictFunctionField: (i) => `predictFunctionArns[${i}]`,
    stateMachineArns: targets.stateMachineArns ?? [],
    logGroupArns: targets.logGroupArns ?? [],
    logGroupNamePrefixes: targets.logGroupNamePrefixes ?? [],
  });
  grantKey(set, targets.keyArn, keyParts(targets.keyArn));
  requireArn(targets.buckets?.raw, "bucket", "buckets.raw");
  denyRawDeletion(set, targets.buckets.raw);
  return document(set);
}

/**
 * How many pipelines share one of a human role's managed policies. The pipeline-scoped grants
 * of one pipeline measure 1,950 characters for platform-admin with 18-character names and
 * stay under 3,000 with 40-character ones (the longest a spec allows), so two fit IAM's 6,144
 * characters per managed policy with room to spare.
 */
export const PIPELINES_PER_HUMAN_POLICY = 2;

/** IAM: a managed policy holds at most 6,144 characters (whitespace not counted). */
export const MAX_MANAGED_POLICY_CHARS = 6_144;

/** IAM: a role has at most 10 managed policies attached (the default quota). */
export const MAX_MANAGED_POLICIES_PER_ROLE = 10;

/** How many managed policies `humanPolicyParts` returns for `pipelineCount` pipelines. */
export function humanPolicyPartCount(pipelineCount: number): number {
  return 1 + Math.ceil(pipelineCount / PIPELINES_PER_HUMAN_POLICY);
}

/** The most pipelines one stack's human roles can be granted within the managed-policy quota. */
export const MAX_PIPELINES_PER_STACK =
  (MAX_MANAGED_POLICIES_PER_ROLE - 1) * PIPELINES_PER_HUMAN_POLICY;

// Views belong to the stack, not to one pipeline: their reads go with the stack-wide grants.
const STACK_WIDE = (a: Access) =>
  "topic" in a || "logGroups" in a || "servingMetrics" in a || "views" in a;

/**
 * A human role's policy (`humanPolicy`) cut into managed policies that each stay within IAM's
 * 6,144 characters, however many pipelines the stack has: first the stack-wide grants (the
 * data-lake key, the alert topic, every log group of the stack by name prefix, the raw-data
 * deny), then one document per `PIPELINES_PER_HUMAN_POLICY` pipelines with their prefixes,
 * partition keys, state machines and serving functions. Together they allow exactly what
 * `humanPolicy` allows. Why managed policies and not one inline policy: IAM caps a role's
 * inline policies at 10,240 characters in total, and the pipeline-scoped ARNs (Pulumi-named,
 * with random suffixes) cannot be folded into one stack-wide pattern without also naming the
 * resources of another stack of the same account; grouping keeps every grant on named ARNs.
 */
export function humanPolicyParts(role: HumanRoleName, targets: HumanTargets): PolicyDocument[] {
  humanPolicy(role, targets); // validates the targets; its errors name what is wrong
  const access = HUMAN_ACCESS[role];
  const pipelines = targets.pipelines;
  const ctxFor = (indexes: number[]): BuildContext => ({
    pipelines: indexes.map((i) => pipelines[i]),
    targets,
    predictFunctionArns: indexes.flatMap((i) =>
      targets.predictFunctionArns[i] === undefined ? [] : [targets.predictFunctionArns[i]],
    ),
    predictFunctionField: (i) => `predictFunctionArns[${indexes[i] ?? i}]`,
    stateMachineArns: indexes.flatMap((i) =>
      targets.stateMachineArns[i] === undefined ? [] : [targets.stateMachineArns[i]],
    ),
    logGroupArns: targets.logGroupArns ?? [],
    logGroupNamePrefixes: targets.logGroupNamePrefixes ?? [],
  });
  const all = pipelines.map((_, i) => i);

  const shared = new StatementSet();
  applyAccess(shared, access.filter(STACK_WIDE), ctxFor(all));
  // The key is used through every service any of the role's grants reaches.
  const uses = new StatementSet();
  applyAccess(uses, access, ctxFor(all));
  for (const s of uses.keyReads) shared.keyReads.add(s);
  for (const s of uses.keyWrites) shared.keyWrites.add(s);
  grantKey(shared, targets.keyArn, keyParts(targets.keyArn));
  denyRawDeletion(shared, targets.buckets.raw);

  const parts = [document(shared)];
  for (let start = 0; start < pipelines.length; start += PIPELINES_PER_HUMAN_POLICY) {
    const set = new StatementSet();
    const group = all.slice(start, start + PIPELINES_PER_HUMAN_POLICY);
    applyAccess(
      set,
      access.filter((a) => !STACK_WIDE(a)),
      ctxFor(group),
    );
    parts.push(document(set));
  }
  return parts;
}

/** What a state machine needs to run `compute: container` steps as Fargate tasks (`.sync`). */
export interface EcsTaskTargets {
  clusterArn: string;
  taskDefinitionArns: string[];
  /** The task role and execution role of each task definition (iam:PassRole). */
  passRoleArns: string[];
  /**
   * Where the state machine stores container steps' inputs (S3 PutObject through the SDK
   * integration, infra/cloud-definition.ts): `arn:aws:s3:::<bucket>/<pipeline>/container-inputs/*`,
   * and the data-lake key that encrypts the bucket.
   */
  inputObjects?: { objectArnPattern: string; keyArn: string };
}

export interface StateMachinePolicyOptions {
  /** X-Ray tracing of executions (default true). */
  tracing?: boolean;
  ecs?: EcsTaskTargets;
}

/**
 * The state machine's role: invoke exactly its own functions (and their versions and aliases),
 * deliver execution logs when `logGroupArn` is given, trace, and run its Fargate tasks.
 */
export function stateMachinePolicy(
  functionArns: string[],
  logGroupArn?: string,
  options: StateMachinePolicyOptions = {},
): PolicyDocument {
  if (functionArns.length === 0 && !options.ecs) {
    throw new AccessPolicyError(
      "stateMachinePolicy needs the ARNs of the functions the state machine invokes",
    );
  }
  requireArns(functionArns, "function", "functionArns");
  const statements: PolicyStatement[] = [];
  if (functionArns.length > 0) {
    statements.push({
      Sid: "InvokeOwnFunctions",
      Effect: "Allow",
      Action: ["lambda:InvokeFunction"],
      Resource: [...new Set(functionArns.flatMap((arn) => [arn, `${arn}:*`]))],
    });
  }
  if (options.ecs) statements.push(...ecsStatements(options.ecs));
  if (logGroupArn !== undefined) {
    requireArn(stripLogGroupSuffix(logGroupArn), "logGroup", "logGroupArn");
    statements.push(logDeliveryStatement());
  }
  if (options.tracing ?? true) statements.push(stateMachineTracingStatement());
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * `.sync` ECS integration: run and stop the tasks, and manage the EventBridge rule Step
 * Functions uses to learn that a task stopped (a fixed, AWS-defined rule name).
 */
function ecsStatements(ecs: EcsTaskTargets): PolicyStatement[] {
  const cluster = requireArn(ecs.clusterArn, "cluster", "ecs.clusterArn");
  requireArns(ecs.taskDefinitionArns, "taskDefinition", "ecs.taskDefinitionArns");
  requireArns(ecs.passRoleArns, "role", "ecs.passRoleArns");
  const clusterName = cluster.resource.slice("cluster/".length);
  const base = `arn:${cluster.partition}`;
  return [
    {
      Sid: "RunStepTasks",
      Effect: "Allow",
      Action: ["ecs:RunTask"],
      // A revisioned ARN names exactly that revision; a family ARN gets `:*` (its revisions).
      Resource: ecs.taskDefinitionArns.map((arn) => (/:\d+$/.test(arn) ? arn : `${arn}:*`)),
      Condition: { ArnEquals: { "ecs:cluster": ecs.clusterArn } },
    },
    {
      Sid: "WatchStepTasks",
      Effect: "Allow",
      Action: ["ecs:StopTask", "ecs:DescribeTasks"],
      Resource: [`${base}:ecs:${cluster.region}:${cluster.account}:task/${clusterName}/*`],
    },
    {
      Sid: "TaskCompletionRule",
      Effect: "Allow",
      Action: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
      Resource: [
        `${base}:events:${cluster.region}:${cluster.account}:rule/StepFunctionsGetEventsForECSTaskRule`,
      ],
    },
    ...(ecs.inputObjects ? inputObjectStatements(ecs.inputObjects) : []),
    {
      Sid: "PassTaskRoles",
      Effect: "Allow",
      Action: ["iam:PassRole"],
      Resource: ecs.passRoleArns,
      Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
    },
  ];
}

/** Store container steps' inputs: PutObject under the one prefix, encrypted via S3 only. */
function inputObjectStatements(inputs: { objectArnPattern: string; keyArn: string }) {
  const key = keyParts(inputs.keyArn);
  if (
    !/^arn:aws[a-z-]*:s3:::[a-z0-9.-]{3,63}\/[a-z0-9-]{1,40}\/container-inputs\/\*$/.test(
      inputs.objectArnPattern,
    )
  ) {
    throw new AccessPolicyError(
      `ecs.inputObjects.objectArnPattern is "${inputs.objectArnPattern}", not arn:aws:s3:::<bucket>/<pipeline>/container-inputs/*`,
      { path: "ecs.inputObjects.objectArnPattern" },
    );
  }
  return [
    {
      Sid: "StoreContainerInputs",
      Effect: "Allow" as const,
      Action: ["s3:PutObject"],
      Resource: [inputs.objectArnPattern],
    },
    {
      Sid: "EncryptContainerInputs",
      Effect: "Allow" as const,
      Action: ["kms:GenerateDataKey"],
      Resource: [inputs.keyArn],
      Condition: { StringEquals: { "kms:ViaService": viaService("s3", key.region) } },
    },
  ];
}

/**
 * What the state machine's role needs for its Distributed Map (the ScoreFiles batch scoring,
 * pipeline/workflow/definition.ts), per the Step Functions guide "IAM policies for using
 * Distributed Map states": start child executions of itself (`states:StartExecution` on its
 * own ARN), watch and stop them (`states:DescribeExecution`, `states:StopExecution` on its
 * Map Runs' child executions, `execution:<name>/<label>:<id>`), and list the ItemReader's prefix (`s3:ListBucket` with
 * `s3:prefix`, unconditioned for the whole bucket, as `grantBatch`). The objects themselves
 * are read and written by the batchScore function's role, not by the state machine. With
 * `results`, the ResultWriter's export too (see `mapResultStatements`). A policy of its own,
 * attached once the state machine exists: its ARN is only known then.
 */
export function distributedMapPolicy(
  stateMachineArn: string,
  batch: BatchPrefix,
  results?: MapResults,
): PolicyDocument {
  const machine = requireArn(stateMachineArn, "stateMachine", "stateMachineArn");
  requireArn(batch.bucketArn, "bucket", "batchPrefix.bucketArn");
  if (typeof batch.prefix !== "string" || /[*?]|\$\{/.test(batch.prefix)) {
    throw new AccessPolicyError(
      `batchPrefix.prefix is ${JSON.stringify(batch.prefix)}; a key prefix in a grant may not contain *, ? or \${ (IAM would read them as patterns): rename the batch prefix in deploy.batch.inputUri`,
      { path: "batchPrefix.prefix" },
    );
  }
  const name = machine.resource.slice("stateMachine:".length);
  // A child's ARN is `execution:<name>/<map run label>:<id>`. The guide grants
  // `execution:<name>/*`; the `:*` keeps the service reference's `<name>:<id>` shape and
  // matches the same children.
  const executions = `arn:${machine.partition}:states:${machine.region}:${machine.account}:execution:${name}/*:*`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "StartMapChildExecutions",
        Effect: "Allow",
        Action: ["states:StartExecution"],
        Resource: [stateMachineArn],
      },
      {
        Sid: "WatchMapChildExecutions",
        Effect: "Allow",
        Action: ["states:DescribeExecution", "states:StopExecution"],
        Resource: [executions],
      },
      batch.prefix === ""
        ? {
            Sid: "ListBatchBucket",
            Effect: "Allow",
            Action: ["s3:ListBucket"],
            Resource: [batch.bucketArn],
          }
        : {
            Sid: "ListBatchKeys",
            Effect: "Allow",
            Action: ["s3:ListBucket"],
            Resource: [batch.bucketArn],
            Condition: { StringLike: { "s3:prefix": [`${batch.prefix}*`] } },
          },
      ...(results ? mapResultStatements(results) : []),
    ],
  };
}

/** Where a Distributed Map's ResultWriter exports: a key prefix of a bucket encrypted with `keyArn`. */
export interface MapResults {
  bucketArn: string;
  /** The ResultWriter's Prefix (`batchResultsPrefix`), without a trailing `/`. */
  prefix: string;
  keyArn: string;
}

/**
 * The ResultWriter's export: the S3 actions the guide's "IAM policies for ResultWriter" names
 * (PutObject for the manifest and result files; GetObject, ListMultipartUploadParts and
 * AbortMultipartUpload because large result files are written in parts), on the objects
 * below the one prefix only; and the data-lake key through S3 only (SSE-KMS: a new data key
 * per object, and Decrypt to complete a multipart upload).
 */
function mapResultStatements(results: MapResults): PolicyStatement[] {
  requireArn(results.bucketArn, "bucket", "results.bucketArn");
  const key = keyParts(results.keyArn);
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(results.prefix)) {
    throw new AccessPolicyError(
      `results.prefix is ${JSON.stringify(results.prefix)}; use a key prefix of plain segments without a trailing / (batchResultsPrefix)`,
      { path: "results.prefix" },
    );
  }
  return [
    {
      Sid: "ExportMapResults",
      Effect: "Allow",
      Action: [
        "s3:PutObject",
        "s3:GetObject",
        "s3:ListMultipartUploadParts",
        "s3:AbortMultipartUpload",
      ],
      Resource: [`${results.bucketArn}/${results.prefix}/*`],
    },
    {
      Sid: "EncryptMapResults",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: [results.keyArn],
      Condition: { StringEquals: { "kms:ViaService": viaService("s3", key.region) } },
    },
  ];
}

/** The EventBridge Scheduler role: start executions of one state machine. */
export function schedulerPolicy(stateMachineArn: string): PolicyDocument {
  requireArn(stateMachineArn, "stateMachine", "stateMachineArn");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "StartScheduledExecutions",
        Effect: "Allow",
        Action: ["states:StartExecution"],
        Resource: [stateMachineArn],
      },
    ],
  };
}

/**
 * The Monitor's retrain trigger (infra/monitor.ts): the EventBridge rule on the live-gate
 * alarm starts executions of its pipeline's state machine, and nothing else.
 */
export function retrainTriggerPolicy(stateMachineArn: string): PolicyDocument {
  requireArn(stateMachineArn, "stateMachine", "stateMachineArn");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "StartRetrainExecutions",
        Effect: "Allow",
        Action: ["states:StartExecution"],
        Resource: [stateMachineArn],
      },
    ],
  };
}

const VIEW_NAME = /^[a-z][a-z0-9_]{0,39}$/;

/** View names as feature views allow them; anything else could widen a grant's pattern. */
function checkViews(views: readonly string[]): string[] {
  views.forEach((v, i) => {
    if (typeof v !== "string" || !VIEW_NAME.test(v)) {
      throw new AccessPolicyError(
        `views[${i}] is ${JSON.stringify(v)}; a feature view name is 1 to 40 characters of a-z, 0-9 and _, starting with a letter`,
        { path: `views[${i}]` },
      );
    }
  });
  return [...new Set(views)];
}

/** What one view's materialization role touches, e.g. `{ view: "stock_prices", … }`. */
export interface MaterializeTargets {
  view: string;
  /** The features bucket and feature table: the only data the role reaches. */
  featuresBucketArn: string;
  featureTableArn: string;
  keyArn: string;
  /** The view's S3 source object(s); [] for a source uploaded under the view's own prefix. */
  sourceObjectArns: string[];
}

/**
 * The policy of one view's materialization (the Lambda its state machine invokes): read the
 * source, write the view's offline files and manifest under `views/<view>/`, upsert the
 * view's online items `view:<view>#*`. Nothing of any other view or pipeline.
 */
export function materializePolicy(
  targets: MaterializeTargets,
  options: StepPolicyOptions = {},
): PolicyDocument {
  const [view] = checkViews([targets.view]);
  const key = keyParts(targets.keyArn);
  const set = new StatementSet();
  requireArn(targets.featuresBucketArn, "bucket", "featuresBucketArn");
  requireArn(targets.featureTableArn, "table", "featureTableArn");
  grantWrite(set, "features", targets.featuresBucketArn, [`${viewPrefix(view)}/`]);
  grantTable(set, "features", targets.featureTableArn, "Write", TABLE_OPERATIONS.features.write, {
    operator: "StringLike",
    values: [`${onlineFeatureSet(view)}#*`],
  });
  requireArns(targets.sourceObjectArns, "object", "sourceObjectArns");
  grantReadObjects(set, targets.sourceObjectArns);
  grantKey(set, targets.keyArn, key);
  const streams = options.logGroupArn
    ? logStreamsOf(options.logGroupArn, "logGroupArn")
    : `arn:${key.partition}:logs:${key.region}:${key.account}:log-group:/aws/lambda/*:log-stream:*`;
  grantWriteLogs(set, [streams]);
  if (options.tracing ?? true) set.add(tracingStatement());
  return document(set);
}

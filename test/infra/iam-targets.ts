/**
 * Realistic access targets for the IAM tests (the ARNs the Pulumi program would pass), and
 * every policy document the access module can produce for them.
 */
import {
  type AccessTargets,
  type BatchPrefix,
  distributedMapPolicy,
  type HumanTargets,
  humanPolicy,
  type PolicyDocument,
  retrainTriggerPolicy,
  schedulerPolicy,
  stateMachinePolicy,
  stepPolicy,
} from "../../infra/access/policies.ts";
import { HUMAN_ROLE_NAMES, STEP_ROLE_NAMES } from "../../infra/access/types.ts";

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";

export const BUCKETS = {
  raw: "arn:aws:s3:::orchard-staging-raw-3f2a1b",
  features: "arn:aws:s3:::orchard-staging-features-9c8d7e",
  artifacts: "arn:aws:s3:::orchard-staging-artifacts-1a2b3c",
};
export const OTHER_BUCKET = "arn:aws:s3:::someone-elses-bucket";
export const TABLES = {
  features: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/features-7d1e2f`,
  registry: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/registry-4a5b6c`,
};
export const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:orchard-alerts-5e6f`;
export const PREDICT = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orchard-predict-8a9b`;
/** A second pipeline's serving Lambda: human roles reach every pipeline's. */
export const OTHER_PREDICT = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orchard-cars-predict-3c4d`;
export const SOURCE = "arn:aws:s3:::customer-landing/penguins/penguins.csv";
/** The user's scoring bucket: each pipeline's batch prefix is `scores/<pipeline>/` in it. */
export const BATCH_BUCKET = "arn:aws:s3:::customer-scoring";
export const batchOf = (pipeline: string): BatchPrefix => ({
  bucketArn: BATCH_BUCKET,
  prefix: `scores/${pipeline}/`,
});
export const STATE_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:penguins-2c3d`;
export const STEP_LOG_GROUP = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/orchard-ingest-1f2e`;
export const SFN_LOG_GROUP = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/orchard/penguins-states`;
export const STEP_FUNCTIONS = ["ingest-1", "validate-2", "train-3"].map(
  (n) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orchard-${n}`,
);
export const CLUSTER = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/orchard-steps`;
export const TASK_DEFINITION = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/orchard-train`;
export const TASK_ROLE = `arn:aws:iam::${ACCOUNT}:role/orchard-train-task`;

export function targets(
  pipeline = "penguins",
  sourceObjectArns = [SOURCE],
  batchPrefix: BatchPrefix | null = batchOf(pipeline),
): AccessTargets {
  return {
    pipeline,
    buckets: BUCKETS,
    tables: TABLES,
    keyArn: KEY,
    alertTopicArn: TOPIC,
    predictFunctionArn: PREDICT,
    sourceObjectArns,
    batchPrefix,
  };
}

export function humanTargets(pipelines = ["penguins", "cars"]): HumanTargets {
  const { pipeline: _pipeline, predictFunctionArn: _predict, ...shared } = targets(pipelines[0]);
  return {
    ...shared,
    pipelines,
    predictFunctionArns: [PREDICT, OTHER_PREDICT],
    stateMachineArns: [STATE_MACHINE],
    logGroupArns: [STEP_LOG_GROUP, SFN_LOG_GROUP],
  };
}

/** Every document the module produces, labelled, for the static checks. */
export function allPolicies(pipeline = "penguins"): { label: string; doc: PolicyDocument }[] {
  const out: { label: string; doc: PolicyDocument }[] = [];
  for (const step of STEP_ROLE_NAMES) {
    out.push({ label: `step ${step}`, doc: stepPolicy(step, targets(pipeline)) });
    out.push({
      label: `step ${step} (own log group, no s3 sources, no batch prefix)`,
      doc: stepPolicy(step, targets(pipeline, [], null), { logGroupArn: STEP_LOG_GROUP }),
    });
  }
  out.push({
    label: "step batchScore (batch prefix: the whole bucket)",
    doc: stepPolicy("batchScore", targets(pipeline, [], { bucketArn: BATCH_BUCKET, prefix: "" })),
  });
  for (const role of HUMAN_ROLE_NAMES) {
    out.push({ label: `human ${role}`, doc: humanPolicy(role, humanTargets([pipeline, "other"])) });
  }
  out.push({ label: "state machine", doc: stateMachinePolicy(STEP_FUNCTIONS, SFN_LOG_GROUP) });
  out.push({
    label: "state machine with Fargate steps",
    doc: stateMachinePolicy(STEP_FUNCTIONS, undefined, {
      ecs: {
        clusterArn: CLUSTER,
        taskDefinitionArns: [TASK_DEFINITION],
        passRoleArns: [TASK_ROLE],
      },
    }),
  });
  out.push({ label: "scheduler", doc: schedulerPolicy(STATE_MACHINE) });
  out.push({ label: "the Monitor's retrain trigger", doc: retrainTriggerPolicy(STATE_MACHINE) });
  out.push({
    label: "state machine's Distributed Map",
    doc: distributedMapPolicy(STATE_MACHINE, batchOf(pipeline)),
  });
  return out;
}

/** batchScore's statements for a batch prefix: list (under the prefix), get, put; no delete, no multipart abort. */
export function expectedBatchGrants(bucket: string, prefix: string) {
  return [
    {
      Sid: "ListBatchKeys",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [bucket],
      Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } },
    },
    {
      Sid: "ReadBatchObjects",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: [`${bucket}/${prefix}*`],
    },
    {
      Sid: "WriteBatchObjects",
      Effect: "Allow",
      Action: ["s3:PutObject"],
      Resource: [`${bucket}/${prefix}*`],
    },
  ];
}

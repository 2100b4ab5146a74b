/**
 * Each role simulated with @cloud-copilot/iam-simulate (an offline IAM policy evaluator):
 * what the role needs is allowed, what it must not do is denied. The request context carries
 * what AWS would put in it (the listed prefix, the partition keys, the calling service).
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  distributedMapPolicy,
  humanPolicy,
  type PolicyDocument,
  type StepRoleName,
  schedulerPolicy,
  stateMachinePolicy,
  stepPolicy,
} from "../../infra/access/policies.ts";
import { STEP_ROLE_NAMES } from "../../infra/access/types.ts";
import { batchResultsPrefix } from "../../pipeline/steps/intermediate-keys.ts";
import {
  ACCOUNT,
  BATCH_BUCKET,
  BUCKETS,
  CLUSTER,
  humanTargets,
  KEY,
  OTHER_BUCKET,
  OTHER_PREDICT,
  PREDICT,
  REGION,
  SFN_LOG_GROUP,
  SOURCE,
  STATE_MACHINE,
  STEP_FUNCTIONS,
  STEP_LOG_GROUP,
  TABLES,
  TASK_DEFINITION,
  TASK_ROLE,
  TOPIC,
  targets,
} from "./iam-targets.ts";

type Context = Record<string, string | string[]>;

const DEFAULT_KEY_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "EnableIamPolicies",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ],
};
type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

async function decide(
  policy: PolicyDocument,
  action: string,
  resource: string,
  context: Context = {},
): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:role/orchard-role`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: [{ name: "orchard", policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      // KMS honours identity policies only if the key policy delegates to the account
      // (AWS's default key policy, which the data-lake key keeps).
      ...(action.startsWith("kms:") ? { resourcePolicy: DEFAULT_KEY_POLICY } : {}),
    },
    {},
  );
  if (result.resultType === "error") {
    throw new Error(
      `simulation of ${action} on ${resource} is invalid: ${JSON.stringify(result.errors)}`,
    );
  }
  return result.overallResult as Decision;
}

const P = "penguins";
const raw = (key: string, pipeline = P) => `${BUCKETS.raw}/${pipeline}/${key}`;
const features = (key: string, pipeline = P) => `${BUCKETS.features}/${pipeline}/${key}`;
const artifacts = (key: string, pipeline = P) => `${BUCKETS.artifacts}/${pipeline}/${key}`;
const SPEC = artifacts("specs/4f1c.yaml");
/** A content address: what Ingest names a raw snapshot (`<pipeline>/<sha256>.<ext>`). */
const SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
/** What S3 puts in the request context for a PUT with `If-None-Match: *`. */
const createOnly = { "s3:if-none-match": "*", "s3:ObjectCreationOperation": "true" };
const via = (service: string) => ({ "kms:ViaService": `${service}.${REGION}.amazonaws.com` });
const listing = (prefix: string) => ({ "s3:prefix": prefix });
const keys = (...k: string[]) => ({ "dynamodb:LeadingKeys": k });
const STREAM = `${STEP_LOG_GROUP}:log-stream:2026/09/26/[$LATEST]abc`;
/** An object in the user's scoring bucket; penguins' batch prefix is `scores/penguins/`. */
const scoring = (key: string) => `${BATCH_BUCKET}/${key}`;

function policyOf(step: StepRoleName): PolicyDocument {
  return stepPolicy(step, targets(P), { logGroupArn: STEP_LOG_GROUP });
}

const ALLOWED: [StepRoleName, string, string, Context?][] = [
  ["ingest", "s3:GetObject", SOURCE],
  ["ingest", "s3:GetObject", SPEC],
  // A new content-addressed snapshot, created only if absent (If-None-Match: *), in one PUT
  // or as a multipart upload (parts, then the conditional completion).
  ["ingest", "s3:PutObject", raw(`${SHA}.csv`), createOnly],
  ["ingest", "s3:PutObject", raw(`${SHA}.csv`), { "s3:ObjectCreationOperation": "false" }],
  ["ingest", "s3:AbortMultipartUpload", raw(`${SHA}.csv`)],
  ["ingest", "s3:GetObject", raw("ab12.csv")],
  ["ingest", "s3:ListBucket", BUCKETS.raw, listing(`${P}/ab12.csv`)],
  ["ingest", "kms:GenerateDataKey", KEY, via("s3")],
  ["validate", "s3:GetObject", raw("ab12.csv")],
  ["validate", "s3:PutObject", artifacts("validation/77aa.json")],
  ["preprocess", "s3:GetObject", raw("ab12.csv")],
  ["preprocess", "s3:PutObject", features("datasets/9f.bin")],
  ["preprocess", "s3:PutObject", features("offline/9f.csv")],
  ["preprocess", "dynamodb:BatchWriteItem", TABLES.features, keys(`${P}#42`, `${P}#43`)],
  ["preprocess", "kms:GenerateDataKey", KEY, via("dynamodb")],
  ["train", "s3:GetObject", features("datasets/9f.bin")],
  ["train", "kms:Decrypt", KEY, via("s3")],
  ["select", "s3:GetObject", features("datasets/9f.bin")],
  ["select", "s3:PutObject", artifacts("models/e3.orchard-model")],
  ["evaluate", "s3:GetObject", artifacts("models/e3.orchard-model")],
  // A sharded final fit: each shard reads the dataset and stores its trees (content-addressed:
  // HEAD before PUT); Assemble reads them back and stores the bundle.
  ["trainShard", "s3:GetObject", features("datasets/9f.bin")],
  ["trainShard", "s3:ListBucket", BUCKETS.artifacts, listing(`${P}/shards/ab.orchard-shard`)],
  ["trainShard", "s3:PutObject", artifacts("shards/ab.orchard-shard")],
  ["trainShard", "kms:GenerateDataKey", KEY, via("s3")],
  ["assemble", "s3:GetObject", features("datasets/9f.bin")],
  ["assemble", "s3:GetObject", artifacts("shards/ab.orchard-shard")],
  ["assemble", "s3:PutObject", artifacts("models/e3.orchard-model")],
  ["assemble", "kms:Decrypt", KEY, via("s3")],
  // The step cache (pipeline/steps/cache.ts): read the entry, tell a miss (list), write it.
  ...(["validate", "preprocess", "train", "select"] as const).flatMap(
    (step): [StepRoleName, string, string, Context?][] => [
      [step, "s3:GetObject", artifacts(`cache/${step}/${step}-4e5f.json`)],
      [step, "s3:ListBucket", BUCKETS.artifacts, listing(`${P}/cache/${step}/${step}-4e5f.json`)],
      [step, "s3:PutObject", artifacts(`cache/${step}/${step}-4e5f.json`)],
    ],
  ),
  ["evaluate", "dynamodb:GetItem", TABLES.registry, keys(P)],
  ["evaluate", "dynamodb:UpdateItem", TABLES.registry, keys(P)],
  ["evaluate", "dynamodb:PutItem", TABLES.registry, keys(P)],
  ["promote", "dynamodb:UpdateItem", TABLES.registry, keys(P)],
  ["canary", "dynamodb:UpdateItem", TABLES.registry, keys(P)],
  ["notifyFailure", "sns:Publish", TOPIC],
  ["notifyFailure", "kms:GenerateDataKey", KEY, via("sns")],
  ["predict", "dynamodb:GetItem", TABLES.registry, keys(P)],
  ["predict", "dynamodb:BatchGetItem", TABLES.features, keys(`${P}#42`)],
  ["predict", "s3:GetObject", artifacts("models/e3.orchard-model")],
  ["predict", "kms:Decrypt", KEY, via("dynamodb")],
  // The canary's traffic record, on each routing refresh (also the Kubernetes serving role's).
  ["predict", "s3:GetObject", artifacts("serving/traffic.json")],
  ["predict", "s3:ListBucket", BUCKETS.artifacts, listing(`${P}/serving/traffic.json`)],
  ["predict", "kms:Decrypt", KEY, via("s3")],
  // Prediction capture batches from orchard serve, and POST /feedback labels (issue 19).
  ["predict", "s3:PutObject", artifacts("capture/2026-12-03/10/1764756000000-ab.jsonl")],
  ["predict", "s3:PutObject", artifacts("labels/2026-12-03/10/1764756000000-cd.jsonl")],
  ["predict", "kms:GenerateDataKey", KEY, via("s3")],
  // The Monitor lists and reads a window's captures and labels, writes its reports and state.
  ["monitor", "s3:ListBucket", BUCKETS.artifacts, listing(`${P}/capture/2026-12-03/`)],
  ["monitor", "s3:GetObject", artifacts("capture/2026-12-03/10/1764756000000-ab.jsonl")],
  ["monitor", "s3:ListBucket", BUCKETS.artifacts, listing(`${P}/labels/2026-12-03/`)],
  ["monitor", "s3:GetObject", artifacts("labels/2026-12-03/10/1764756000000-cd.jsonl")],
  ["monitor", "s3:GetObject", artifacts("models/e3.orchard-model")],
  ["monitor", "s3:GetObject", artifacts(`baselines/${SHA}.json`)],
  ["monitor", "s3:PutObject", artifacts("monitor/reports/2026-12-03T10-00-00-000Z.html")],
  ["monitor", "s3:PutObject", artifacts("monitor/state.json")],
  ["monitor", "dynamodb:GetItem", TABLES.registry, keys(P)],
  // The deployed Monitor Lambda also loads the run's spec, and reads its cool-down record (a
  // first run's missing record must be a 404, so the listing of that key too).
  ["monitor", "s3:GetObject", SPEC],
  ["monitor", "s3:GetObject", artifacts("monitor/state.json")],
  ["monitor", "s3:ListBucket", BUCKETS.artifacts, listing(`${P}/monitor/state.json`)],
  ["monitor", "kms:Decrypt", KEY, via("s3")],
  ["monitor", "kms:GenerateDataKey", KEY, via("s3")],
  // An A/B test's decision: the champion pointer, the challenger's record; a bandit's weights.
  ["monitor", "dynamodb:UpdateItem", TABLES.registry, keys(P)],
  ["monitor", "s3:GetObject", artifacts("serving/traffic.json")],
  ["monitor", "s3:PutObject", artifacts("serving/traffic.json")],
  // Batch scoring: the promoted bundle, then list the prefix, get an input, put its predictions.
  ["batchScore", "dynamodb:GetItem", TABLES.registry, keys(P)],
  ["batchScore", "s3:GetObject", artifacts("models/e3.orchard-model")],
  // Scoring with the champion reads the traffic record, as predict does.
  ["batchScore", "s3:GetObject", artifacts("serving/traffic.json")],
  ["batchScore", "s3:ListBucket", BATCH_BUCKET, listing(`scores/${P}/`)],
  ["batchScore", "s3:GetObject", scoring(`scores/${P}/2026-11-29.csv`)],
  ["batchScore", "s3:GetObject", scoring(`scores/${P}/eu/visits.ndjson`)],
  ["batchScore", "s3:PutObject", scoring(`scores/${P}/2026-11-29.predictions.csv`)],
  // The BatchScore state reads the spec's monitor.capture; each ScoreFiles child writes one
  // capture object.
  ["batchScore", "s3:GetObject", SPEC],
  ["batchScore", "s3:PutObject", artifacts("capture/2026-12-03/10/1764756000000-ef.jsonl")],
  ...STEP_ROLE_NAMES.flatMap((step): [StepRoleName, string, string][] => [
    [step, "logs:PutLogEvents", STREAM],
    [step, "xray:PutTraceSegments", "*"],
  ]),
];

const DENIED: [StepRoleName, string, string, Context?][] = [
  // Raw data is immutable.
  ...STEP_ROLE_NAMES.map((s): [StepRoleName, string, string] => [
    s,
    "s3:DeleteObject",
    raw("ab12.csv"),
  ]),
  ["ingest", "s3:DeleteObjectVersion", raw("ab12.csv")],
  // Least privilege between steps.
  ["ingest", "s3:PutObject", features("datasets/9f.bin")],
  // Raw snapshots are never overwritten: no write without If-None-Match, none to a key that
  // is not a content address, none to the batch landing prefix beside them.
  ["ingest", "s3:PutObject", raw(`${SHA}.csv`)],
  ["ingest", "s3:PutObject", raw(`${SHA}.csv`), { "s3:ObjectCreationOperation": "true" }],
  ["ingest", "s3:PutObject", raw(`${SHA}.csv`), { "s3:if-match": '"etag"' }],
  ["ingest", "s3:PutObject", raw("ab12.csv"), createOnly],
  ["ingest", "s3:PutObject", raw("batch/2026-11-29.csv"), createOnly],
  ["validate", "s3:PutObject", raw("ab12.csv")],
  ["validate", "s3:PutObject", artifacts("models/e3.orchard-model")],
  ["train", "s3:PutObject", artifacts("models/e3.orchard-model")],
  // A shard writes trees, never the model; Assemble reads shards, never writes them.
  ["trainShard", "s3:PutObject", artifacts("models/e3.orchard-model")],
  ["trainShard", "s3:GetObject", artifacts("models/e3.orchard-model")],
  ["trainShard", "dynamodb:PutItem", TABLES.registry, keys(P)],
  ["assemble", "s3:PutObject", artifacts("shards/ab.orchard-shard")],
  ["assemble", "dynamodb:PutItem", TABLES.registry, keys(P)],
  ["assemble", "s3:GetObject", artifacts("cache/select/select-4e5f.json")],
  // Shards belong to their pipeline.
  ["assemble", "s3:GetObject", artifacts("shards/ab.orchard-shard", "cars")],
  ["trainShard", "s3:PutObject", artifacts("shards/ab.orchard-shard", "cars")],
  // Each cached step reaches only its own cache entries.
  ["train", "s3:GetObject", artifacts("cache/select/select-4e5f.json")],
  ["validate", "s3:PutObject", artifacts("cache/train/train-4e5f.json")],
  ["evaluate", "s3:GetObject", artifacts("cache/select/select-4e5f.json")],
  ["train", "dynamodb:PutItem", TABLES.registry, keys(P)],
  ["train", "dynamodb:UpdateItem", TABLES.registry, keys(P)],
  ["select", "dynamodb:PutItem", TABLES.registry, keys(P)],
  ["evaluate", "s3:PutObject", artifacts("models/e3.orchard-model")],
  ["evaluate", "dynamodb:DeleteItem", TABLES.registry, keys(P)],
  ["canary", "dynamodb:DeleteItem", TABLES.registry, keys(P)],
  ["promote", "lambda:UpdateFunctionCode", PREDICT],
  // Promote moves the registry's champion pointer, not a Lambda alias (issue 14).
  ["promote", "lambda:UpdateAlias", `${PREDICT}:live`],
  ["promote", "lambda:PublishVersion", PREDICT],
  ["promote", "lambda:GetFunctionConfiguration", PREDICT],
  ["promote", "lambda:UpdateAlias", `arn:aws:lambda:${REGION}:${ACCOUNT}:function:other:live`],
  ["preprocess", "dynamodb:DeleteItem", TABLES.features, keys(`${P}#42`)],
  ["preprocess", "dynamodb:Scan", TABLES.features],
  ["notifyFailure", "s3:GetObject", SPEC],
  ["notifyFailure", "sns:Publish", `arn:aws:sns:${REGION}:${ACCOUNT}:other-topic`],
  // Predict writes its captures and labels, nothing else.
  ["predict", "s3:PutObject", artifacts("models/e3.orchard-model")],
  ["predict", "s3:PutObject", artifacts("serving/traffic.json")],
  ["predict", "s3:PutObject", artifacts("monitor/state.json")],
  ["predict", "dynamodb:PutItem", TABLES.registry, keys(P)],
  ["predict", "dynamodb:UpdateItem", TABLES.registry, keys(P)],
  ["predict", "dynamodb:BatchWriteItem", TABLES.features, keys(`${P}#42`)],
  ["predict", "kms:GenerateDataKey", KEY, via("dynamodb")],
  // The Monitor only reads what serving recorded, and writes no model; its registry writes
  // stay within the pipeline's own items.
  ["monitor", "s3:PutObject", artifacts("capture/2026-12-03/10/1764756000000-ab.jsonl")],
  ["monitor", "s3:PutObject", artifacts("labels/2026-12-03/10/1764756000000-cd.jsonl")],
  ["monitor", "s3:PutObject", artifacts("models/e3.orchard-model")],
  ["monitor", "dynamodb:UpdateItem", TABLES.registry, keys("other-pipeline")],
  // Batch scoring reaches its prefix and nothing else of the bucket, and deletes nothing.
  ["batchScore", "s3:ListBucket", BATCH_BUCKET, listing("")],
  ["batchScore", "s3:ListBucket", BATCH_BUCKET, listing("scores/")],
  ["batchScore", "s3:ListBucket", BATCH_BUCKET, listing(`scores/${P}-old/`)],
  ["batchScore", "s3:GetObject", scoring(`scores/${P}-old/2026-11-29.csv`)],
  ["batchScore", "s3:PutObject", scoring("2026-11-29.predictions.csv")],
  ["batchScore", "s3:PutObject", scoring("scores/2026-11-29.predictions.csv")],
  ["batchScore", "s3:DeleteObject", scoring(`scores/${P}/2026-11-29.csv`)],
  ["batchScore", "s3:DeleteObjectVersion", scoring(`scores/${P}/2026-11-29.csv`)],
  ["batchScore", "s3:AbortMultipartUpload", scoring(`scores/${P}/2026-11-29.predictions.csv`)],
  ["batchScore", "s3:PutObjectAcl", scoring(`scores/${P}/2026-11-29.predictions.csv`)],
  ["batchScore", "s3:PutObject", artifacts("models/e3.orchard-model")],
  // Capture is all batch scoring writes of the Monitor's data.
  ["batchScore", "s3:PutObject", artifacts("labels/2026-12-03/10/1764756000000-cd.jsonl")],
  ["batchScore", "s3:PutObject", artifacts("monitor/state.json")],
  ["batchScore", "dynamodb:UpdateItem", TABLES.registry, keys(P)],
  // Only batchScore touches the batch prefix.
  ...STEP_ROLE_NAMES.filter((s) => s !== "batchScore").flatMap(
    (s): [StepRoleName, string, string, Context?][] => [
      [s, "s3:GetObject", scoring(`scores/${P}/2026-11-29.csv`)],
      [s, "s3:PutObject", scoring(`scores/${P}/2026-11-29.predictions.csv`)],
      [s, "s3:ListBucket", BATCH_BUCKET, listing(`scores/${P}/`)],
    ],
  ),
  // KMS only through the data services, never directly.
  ["train", "kms:Decrypt", KEY],
  ["train", "kms:Decrypt", KEY, via("secretsmanager")],
  // No iam:, no other buckets, no listing of everything.
  ...STEP_ROLE_NAMES.flatMap((s): [StepRoleName, string, string, Context?][] => [
    [s, "iam:CreateRole", `arn:aws:iam::${ACCOUNT}:role/x`],
    [s, "iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/x`],
    [s, "iam:AttachRolePolicy", `arn:aws:iam::${ACCOUNT}:role/orchard-role`],
    [s, "s3:GetObject", `${OTHER_BUCKET}/${P}/specs/x.yaml`],
    [s, "s3:PutObject", `${OTHER_BUCKET}/${P}/x`],
    [s, "s3:DeleteBucket", BUCKETS.raw],
    [s, "s3:PutBucketPolicy", BUCKETS.artifacts],
    [s, "s3:ListBucket", BUCKETS.raw, listing("")],
    [s, "dynamodb:DeleteTable", TABLES.registry],
    [
      s,
      "logs:PutLogEvents",
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/other:log-stream:x`,
    ],
  ]),
];

describe("step roles: allowed", () => {
  it.each(ALLOWED)("%s may %s on %s", async (step, action, resource, context) => {
    expect(await decide(policyOf(step), action, resource, context)).toBe("Allowed");
  });
});

describe("step roles: denied", () => {
  it.each(DENIED)("%s may not %s on %s", async (step, action, resource, context) => {
    expect(await decide(policyOf(step), action, resource, context)).not.toBe("Allowed");
  });

  it("deleting raw data is denied explicitly, not just left out", async () => {
    expect(await decide(policyOf("ingest"), "s3:DeleteObject", raw("ab12.csv"))).toBe(
      "ExplicitlyDenied",
    );
  });
});

describe("pipeline isolation", () => {
  const other = "cars";
  const OTHER: [StepRoleName, string, string, Context?][] = [
    ["ingest", "s3:PutObject", raw(`${SHA}.csv`, other), createOnly],
    ["ingest", "s3:ListBucket", BUCKETS.raw, listing(`${other}/`)],
    ["validate", "s3:GetObject", raw("ab12.csv", other)],
    ["preprocess", "dynamodb:BatchWriteItem", TABLES.features, keys(`${other}#42`)],
    ["preprocess", "dynamodb:BatchWriteItem", TABLES.features, keys(`${P}#42`, `${other}#42`)],
    ["train", "s3:GetObject", features("datasets/9f.bin", other)],
    ["evaluate", "dynamodb:PutItem", TABLES.registry, keys(other)],
    ["promote", "dynamodb:UpdateItem", TABLES.registry, keys(other)],
    ["predict", "s3:GetObject", artifacts("models/e3.orchard-model", other)],
    ["predict", "dynamodb:GetItem", TABLES.registry, keys(`${P}x`)],
    // cars' batch prefix is scores/cars/ of the same bucket.
    ["batchScore", "s3:ListBucket", BATCH_BUCKET, listing(`scores/${other}/`)],
    ["batchScore", "s3:GetObject", scoring(`scores/${other}/2026-11-29.csv`)],
    ["batchScore", "s3:PutObject", scoring(`scores/${other}/2026-11-29.predictions.csv`)],
    ...STEP_ROLE_NAMES.filter((s) => s !== "notifyFailure" && s !== "predict").map(
      (s): [StepRoleName, string, string] => [s, "s3:GetObject", artifacts("specs/x.yaml", other)],
    ),
  ];

  it.each(OTHER)(
    "%s of penguins may not %s on %s of cars",
    async (step, action, resource, context) => {
      expect(await decide(policyOf(step), action, resource, context)).not.toBe("Allowed");
    },
  );

  it("for random pairs of pipelines, a step reaches its own keys and not the other's", async () => {
    const name = fc.stringMatching(/^[a-z0-9-]{1,40}$/);
    await fc.assert(
      fc.asyncProperty(
        name,
        name,
        fc.constantFrom<StepRoleName>("validate", "preprocess"),
        async (own, other, step) => {
          fc.pre(own !== other);
          const policy = stepPolicy(step, targets(own));
          expect(await decide(policy, "s3:GetObject", raw("k.csv", own))).toBe("Allowed");
          expect(await decide(policy, "s3:GetObject", raw("k.csv", other))).not.toBe("Allowed");
          expect(await decide(policy, "s3:ListBucket", BUCKETS.raw, listing(`${other}/`))).not.toBe(
            "Allowed",
          );
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("the batch prefix, for random prefixes and keys", () => {
  const segment = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,11}$/);
  const prefix = fc
    .array(segment, { minLength: 0, maxLength: 3 })
    .map((parts) => parts.map((p) => `${p}/`).join(""));
  const key = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/"));

  it("gets, puts and lists exactly the keys that start with the prefix", async () => {
    await fc.assert(
      fc.asyncProperty(prefix, prefix, key, fc.boolean(), async (own, other, name, under) => {
        const policy = stepPolicy(
          "batchScore",
          targets(P, [], { bucketArn: BATCH_BUCKET, prefix: own }),
        );
        // Half the cases below the prefix, half anywhere (below it only by chance).
        const where = under ? `${own}${other}` : other;
        const object = `${where}${name}`;
        for (const action of ["s3:GetObject", "s3:PutObject"]) {
          const decision = await decide(policy, action, scoring(object));
          expect(decision === "Allowed", `${action} ${object} under "${own}"`).toBe(
            object.startsWith(own),
          );
        }
        const list = await decide(policy, "s3:ListBucket", BATCH_BUCKET, listing(where));
        expect(list === "Allowed", `list "${where}" under "${own}"`).toBe(where.startsWith(own));
        expect(await decide(policy, "s3:DeleteObject", scoring(object))).not.toBe("Allowed");
      }),
      { numRuns: 40 },
    );
  });
});

describe("the landing prefix in the raw bucket (a local deploy.batch directory, deployed)", () => {
  const policy = stepPolicy(
    "batchScore",
    targets(P, [], { bucketArn: BUCKETS.raw, prefix: `${P}/batch/` }),
  );

  it.each<[string, string, Context?]>([
    ["s3:ListBucket", BUCKETS.raw, listing(`${P}/batch/`)],
    ["s3:GetObject", raw("batch/2026-11-29.csv")],
    ["s3:PutObject", raw("batch/2026-11-29.predictions.csv")],
    ["kms:GenerateDataKey", KEY, via("s3")],
    ["kms:Decrypt", KEY, via("s3")],
  ])("allows %s on %s", async (action, resource, context) => {
    expect(await decide(policy, action, resource, context)).toBe("Allowed");
  });

  it.each<[string, string, Context?]>([
    // The raw snapshots beside it are never batch scoring's to read or overwrite.
    ["s3:PutObject", raw("ab12.csv")],
    ["s3:GetObject", raw("ab12.csv")],
    ["s3:ListBucket", BUCKETS.raw, listing(`${P}/`)],
    ["s3:PutObject", raw("batch/x.predictions.csv", "cars")],
    ["s3:DeleteObject", raw("batch/2026-11-29.csv")],
  ])("denies %s on %s", async (action, resource, context) => {
    expect(await decide(policy, action, resource, context)).not.toBe("Allowed");
  });
});

describe("human roles", () => {
  const scientist = humanPolicy("data-scientist", humanTargets(["penguins", "cars"]));
  const admin = humanPolicy("platform-admin", humanTargets(["penguins", "cars"]));
  const EXECUTION = `arn:aws:states:${REGION}:${ACCOUNT}:execution:penguins-2c3d:run-1`;

  it.each([
    ["s3:GetObject", artifacts("models/e3.orchard-model")],
    ["s3:GetObject", artifacts("validation/77aa.json", "cars")],
    ["s3:ListBucket", BUCKETS.artifacts, listing("cars/models/")],
    ["dynamodb:Query", TABLES.registry, keys("cars")],
    ["kms:Decrypt", KEY, via("s3")],
    ["states:StartExecution", STATE_MACHINE],
    ["states:ListExecutions", STATE_MACHINE],
    ["states:DescribeExecution", EXECUTION],
    ["lambda:InvokeFunction", `${PREDICT}:live`],
    ["lambda:InvokeFunctionUrl", `${PREDICT}:live`, { "lambda:FunctionUrlAuthType": "AWS_IAM" }],
    ["lambda:InvokeFunction", `${OTHER_PREDICT}:live`],
    [
      "lambda:InvokeFunctionUrl",
      `${OTHER_PREDICT}:live`,
      { "lambda:FunctionUrlAuthType": "AWS_IAM" },
    ],
  ] as [string, string, Context?][])(
    "data-scientist may %s on %s",
    async (action, resource, ctx) => {
      expect(await decide(scientist, action, resource, ctx)).toBe("Allowed");
    },
  );

  it.each([
    ["s3:GetObject", raw("ab12.csv")],
    ["s3:GetObject", features("datasets/9f.bin")],
    ["s3:PutObject", artifacts("models/e3.orchard-model")],
    ["s3:DeleteObject", artifacts("models/e3.orchard-model")],
    ["s3:GetObject", artifacts("models/e3.orchard-model", "secret-pipeline")],
    ["dynamodb:PutItem", TABLES.registry, keys(P)],
    ["dynamodb:GetItem", TABLES.features, keys(`${P}#42`)],
    ["states:StopExecution", EXECUTION],
    ["lambda:UpdateAlias", `${PREDICT}:live`],
    ["lambda:InvokeFunctionUrl", `${PREDICT}:live`, { "lambda:FunctionUrlAuthType": "NONE" }],
    ["kms:Decrypt", KEY],
    ["iam:CreateUser", `arn:aws:iam::${ACCOUNT}:user/x`],
  ] as [string, string, Context?][])(
    "data-scientist may not %s on %s",
    async (action, resource, ctx) => {
      expect(await decide(scientist, action, resource, ctx)).not.toBe("Allowed");
    },
  );

  it.each([
    ["s3:GetObject", raw("ab12.csv")],
    ["s3:GetObject", features("offline/9f.csv", "cars")],
    ["s3:PutObject", artifacts("specs/new.yaml")],
    ["dynamodb:UpdateItem", TABLES.registry, keys(P)],
    ["dynamodb:BatchGetItem", TABLES.features, keys(`${P}#42`)],
    ["states:StopExecution", EXECUTION],
    ["states:RedriveExecution", EXECUTION],
    ["lambda:UpdateAlias", `${PREDICT}:live`],
    ["sns:Publish", TOPIC],
    ["logs:FilterLogEvents", SFN_LOG_GROUP],
    ["logs:GetLogEvents", `${SFN_LOG_GROUP}:log-stream:states/x`],
  ] as [string, string, Context?][])(
    "platform-admin may %s on %s",
    async (action, resource, ctx) => {
      expect(await decide(admin, action, resource, ctx)).toBe("Allowed");
    },
  );

  it.each([
    ["s3:DeleteObject", raw("ab12.csv")],
    ["s3:DeleteObject", artifacts("models/e3.orchard-model")],
    ["s3:PutObject", raw("ab12.csv")],
    ["s3:PutObject", artifacts("models/e3.orchard-model")],
    ["s3:DeleteBucket", BUCKETS.raw],
    ["s3:PutBucketPolicy", BUCKETS.raw],
    ["s3:GetObject", `${OTHER_BUCKET}/x`],
    ["dynamodb:DeleteItem", TABLES.registry, keys(P)],
    ["dynamodb:DeleteTable", TABLES.registry],
    ["dynamodb:PutItem", TABLES.features, keys(`${P}#42`)],
    ["lambda:UpdateFunctionCode", PREDICT],
    ["kms:ScheduleKeyDeletion", KEY],
    ["iam:CreateRole", `arn:aws:iam::${ACCOUNT}:role/x`],
    ["iam:PutRolePolicy", `arn:aws:iam::${ACCOUNT}:role/orchard-role`],
    ["iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/x`],
  ] as [string, string, Context?][])(
    "platform-admin may not %s on %s",
    async (action, resource, ctx) => {
      expect(await decide(admin, action, resource, ctx)).not.toBe("Allowed");
    },
  );
});

describe("state machine and scheduler roles", () => {
  const machine = stateMachinePolicy(STEP_FUNCTIONS, SFN_LOG_GROUP, {
    ecs: { clusterArn: CLUSTER, taskDefinitionArns: [TASK_DEFINITION], passRoleArns: [TASK_ROLE] },
  });
  const scheduler = schedulerPolicy(STATE_MACHINE);
  const otherFunction = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orchard-other`;

  it.each([
    ["lambda:InvokeFunction", STEP_FUNCTIONS[0]],
    ["lambda:InvokeFunction", `${STEP_FUNCTIONS[1]}:live`],
    ["lambda:InvokeFunction", `${STEP_FUNCTIONS[2]}:7`],
    ["logs:CreateLogDelivery", "*"],
    ["ecs:RunTask", `${TASK_DEFINITION}:3`, { "ecs:cluster": CLUSTER }],
    ["iam:PassRole", TASK_ROLE, { "iam:PassedToService": "ecs-tasks.amazonaws.com" }],
  ] as [string, string, Context?][])(
    "the state machine may %s on %s",
    async (action, resource, ctx) => {
      expect(await decide(machine, action, resource, ctx)).toBe("Allowed");
    },
  );

  it.each([
    ["lambda:InvokeFunction", otherFunction],
    ["lambda:InvokeFunction", PREDICT],
    ["ecs:RunTask", `${TASK_DEFINITION}:3`, { "ecs:cluster": `${CLUSTER}-other` }],
    ["iam:PassRole", TASK_ROLE, { "iam:PassedToService": "lambda.amazonaws.com" }],
    [
      "iam:PassRole",
      `arn:aws:iam::${ACCOUNT}:role/admin`,
      { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
    ],
    ["s3:GetObject", SPEC],
  ] as [string, string, Context?][])(
    "the state machine may not %s on %s",
    async (action, resource, ctx) => {
      expect(await decide(machine, action, resource, ctx)).not.toBe("Allowed");
    },
  );

  // The Distributed Map of batch scoring (ScoreFiles), per the developer guide's "IAM
  // policies for using Distributed Map states": its own child executions and the listing.
  const map = distributedMapPolicy(STATE_MACHINE, {
    bucketArn: BATCH_BUCKET,
    prefix: `scores/${P}/`,
  });
  const executions = STATE_MACHINE.replace(":stateMachine:", ":execution:");

  it.each([
    ["states:StartExecution", STATE_MACHINE],
    ["states:DescribeExecution", `${executions}/ScoreFiles:5f7a-child`],
    ["states:StopExecution", `${executions}/ScoreFiles:5f7a-child`],
    ["s3:ListBucket", BATCH_BUCKET, listing(`scores/${P}/`)],
  ] as [string, string, Context?][])(
    "for its Distributed Map the state machine may %s on %s",
    async (action, resource, ctx) => {
      expect(await decide(map, action, resource, ctx)).toBe("Allowed");
    },
  );

  it.each([
    ["states:StartExecution", `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:cars-9z`],
    [
      "states:StopExecution",
      `arn:aws:states:${REGION}:${ACCOUNT}:execution:cars-9z/ScoreFiles:5f7a-child`,
    ],
    ["states:DeleteStateMachine", STATE_MACHINE],
    ["s3:ListBucket", BATCH_BUCKET, listing("")],
    ["s3:ListBucket", BATCH_BUCKET, listing(`scores/${P}-old/`)],
    // the objects are the batchScore function's to read and write, not the state machine's
    ["s3:GetObject", scoring(`scores/${P}/2026-11-29.csv`)],
    ["s3:PutObject", scoring(`scores/${P}/2026-11-29.predictions.csv`)],
  ] as [string, string, Context?][])(
    "for its Distributed Map the state machine may not %s on %s",
    async (action, resource, ctx) => {
      expect(await decide(map, action, resource, ctx)).not.toBe("Allowed");
    },
  );

  // ScoreFiles' ResultWriter export (the guide's "IAM policies for ResultWriter"), below the
  // pipeline's batch-results prefix of the artifacts bucket only.
  const exporting = distributedMapPolicy(
    STATE_MACHINE,
    { bucketArn: BATCH_BUCKET, prefix: `scores/${P}/` },
    { bucketArn: BUCKETS.artifacts, prefix: batchResultsPrefix(P), keyArn: KEY },
  );
  const exported = (key: string) => `${BUCKETS.artifacts}/${batchResultsPrefix(P)}/${key}`;

  it.each([
    ["s3:PutObject", exported("5f7a/manifest.json")],
    ["s3:PutObject", exported("5f7a/SUCCEEDED_0.json")],
    ["s3:GetObject", exported("5f7a/SUCCEEDED_0.json")],
    ["s3:AbortMultipartUpload", exported("5f7a/SUCCEEDED_0.json")],
    ["s3:ListMultipartUploadParts", exported("5f7a/SUCCEEDED_0.json")],
    ["kms:GenerateDataKey", KEY, via("s3")],
    ["kms:Decrypt", KEY, via("s3")],
  ] as [string, string, Context?][])(
    "for its ResultWriter the state machine may %s on %s",
    async (action, resource, ctx) => {
      expect(await decide(exporting, action, resource, ctx)).toBe("Allowed");
    },
  );

  it.each([
    ["s3:PutObject", `${BUCKETS.artifacts}/${P}/models/x.orchard-model`],
    ["s3:PutObject", `${BUCKETS.artifacts}/other/batch-results/5f7a/manifest.json`],
    ["s3:PutObject", `${BUCKETS.artifacts}/${P}/batch-results-old/manifest.json`],
    ["s3:DeleteObject", exported("5f7a/manifest.json")],
    ["s3:GetObject", `${BUCKETS.raw}/${P}/${SHA}.csv`],
    ["kms:Decrypt", KEY],
  ] as [string, string, Context?][])(
    "for its ResultWriter the state machine may not %s on %s",
    async (action, resource, ctx) => {
      expect(await decide(exporting, action, resource, ctx)).not.toBe("Allowed");
    },
  );

  it("refuses a results prefix IAM would read as a pattern or that ends in /", () => {
    const batch = { bucketArn: BATCH_BUCKET, prefix: "" };
    for (const prefix of ["p/batch-results/", "p/*", ""]) {
      expect(() =>
        distributedMapPolicy(STATE_MACHINE, batch, {
          bucketArn: BUCKETS.artifacts,
          prefix,
          keyArn: KEY,
        }),
      ).toThrow(/results\.prefix/);
    }
  });

  it("lists a whole bucket's batch only when the batch prefix is the whole bucket", async () => {
    const whole = distributedMapPolicy(STATE_MACHINE, { bucketArn: BATCH_BUCKET, prefix: "" });
    expect(await decide(whole, "s3:ListBucket", BATCH_BUCKET, listing(""))).toBe("Allowed");
    expect(() =>
      distributedMapPolicy(STATE_MACHINE, { bucketArn: BATCH_BUCKET, prefix: "scores/*" }),
    ).toThrow(/may not contain \*/);
  });

  it("the scheduler starts exactly its state machine", async () => {
    expect(await decide(scheduler, "states:StartExecution", STATE_MACHINE)).toBe("Allowed");
    const other = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:cars-9z`;
    expect(await decide(scheduler, "states:StartExecution", other)).not.toBe("Allowed");
    expect(
      await decide(
        scheduler,
        "states:StopExecution",
        `${STATE_MACHINE.replace("stateMachine", "execution")}:x`,
      ),
    ).not.toBe("Allowed");
  });
});

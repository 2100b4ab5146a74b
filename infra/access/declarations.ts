/**
 * What every step and human role touches, as data. The grant builders in `grants.ts` turn
 * each line into scoped statements; nothing else decides what a role may do. The table is
 * read from the code that does the I/O:
 *
 * - content-addressed writes (`ArtifactStore.putContent`) HEAD the key before the PUT, so a
 *   `write` of a bucket prefix includes the existence check (see `grantWrite`);
 * - every step loads the run's spec from `artifacts/<pipeline>/specs/` (`loadSpec`);
 * - Validate, Preprocess, Train and Select read and write their step cache entries under
 *   `artifacts/<pipeline>/cache/<step>/` (`cachedStep`);
 * - the feature table is keyed `<featureSet>#<id>` with featureSet = pipeline name, the
 *   registry `pipeline` + `sk` (`lambdas/io/tables.ts`);
 * - DynamoDB operations per table are the ones the adapters send
 *   (`lambdas/io/dynamo-feature-store.ts`, `lambdas/io/dynamo-model-registry.ts`).
 *
 * `<pipeline>` in a prefix is replaced by the pipeline name when a policy is built.
 */
import type { CachedStepName } from "../../pipeline/steps/cache.ts";
import { BATCH_RESULTS_DIR, SHARDS_DIR } from "../../pipeline/steps/intermediate-keys.ts";
import type { HumanRoleName, StepRoleName } from "./types.ts";

export type BucketName = "raw" | "features" | "artifacts";
export type TableName = "features" | "registry";
export type Mode = "read" | "write" | "readwrite";

/** A key prefix in a bucket, always below the pipeline's own `<pipeline>/`. */
export type PipelinePrefix = `<pipeline>/${string}`;

export type Access =
  | { bucket: BucketName; prefix: PipelinePrefix; mode: Mode }
  /**
   * Create content-addressed objects directly under the prefix (`<prefix><sha256>.<ext>`,
   * `ArtifactStore.putContent`) and never overwrite one: S3 takes the write only with
   * `If-None-Match: *` (see `grantCreateContent`). Includes the read of the prefix (the
   * existence check before the write).
   */
  | { bucket: BucketName; prefix: PipelinePrefix; mode: "create" }
  | { table: TableName; mode: Mode }
  /** The S3 objects named by `s3://` sources in the specs (ingest). */
  | { sourceObjects: true; mode: "read" }
  /**
   * The pipeline's batch prefix (`AccessTargets.batchPrefix`, from `deploy.batch.inputUri`):
   * list it, read its inputs, write the predictions files next to them. Like source objects,
   * it may lie outside the pipeline's own `<pipeline>/` keys: a location the user names (or
   * the pipeline's landing prefix in the raw bucket, `lakeBatchKey`). An empty prefix is the
   * whole bucket. The data-lake key grant does not cover a bucket that is
   * encrypted under its own customer-managed KMS key: that key's policy must allow the role.
   */
  | { batchPrefix: true; mode: "readwrite" }
  | { topic: "alert"; mode: "publish" }
  /** Move the predict function's `live` alias to a new version. */
  | { function: "predict"; mode: "alias" }
  /** Call predict directly or through its IAM-authenticated function URL. */
  | { function: "predict"; mode: "invoke" }
  /** Start, watch and list executions of the pipelines' state machines. */
  | { stateMachines: true; mode: "run" | "operate" }
  | { logGroups: true; mode: "read" }
  /** Read the serving metrics (Orchard/Serving) and the state of the account's alarms. */
  | { servingMetrics: true; mode: "read" }
  /**
   * The feature views the pipeline consumes (`AccessTargets.views`): their offline files
   * (`views/<view>/` in the features bucket, manifest and Parquet) or their online items
   * (`view:<view>#<entity>` in the feature table). Only reads: a view is written by its own
   * materialization role (`materializePolicy`).
   */
  | { views: "offline" | "online"; mode: "read" };

/**
 * The pipeline's batch landing prefix in the raw bucket: where a local `deploy.batch.inputUri`
 * deploys (infra/specs.ts), and the one prefix of Orchard's buckets a batch grant may name.
 */
export function lakeBatchKey(pipeline: string): `${string}/batch/` {
  return `${pipeline}/batch/`;
}

const SPEC: Access = { bucket: "artifacts", prefix: "<pipeline>/specs/", mode: "read" };

/**
 * A custom trainer's inputs (Select writes them) and outputs (the trainer's task writes them,
 * Select reads them), in the artifacts bucket: pipeline/steps/custom-select.ts names the keys.
 */
export const CUSTOM_TRAIN_INPUTS = "<pipeline>/custom-train/inputs/" as const;
export const CUSTOM_TRAIN_OUTPUTS = "<pipeline>/custom-train/outputs/" as const;

/**
 * The step cache (`pipeline/steps/cache.ts`): a cached step reads its entry (a miss must be a
 * 404, so the listing of its own prefix too) and writes it after computing. Each step reaches
 * only its own `cache/<step>/` entries.
 */
function stepCache(step: CachedStepName): Access {
  return { bucket: "artifacts", prefix: `<pipeline>/cache/${step}/`, mode: "readwrite" };
}

export const STEP_ACCESS: Record<StepRoleName, readonly Access[]> = {
  ingest: [
    SPEC,
    { sourceObjects: true, mode: "read" },
    // Raw snapshots are immutable: new content-addressed keys only, never an overwrite.
    { bucket: "raw", prefix: "<pipeline>/", mode: "create" },
    // With features.from, the rows are joined with the views' offline files.
    { views: "offline", mode: "read" },
  ],
  validate: [
    SPEC,
    { bucket: "raw", prefix: "<pipeline>/", mode: "read" },
    { bucket: "artifacts", prefix: "<pipeline>/validation/", mode: "write" },
    stepCache("validate"),
  ],
  drift: [
    SPEC,
    { bucket: "raw", prefix: "<pipeline>/", mode: "read" },
    // This snapshot's baseline (written once), and the champion's data baseline (read).
    { bucket: "artifacts", prefix: "<pipeline>/baselines/", mode: "readwrite" },
    { bucket: "artifacts", prefix: "<pipeline>/drift/", mode: "write" },
    // The champion, whose lineage names the data it was trained on.
    { table: "registry", mode: "read" },
  ],
  preprocess: [
    SPEC,
    { bucket: "raw", prefix: "<pipeline>/", mode: "read" },
    { bucket: "features", prefix: "<pipeline>/datasets/", mode: "write" },
    { bucket: "features", prefix: "<pipeline>/offline/", mode: "write" },
    { table: "features", mode: "write" },
    stepCache("preprocess"),
  ],
  train: [
    SPEC,
    { bucket: "features", prefix: "<pipeline>/datasets/", mode: "read" },
    stepCache("train"),
  ],
  select: [
    SPEC,
    { bucket: "features", prefix: "<pipeline>/datasets/", mode: "read" },
    { bucket: "artifacts", prefix: "<pipeline>/models/", mode: "write" },
    // model.type custom: the trainer's inputs written, its outputs read back (custom-select.ts).
    { bucket: "artifacts", prefix: CUSTOM_TRAIN_INPUTS, mode: "write" },
    { bucket: "artifacts", prefix: CUSTOM_TRAIN_OUTPUTS, mode: "read" },
    stepCache("select"),
  ],
  // A shard of the sharded final fit: the training rows in, its trees out.
  trainShard: [
    SPEC,
    { bucket: "features", prefix: "<pipeline>/datasets/", mode: "read" },
    { bucket: "artifacts", prefix: `<pipeline>/${SHARDS_DIR}/`, mode: "write" },
  ],
  // Joins the shards and stores the model bundle, as Select does unsharded.
  assemble: [
    SPEC,
    { bucket: "features", prefix: "<pipeline>/datasets/", mode: "read" },
    { bucket: "artifacts", prefix: `<pipeline>/${SHARDS_DIR}/`, mode: "read" },
    { bucket: "artifacts", prefix: "<pipeline>/models/", mode: "write" },
  ],
  evaluate: [
    SPEC,
    { bucket: "features", prefix: "<pipeline>/datasets/", mode: "read" },
    // The champion's bundle and this run's, to score both on the test rows the champion did
    // not train on.
    { bucket: "artifacts", prefix: "<pipeline>/models/", mode: "read" },
    // Reads the champion, allocates a version id and puts the version item.
    { table: "registry", mode: "readwrite" },
  ],
  report: [
    SPEC,
    // The data profile of the raw snapshot, and the test rows of the prepared dataset.
    { bucket: "raw", prefix: "<pipeline>/", mode: "read" },
    { bucket: "features", prefix: "<pipeline>/datasets/", mode: "read" },
    { bucket: "artifacts", prefix: "<pipeline>/models/", mode: "read" },
    { bucket: "artifacts", prefix: "<pipeline>/drift/", mode: "read" },
    { bucket: "artifacts", prefix: "<pipeline>/explainers/", mode: "write" },
    { bucket: "artifacts", prefix: "<pipeline>/reports/", mode: "write" },
  ],
  canary: [
    SPEC,
    // The candidate's bundle (its class labels), the traffic record predict reads (and an
    // experiment's start reads back, to add an arm to a running bandit), the outcome
    // (a file, and on the version in the registry: recordCanary's conditional UpdateItem).
    { table: "registry", mode: "readwrite" },
    { bucket: "artifacts", prefix: "<pipeline>/models/", mode: "read" },
    { bucket: "artifacts", prefix: "<pipeline>/serving/", mode: "write" },
    { bucket: "artifacts", prefix: "<pipeline>/canary/", mode: "write" },
    { servingMetrics: true, mode: "read" },
  ],
  promote: [
    SPEC,
    // Conditional update of the champion pointer, then the version's promotion history. That
    // pointer is what predict serves (it reads the champion from the registry): promote calls
    // no Lambda API, so it holds no lambda:PublishVersion/UpdateAlias.
    { table: "registry", mode: "readwrite" },
  ],
  batchScore: [
    // The BatchScore state reads the spec's monitor.capture for the ScoreFiles children.
    SPEC,
    // The promoted version's bundle (registry item, then the bundle object).
    { table: "registry", mode: "read" },
    { bucket: "artifacts", prefix: "<pipeline>/models/", mode: "read" },
    // Scoring with the champion (a direct invocation, `orchard predict --input s3://…`) picks
    // it as predict does (ServedModels), which reads the canary's traffic record.
    { bucket: "artifacts", prefix: "<pipeline>/serving/", mode: "read" },
    // Every input under the prefix in, a `*.predictions.*` file next to each out (grantBatch).
    { batchPrefix: true, mode: "readwrite" },
    // With monitor.capture, each ScoreFiles child's captured predictions (random keys).
    { bucket: "artifacts", prefix: "<pipeline>/capture/", mode: "write" },
    // Online lookup of the features the model takes from views, as predict does.
    { views: "online", mode: "read" },
    // BatchResults: the ScoreFiles ResultWriter's manifest and result files (written by the
    // state machine's role, distributedMapPolicy).
    { bucket: "artifacts", prefix: `<pipeline>/${BATCH_RESULTS_DIR}/`, mode: "read" },
  ],
  notifyFailure: [{ topic: "alert", mode: "publish" }],
  predict: [
    { table: "registry", mode: "read" },
    { bucket: "artifacts", prefix: "<pipeline>/models/", mode: "read" },
    // The champion's TreeSHAP cover, for `explain: true` requests.
    { bucket: "artifacts", prefix: "<pipeline>/explainers/", mode: "read" },
    // The canary's traffic split (`serving/traffic.json`), re-read on each routing refresh
    // (pipeline/serving/served-models.ts); a missing record is a 404, so listing too.
    { bucket: "artifacts", prefix: "<pipeline>/serving/", mode: "read" },
    { table: "features", mode: "read" },
    // Prediction capture from `orchard serve` (Kubernetes): buffered batches, never an overwrite
    // of another pod's object (random keys). The Lambda captures through its log group and
    // Firehose instead, which needs no grant here. Labels of POST /feedback.
    { bucket: "artifacts", prefix: "<pipeline>/capture/", mode: "write" },
    { bucket: "artifacts", prefix: "<pipeline>/labels/", mode: "write" },
    // Online lookup of the features the champion takes from views (one BatchGetItem per view).
    { views: "online", mode: "read" },
  ],
  monitor: [
    SPEC,
    // The window's captures and labels (listed by day), the champion and its bundle (schema
    // for live drift) and training baseline; its reports and cool-down record.
    { bucket: "artifacts", prefix: "<pipeline>/capture/", mode: "read" },
    { bucket: "artifacts", prefix: "<pipeline>/labels/", mode: "read" },
    { bucket: "artifacts", prefix: "<pipeline>/models/", mode: "read" },
    { bucket: "artifacts", prefix: "<pipeline>/baselines/", mode: "read" },
    { bucket: "artifacts", prefix: "<pipeline>/monitor/", mode: "readwrite" },
    // An A/B test or bandit (pipeline/monitor/experiment.ts): the traffic record it rewrites
    // (bandit weights, a cleared test), and the promotion or rollback it records on the
    // challenger's version (promote's conditional write, recordCanary's UpdateItem).
    { bucket: "artifacts", prefix: "<pipeline>/serving/", mode: "readwrite" },
    { table: "registry", mode: "readwrite" },
  ],
};

/**
 * Human roles, for every pipeline of the stack.
 *
 * data-scientist: reads what runs produce (specs, validation reports, models) and the
 * registry, runs the pipelines and watches their executions, calls predict, reads the
 * stack's feature views (`HumanTargets.views`: offline files and online items).
 *
 * platform-admin: operates the platform without being able to destroy data or widen access:
 * everything the data scientist may, plus reading every data prefix (raw snapshots, prepared
 * datasets, the online feature store), uploading specs, correcting the registry (a manual
 * champion rollback is a conditional write like promote's), moving the serving alias,
 * stopping and redriving executions, publishing a test alert and reading the steps' logs.
 * No s3:DeleteObject, no table or bucket deletion, no iam: actions — those stay with the
 * deployment (`pulumi up`), where they are reviewed.
 */
export const HUMAN_ACCESS: Record<HumanRoleName, readonly Access[]> = {
  "data-scientist": [
    { bucket: "artifacts", prefix: "<pipeline>/", mode: "read" },
    { table: "registry", mode: "read" },
    { stateMachines: true, mode: "run" },
    { function: "predict", mode: "invoke" },
    // `orchard features list | show | get`: every view of the stack, offline and online.
    { views: "offline", mode: "read" },
    { views: "online", mode: "read" },
  ],
  "platform-admin": [
    { bucket: "raw", prefix: "<pipeline>/", mode: "read" },
    { bucket: "features", prefix: "<pipeline>/", mode: "read" },
    { bucket: "artifacts", prefix: "<pipeline>/", mode: "read" },
    { bucket: "artifacts", prefix: "<pipeline>/specs/", mode: "write" },
    { table: "features", mode: "read" },
    { table: "registry", mode: "readwrite" },
    { stateMachines: true, mode: "operate" },
    { function: "predict", mode: "invoke" },
    { function: "predict", mode: "alias" },
    { topic: "alert", mode: "publish" },
    { logGroups: true, mode: "read" },
    { views: "offline", mode: "read" },
    { views: "online", mode: "read" },
  ],
};

/**
 * The DynamoDB operations each table's adapter sends. No DeleteItem anywhere, and no
 * BatchWriteItem on the registry (a batch write may carry deletes; IAM cannot tell them apart).
 */
export const TABLE_OPERATIONS: Record<TableName, { read: string[]; write: string[] }> = {
  // DynamoFeatureStore: BatchGetItem to serve, BatchWriteItem puts to refresh the latest rows.
  features: {
    read: ["dynamodb:BatchGetItem", "dynamodb:GetItem"],
    write: ["dynamodb:BatchWriteItem", "dynamodb:PutItem"],
  },
  // DynamoModelRegistry: GetItem (champion, version), Query (list versions);
  // UpdateItem (counter ADD, champion pointer, promotion history), PutItem (new version).
  registry: {
    read: ["dynamodb:GetItem", "dynamodb:Query"],
    write: ["dynamodb:PutItem", "dynamodb:UpdateItem"],
  },
};

/**
 * How a pipeline's items are recognised by their partition key, for `dynamodb:LeadingKeys`:
 * feature items are `<pipeline>#<entity id>`, registry items have `pipeline = <pipeline>`.
 */
export const TABLE_LEADING_KEYS: Record<
  TableName,
  { operator: "StringLike" | "StringEquals"; pattern: string }
> = {
  features: { operator: "StringLike", pattern: "<pipeline>#*" },
  registry: { operator: "StringEquals", pattern: "<pipeline>" },
};

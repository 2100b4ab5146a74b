/**
 * Compiles the Orchard pipeline graph into one Amazon States Language definition — the same
 * object Pulumi deploys and `orchard run` executes locally (in the spirit of Metaflow's
 * step_functions.py: a graph compiled to ASL, separately from deploying it).
 *
 *   Ingest -> Validate -> Drift -> Retrain --retrain--> Preprocess -> Train (Map over
 *     candidates) -> Select -> Sharded --shards--> FitShards (Map over tree ranges) -> Assemble
 *     -> Evaluate -> Report -> Gate --promote--> (canary states,
 *     canary-states.ts) -> Promote -> BatchScore -> Batch --score--> ScoreFiles (Distributed
 *     Map over the batch prefix's S3 listing, results exported to S3) -> BatchResults ->
 *     Promoted
 *   Retrain --else--> ReportNoDrift -> NoDrift;  Sharded --else--> Evaluate;
 *   Gate --else--> NotPromoted
 *   any Task (or the Train Map) --Catch States.ALL--> NotifyFailure -> ReportFailure -> Failed
 *
 * Each Task receives the whole state (references only: URIs, hashes, metric summaries) and its
 * result is merged under `$.<step>`, so later steps see every earlier reference. Transient
 * errors retry with backoff and full jitter; every other error name fails fast into the Catch.
 */

import { SpecError } from "../errors.ts";
import type {
  Catcher,
  ChoiceState,
  FailState,
  MapState,
  Retrier,
  StateMachineDefinition,
  TaskState,
} from "./asl.ts";
import { CANARY_START_STATE, canaryStates } from "./canary-states.ts";
import {
  DRIFT_STATE,
  NO_DRIFT_STATE,
  REPORT_FAILURE_STATE,
  REPORT_NO_DRIFT_STATE,
  REPORT_STATE,
  RETRAIN_STATE,
  reportTask,
  retrainChoice,
} from "./drift-report-states.ts";
import {
  checkPipelineName,
  checkResources,
  type StepName,
  type StepResources,
  TASK_STATE_OF_STEP,
} from "./steps.ts";

export interface WorkflowOptions {
  /** The pipeline name, e.g. `"churn-model"`; used in the definition's comment. */
  pipeline: string;
  /** How many Train iterations run at once (Map `MaxConcurrency`). Default 4. */
  trainConcurrency?: number;
  /** How many ScoreFiles child executions run at once. Default 20. */
  batchConcurrency?: number;
  /**
   * The share of listed files (0..100) whose scoring may fail before the batch fails the run:
   * the ScoreFiles Map's ToleratedFailurePercentage. Default 0: any bad file fails it.
   */
  batchToleratedFailurePercent?: number;
  /**
   * Per-Task timeout. Default 900 s, Lambda's own maximum: a step cannot run longer in the
   * cloud, and the local engine would otherwise impose its own 60 s default.
   */
  taskTimeoutSeconds?: number;
}

export const DEFAULT_TRAIN_CONCURRENCY = 4;
/**
 * Files per ScoreFiles child execution. A child is one Lambda invocation with 15 minutes: ten
 * files of the sizes one Lambda scores in a minute or two leave room. The children's results
 * are exported to S3 (ResultWriter), so their number is not bounded by the 256 KiB state.
 */
export const BATCH_FILES_PER_CHILD = 10;
/** Child executions of ScoreFiles at once: AWS allows up to 10,000; Lambda concurrency is the real cap. */
export const DEFAULT_BATCH_CONCURRENCY = 20;
/** The child execution's state that scores a batch of files. */
export const SCORE_FILE_BATCH_STATE = "ScoreFileBatch";
export const DEFAULT_TASK_TIMEOUT_SECONDS = 900;
/** Inline Map runs at most 40 iterations concurrently in Step Functions; more is a no-op. */
const MAX_TRAIN_CONCURRENCY = 40;
/** A Distributed Map runs at most 10,000 child executions at once. */
const MAX_DISTRIBUTED_CONCURRENCY = 10_000;

/** The Orchard error names the state machine retries (raised by the storage adapters). */
export const TRANSIENT_ERROR_NAMES = ["TransientError", "StorageUnavailableError"] as const;

/** Lambda service errors AWS recommends retrying, plus throttling. */
export const LAMBDA_SERVICE_ERROR_NAMES = [
  "Lambda.ClientExecutionTimeoutException",
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
] as const;

/**
 * Our named transient errors. The adapters raise them only after the AWS SDK's own retries
 * (3 attempts, sub-second backoff) are used up, so the dependency has been failing for a few
 * seconds already: wait longer here. 5 s, 10 s, 20 s (cap 30 s), full jitter so that Map
 * iterations failing together do not retry in lockstep. Three retries (about 35 s at most)
 * outlast a DynamoDB/S3 throttling burst; beyond that the outage is not transient and the run
 * should fail and notify. Safe to repeat: every step writes content-addressed keys or
 * conditional items.
 */
export const TRANSIENT_RETRY: Retrier = {
  ErrorEquals: [...TRANSIENT_ERROR_NAMES],
  IntervalSeconds: 5,
  BackoffRate: 2,
  MaxAttempts: 3,
  MaxDelaySeconds: 30,
  JitterStrategy: "FULL",
};

/**
 * Lambda service errors (500s) and throttling: AWS's recommended numbers for these
 * (bp-lambda-serviceexception: 2 s interval, backoff 2, 6 attempts), capped at 60 s per wait so
 * the worst case stays about 2 minutes, with full jitter because throttling is caused by
 * concurrency and synchronized retries would re-create it. `Lambda.Unknown` (out of memory,
 * function timeout) is NOT here: it would fail the same way again.
 */
export const LAMBDA_SERVICE_RETRY: Retrier = {
  ErrorEquals: [...LAMBDA_SERVICE_ERROR_NAMES],
  IntervalSeconds: 2,
  BackoffRate: 2,
  MaxAttempts: 6,
  MaxDelaySeconds: 60,
  JitterStrategy: "FULL",
};

/** Fresh copies per state, so a caller mutating one state cannot change another. */
export function retriers(...policies: Retrier[]): Retrier[] {
  return policies.map((policy) => ({ ...policy, ErrorEquals: [...policy.ErrorEquals] }));
}

/** Where a caught error (`{ Error, Cause }`) is put in the state for NotifyFailure and Failed. */
export const ERROR_PATH = "$.error";

function catchAll(): Catcher[] {
  return [{ ErrorEquals: ["States.ALL"], Next: "NotifyFailure", ResultPath: ERROR_PATH }];
}

/** Builds the state machine definition for one pipeline from its step Lambda ARNs. */
export function buildDefinition(
  options: WorkflowOptions,
  resources: StepResources,
): StateMachineDefinition {
  // `??`, not a defaults spread: an explicit `undefined` (an unset config key) means default.
  const pipeline = options.pipeline;
  const trainConcurrency = options.trainConcurrency ?? DEFAULT_TRAIN_CONCURRENCY;
  const taskTimeoutSeconds = options.taskTimeoutSeconds ?? DEFAULT_TASK_TIMEOUT_SECONDS;
  const batchConcurrency = options.batchConcurrency ?? DEFAULT_BATCH_CONCURRENCY;
  const batchToleratedFailurePercent = options.batchToleratedFailurePercent ?? 0;
  checkPipelineName(pipeline);
  checkInteger("batchConcurrency", batchConcurrency, 1, MAX_DISTRIBUTED_CONCURRENCY);
  if (
    !(batchToleratedFailurePercent >= 0 && batchToleratedFailurePercent <= 100) ||
    !Number.isFinite(batchToleratedFailurePercent)
  ) {
    throw new SpecError(
      `batchToleratedFailurePercent is ${batchToleratedFailurePercent}: use a number from 0 to 100`,
      { path: "batchToleratedFailurePercent" },
    );
  }
  checkInteger("trainConcurrency", trainConcurrency, 1, MAX_TRAIN_CONCURRENCY);
  checkInteger("taskTimeoutSeconds", taskTimeoutSeconds, 1, DEFAULT_TASK_TIMEOUT_SECONDS);
  checkResources(resources);

  /** A pipeline step: whole state in, result merged under `$.<step>`, retried, caught. */
  function step(name: StepName, next: string): TaskState {
    return {
      Type: "Task",
      Resource: resources[name],
      ResultPath: `$.${name}`,
      TimeoutSeconds: taskTimeoutSeconds,
      Retry: retriers(TRANSIENT_RETRY, LAMBDA_SERVICE_RETRY),
      Catch: catchAll(),
      Next: next,
    };
  }

  /**
   * Fans training out over `$.preprocess.candidates`. Each iteration gets the candidate and
   * the run's references; the Catch sits on the Map because a state inside the Map cannot
   * transition outside it. Retries stay on the inner Task so one flaky candidate does not
   * restart the others.
   */
  function train(next: string): MapState {
    return {
      Type: "Map",
      ItemsPath: "$.preprocess.candidates",
      ItemSelector: { "candidate.$": "$$.Map.Item.Value", "run.$": "$" },
      MaxConcurrency: trainConcurrency,
      ItemProcessor: {
        ProcessorConfig: { Mode: "INLINE" },
        StartAt: TASK_STATE_OF_STEP.train,
        States: {
          [TASK_STATE_OF_STEP.train]: {
            Type: "Task",
            Resource: resources.train,
            TimeoutSeconds: taskTimeoutSeconds,
            Retry: retriers(TRANSIENT_RETRY, LAMBDA_SERVICE_RETRY),
            End: true,
          },
        },
      },
      ResultPath: "$.train",
      Catch: catchAll(),
      Next: next,
    };
  }

  /**
   * A sharded final fit (`model.shards` > 1): Select returned tree ranges instead of a model.
   * Decided by the state, not the definition, so one deployed definition serves any spec.
   */
  function sharded(): ChoiceState {
    return {
      Type: "Choice",
      Choices: [{ Variable: "$.select.shards", IsPresent: true, Next: "FitShards" }],
      Default: "Evaluate",
    };
  }

  /**
   * Grows the tree ranges of `$.select.shards` in parallel, each iteration storing its trees
   * and returning their S3 URI (a forest would not fit in a 256 KiB state). Like Train: the
   * Catch on the Map, the retries on the inner Task.
   */
  function fitShards(next: string): MapState {
    return {
      Type: "Map",
      ItemsPath: "$.select.shards",
      ItemSelector: { "shard.$": "$$.Map.Item.Value", "run.$": "$" },
      MaxConcurrency: MAX_TRAIN_CONCURRENCY,
      ItemProcessor: {
        ProcessorConfig: { Mode: "INLINE" },
        StartAt: TASK_STATE_OF_STEP.trainShard,
        States: {
          [TASK_STATE_OF_STEP.trainShard]: {
            Type: "Task",
            Resource: resources.trainShard,
            TimeoutSeconds: taskTimeoutSeconds,
            Retry: retriers(TRANSIENT_RETRY, LAMBDA_SERVICE_RETRY),
            End: true,
          },
        },
      },
      ResultPath: "$.shards",
      Catch: catchAll(),
      Next: next,
    };
  }

  /** Score only when BatchScore said so: a spec with deploy.batch and a run that promoted. */
  function batchChoice(): ChoiceState {
    return {
      Type: "Choice",
      Choices: [
        {
          And: [
            { Variable: "$.batchScore.enabled", IsPresent: true },
            { Variable: "$.batchScore.enabled", IsBoolean: true },
            { Variable: "$.batchScore.enabled", BooleanEquals: true },
          ],
          Next: "ScoreFiles",
        },
      ],
      Default: "Promoted",
    };
  }

  /**
   * Batch scoring fanned out over the prefix with a Distributed Map: Step Functions lists it
   * (ItemReader, s3:listObjectsV2), ItemBatcher hands each child execution a batch of keys,
   * and each child invokes the batchScore function on its batch. The children's results are
   * exported to S3 (ResultWriter, where BatchScore said: the artifacts bucket's
   * `<pipeline>/batch-results`), not returned inline: 10,000 children's results would not fit
   * the 256 KiB state. `$.batchScore.mapRun` gets the Map Run and its manifest's location.
   */
  function scoreFiles(next: string): MapState {
    return {
      Type: "Map",
      ItemReader: {
        Resource: "arn:aws:states:::s3:listObjectsV2",
        Parameters: {
          "Bucket.$": "$.batchScore.listing.bucket",
          "Prefix.$": "$.batchScore.listing.prefix",
        },
      },
      // The child needs the key only; the listing's Etag, Size, … would just fill batches.
      ItemSelector: { "key.$": "$$.Map.Item.Value.Key" },
      ItemBatcher: {
        MaxItemsPerBatch: BATCH_FILES_PER_CHILD,
        BatchInput: {
          "pipeline.$": "$.run.pipeline",
          "version.$": "$.batchScore.modelVersion",
          "bucket.$": "$.batchScore.listing.bucket",
          // The spec's monitor.capture: each child captures its predictions (one object).
          "capture.$": "$.batchScore.capture",
        },
      },
      ResultWriter: {
        Resource: "arn:aws:states:::s3:putObject",
        Parameters: {
          "Bucket.$": "$.batchScore.resultWriter.bucket",
          "Prefix.$": "$.batchScore.resultWriter.prefix",
        },
      },
      MaxConcurrency: batchConcurrency,
      ToleratedFailurePercentage: batchToleratedFailurePercent,
      Label: "ScoreFiles",
      ItemProcessor: {
        ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
        StartAt: SCORE_FILE_BATCH_STATE,
        States: {
          [SCORE_FILE_BATCH_STATE]: {
            Type: "Task",
            Resource: resources.batchScore,
            TimeoutSeconds: taskTimeoutSeconds,
            Retry: retriers(TRANSIENT_RETRY, LAMBDA_SERVICE_RETRY),
            End: true,
          },
        },
      },
      ResultPath: "$.batchScore.mapRun",
      Catch: catchAll(),
      Next: next,
    };
  }

  /**
   * Promote only on an explicit boolean `true`: a missing or malformed decision must never
   * move the serving alias (and a Choice on a missing path would be an uncatchable
   * States.Runtime error in the cloud).
   */
  function gate(): ChoiceState {
    return {
      Type: "Choice",
      Choices: [
        {
          And: [
            { Variable: "$.evaluate.promote", IsPresent: true },
            { Variable: "$.evaluate.promote", IsBoolean: true },
            { Variable: "$.evaluate.promote", BooleanEquals: true },
          ],
          Next: CANARY_START_STATE,
        },
      ],
      Default: "NotPromoted",
    };
  }

  /**
   * Notifies with the whole state, `$.error` included. Its own failure must not loop back into
   * itself: it retries Lambda service errors, then falls through to Failed with the ORIGINAL
   * error still at `$.error` (its own goes to `$.notifyError`).
   */
  function notifyFailure(): TaskState {
    return {
      Type: "Task",
      Resource: resources.notifyFailure,
      ResultPath: null,
      TimeoutSeconds: taskTimeoutSeconds,
      Retry: retriers(LAMBDA_SERVICE_RETRY),
      Catch: [
        { ErrorEquals: ["States.ALL"], Next: REPORT_FAILURE_STATE, ResultPath: "$.notifyError" },
      ],
      Next: REPORT_FAILURE_STATE,
    };
  }

  /** The execution's report (drift-report-states.ts); on the failure path it ends in Failed. */
  function report(next: string, failurePath = false): TaskState {
    return reportTask({
      resource: resources.report,
      timeoutSeconds: taskTimeoutSeconds,
      retry: retriers(TRANSIENT_RETRY, LAMBDA_SERVICE_RETRY),
      catchTo: failurePath ? "Failed" : "NotifyFailure",
      errorPath: failurePath ? "$.reportError" : ERROR_PATH,
      next,
    });
  }

  /** Ends the execution with the failing step's error name and cause. */
  function failed(): FailState {
    return { Type: "Fail", ErrorPath: `${ERROR_PATH}.Error`, CausePath: `${ERROR_PATH}.Cause` };
  }

  return {
    Comment: `Orchard pipeline "${pipeline}": ingest, validate, preprocess, train, select, evaluate, gate, promote`,
    StartAt: "Ingest",
    States: {
      Ingest: step("ingest", "Validate"),
      Validate: step("validate", DRIFT_STATE),
      [DRIFT_STATE]: step("drift", RETRAIN_STATE),
      [RETRAIN_STATE]: retrainChoice("Preprocess", REPORT_NO_DRIFT_STATE),
      Preprocess: step("preprocess", "Train"),
      Train: train("Select"),
      Select: step("select", "Sharded"),
      Sharded: sharded(),
      FitShards: fitShards("Assemble"),
      // Joins the shards into the model Select would have stored, in Select's place.
      Assemble: { ...step("assemble", "Evaluate"), ResultPath: "$.select" },
      Evaluate: step("evaluate", REPORT_STATE),
      [REPORT_STATE]: report("Gate"),
      Gate: gate(),
      ...canaryStates(
        (resultPath, next) => ({ ...step("canary", next), ResultPath: resultPath }),
        "Promote",
      ),
      Promote: step("promote", "BatchScore"),
      // Whether and with which version `$.run.batchUri` is scored; then the Distributed Map.
      BatchScore: step("batchScore", "Batch"),
      Batch: batchChoice(),
      ScoreFiles: scoreFiles("BatchResults"),
      // The batchScore function again, reading the export's manifest: only totals in the state.
      BatchResults: { ...step("batchScore", "Promoted"), ResultPath: "$.batchScore.totals" },
      Promoted: { Type: "Succeed" },
      NotPromoted: { Type: "Succeed" },
      [REPORT_NO_DRIFT_STATE]: report(NO_DRIFT_STATE),
      [NO_DRIFT_STATE]: { Type: "Succeed" },
      NotifyFailure: notifyFailure(),
      [REPORT_FAILURE_STATE]: report("Failed", true),
      Failed: failed(),
    },
  };
}

function checkInteger(key: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SpecError(`${key} is ${value}: use a whole number from ${min} to ${max}`, {
      path: key,
    });
  }
}

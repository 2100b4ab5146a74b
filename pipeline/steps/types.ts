/**
 * The contract between the state machine and the steps: the execution input, what each step
 * adds to the state (under `$.<step>`), and the storage a step reaches through interfaces.
 * Payloads carry references (URIs, hashes, metric summaries), never data.
 */

import type { DerivedSchema } from "../derived/derived.ts";
import type { TransformSchema } from "../derived/transform.ts";
import type { ViewLineage } from "../feature-store/training-set.ts";
import type { TreeRange } from "../forest/shards.ts";
import type { Lineage } from "../model/bundle.ts";
import type { Candidate } from "../search/candidates.ts";
import type { ModelParams } from "../spec/types.ts";
import type { SplitRecord } from "../split/split-record.ts";
import type { ArtifactStore, FeatureStore, ModelRegistry } from "../store.ts";
import type { CvResult, RankedCandidate } from "../train/cross-validate.ts";
import type { CustomTrainer } from "../train/custom-trainer.ts";
import type { MetricRecord } from "../train/fit.ts";
import type { BatchScoreStepOutput } from "./batch-score.ts";

/** The execution input: `{ "run": { … } }`. */
export interface RunInput {
  pipeline: string;
  /** Where the spec YAML is stored (`s3://…`); every step reads the spec from here. */
  specUri: string;
  /** The source data: `s3://…` or, locally, `file:///…`. Default: the spec's `source.uri`. */
  sourceUri?: string;
  /**
   * Where BatchScore scores after a promotion (the spec's `deploy.batch.inputUri`, resolved):
   * `s3://bucket/prefix` or, locally, `file:///dir/`. Absent: no batch scoring.
   */
  batchUri?: string;
  /** Why this execution started when not by the schedule, e.g. the Monitor's alarm. */
  reason?: string;
}

export interface IngestOutput {
  rawUri: string;
  sha256: string;
  size: number;
  /** False when the same bytes were already ingested (the snapshot is reused). */
  created: boolean;
  sourceUri: string;
  /**
   * The snapshot parsed once into typed columns (pipeline/data/table-file.ts), which the steps
   * after Ingest read; null when it did not parse (Validate reports why). Absent in states
   * from before it existed.
   */
  tableUri?: string | null;
  /** ISO time of this run, recorded in the model's lineage. */
  startedAt: string;
  /** The snapshot's format when it is not the source's: `jsonl` for rows joined with views. */
  format?: "jsonl";
  /** With `features.from`: each view's version and watermark the rows were joined with. */
  featureViews?: ViewLineage[];
}

export interface ValidateOutput {
  reportUri: string;
  rows: number;
  columns: number;
  warnings: string[];
}

export interface PreprocessOutput {
  datasetUri: string;
  offlineFeaturesUri: string;
  features: { numeric: string[]; categorical: string[] };
  rows: {
    input: number;
    /** Rows without a target left out (`preprocessing.dropMissingTarget`); 0 otherwise. */
    missingTargetDropped: number;
    duplicatesRemoved: number;
    train: number;
    test: number;
  };
  /** Entity rows written to the online feature store (0 without an `id` column). */
  onlineRows: number;
  /** How train and test were chosen; the model bundle keeps it for later runs' Evaluate. */
  split: SplitRecord;
  candidates: Candidate[];
  /** With `features.derived`: the expressions and their input kinds the bundle records. */
  derived?: DerivedSchema;
  /** With `features.transform`: the module's identity and columns the bundle records. */
  transform?: TransformSchema;
}

export type TrainOutput = CvResult;

export interface SelectOutput {
  modelUri: string;
  modelSha256: string;
  /** cvMean and cvStd are null when the search did not cross-validate. */
  best: { candidateId: string; params: ModelParams; cvMean: number | null; cvStd: number | null };
  /** The best candidates (at most 10), best first. */
  ranking: Omit<RankedCandidate, "scores">[];
  /** Class labels in code order; null for regression. */
  classes: string[] | null;
  /** Held-out test metrics of the refit best candidate. */
  metrics: MetricRecord;
  lineage: Lineage;
}

/**
 * Select's result when the final fit is sharded (`model.shards` > 1): the chosen candidate and
 * the tree ranges the FitShards Map grows; Assemble then replaces it with a SelectOutput.
 */
export interface SelectPlan {
  best: SelectOutput["best"];
  ranking: SelectOutput["ranking"];
  /** One FitShards iteration per range, in tree order. */
  shards: TreeRange[];
}

/** A FitShards iteration's input: its tree range and the run's references. */
export interface TrainShardEvent {
  shard: TreeRange;
  run: RunState;
}

/** A FitShards iteration's result: where its trees are stored (never the trees themselves). */
export interface TrainShardOutput extends TreeRange {
  shardUri: string;
  sha256: string;
}

export interface EvaluateOutput {
  /** The registry version this run's model was registered as. */
  version: string;
  promote: boolean;
  reasons: string[];
  metric: string;
  /** This run's model's gate metric on all of its test rows. */
  value: number;
  champion: {
    version: string;
    /** The champion's gate metric: on `rows` of this run's test rows, or its recorded one. */
    value: number;
    /** `rescored`: the champion was scored on this run's test rows; `stored`: its recorded metric. */
    source: "rescored" | "stored";
    /**
     * How many of this run's test rows both models were scored on (the test rows the champion
     * did not train on); null when its recorded metric was used.
     */
    rows: number | null;
    /** This run's model's gate metric on those same rows (`value` when they are all). */
    challengerValue: number;
  } | null;
}

export interface DriftOutput {
  /** The stored comparison (every feature's PSI and KS); null without a champion baseline. */
  reportUri: string | null;
  /** This snapshot's drift baseline, for the runs after it. */
  baselineUri: string;
  /** The champion compared with; null when there is none. */
  champion: string | null;
  maxPsi: number | null;
  threshold: number;
  drifted: boolean;
  /** At most 20, highest PSI first. */
  driftedFeatures: string[];
  /** What the Retrain Choice reads: train this run or end as NoDrift. */
  retrain: boolean;
  reason: string;
}

/** The Report Task's input: the whole state and the execution's name (the report's key). */
export interface ReportEvent {
  run: RunState;
  execution: string;
}

export interface ReportOutput {
  reportUri: string;
  /** The model's TreeSHAP cover (see pipeline/explain), when this run trained a model. */
  explainerUri: string | null;
}

export interface PromoteOutput {
  promoted: boolean;
  champion: string | null;
  reason?: string;
}

export interface RunState {
  run: RunInput;
  ingest?: IngestOutput;
  validate?: ValidateOutput;
  drift?: DriftOutput;
  preprocess?: PreprocessOutput;
  train?: TrainOutput[];
  /** A SelectPlan only between Select and Assemble of a sharded fit. */
  select?: SelectOutput;
  /** The FitShards Map's results (sharded fits only). */
  shards?: TrainShardOutput[];
  evaluate?: EvaluateOutput;
  promote?: PromoteOutput;
  batchScore?: BatchScoreStepOutput;
  report?: ReportOutput;
  error?: { Error: string; Cause: string };
}

export interface TrainEvent {
  candidate: Candidate;
  run: RunState;
}

export interface StepDeps {
  artifacts: ArtifactStore;
  features: FeatureStore;
  registry: ModelRegistry;
  /** Reads the bytes of a source URI (`s3://` or `file://`). */
  readSource(uri: string): Promise<Uint8Array>;
  now(): Date;
  /** Worker threads for the final refit; default 1. */
  workers?: number;
  /** Runs a `model.type: custom` trainer (pipeline/train/custom-trainer.ts); absent: none. */
  customTrainer?: CustomTrainer;
}

/**
 * The pipeline spec after `parseSpec`: every defaulted field is filled in, so consumers never
 * branch on `undefined`. Optional values without a default are `null`, not absent, so the spec
 * serializes to the same JSON it was built from. `pipeline/spec/README.md` has the same
 * reference as a table.
 */

import type { Metric, Task } from "./metric-names.ts";

export type { Metric, Task } from "./metric-names.ts";

export type SourceFormat = "csv" | "parquet" | "jsonl";

export interface SourceSpec {
  /**
   * Where the data is, exactly as written in the spec (resolve it with `resolveSourceUri`):
   * a path relative to the spec file, an absolute path, `file:///…` or `s3://bucket/key`.
   * Required. Example: `data/penguins.csv`.
   */
  uri: string;
  /**
   * How to read the bytes. Default: from the extension of `uri` (`.csv` and `.tsv` → csv,
   * `.parquet` → parquet, `.jsonl`/`.ndjson` → jsonl); an unknown extension is an error.
   */
  format: SourceFormat;
  /** CSV field separator, one character. Default `","` (`"\t"` for a `.tsv` uri). CSV only. */
  delimiter: string;
  /**
   * Texts read as missing besides `""`, `NA`, `NaN` and `null` (exact, after trimming), at
   * training and at every door that scores rows. Default `[]`. Example: `["n/a", "?"]`.
   */
  missing: string[];
  /** The decimal mark of numbers written as text: `","` reads `3,5` as 3.5. Default `"."`. */
  decimal: "." | ",";
  /**
   * How many rows the source is expected to hold, for sizing only: `orchard synth` warns when
   * a step's memory or time limit would not hold them (pipeline/sizing). Default `null`.
   */
  expectedRows: number | null;
}

export interface FeaturesSpec {
  /** Columns pinned to numeric (read as numbers whatever inference would say). Default `[]`. */
  numeric: string[];
  /** Columns pinned to categorical (e.g. numeric-looking codes). Default `[]`. */
  categorical: string[];
  /** Columns excluded from the features. Default `[]`. */
  drop: string[];
  /**
   * Features taken from feature views, joined onto each row point-in-time: the latest values
   * of the row's entity with event time at or before the row's time and within the view's
   * TTL. Default `[]`.
   */
  from: FeaturesFromSpec[];
  /**
   * Derived features: new feature name → expression over the row's columns, computed in this
   * order (an expression may read the ones above it) from raw inputs at training and at every
   * door that scores rows (pipeline/spec/README.md "Derived features"). Default `{}`.
   * Example: `{ bmi: "weight / height^2", signup_month: "month(signup_date)" }`.
   */
  derived: Record<string, string>;
  /**
   * A TypeScript (or JavaScript) module exporting `transform`, a `RowTransform` run on every
   * row before the derived expressions, at training and at every door. Relative to the spec
   * file. Default `null`. Example: `./features.ts`.
   */
  transform: string | null;
}

export interface FeaturesFromSpec {
  /** The view's name. Example: `stock_stats`. */
  view: string;
  /** Which of its features. Example: `[price_mean_90d]`. */
  features: string[];
  /** The row column holding the row's time. Default: `split.timeColumn`. */
  timeColumn: string;
}

export type NumericImpute = "mean" | "median" | "constant" | "none";
export type CategoricalImpute = "most_frequent" | "constant" | "none";

export interface ImputeSpec {
  /** How missing numbers are filled, from train rows only. Default `median`. */
  numeric: NumericImpute;
  /** How missing categories are filled, from train rows only. Default `most_frequent`. */
  categorical: CategoricalImpute;
  /** The fill for `numeric: constant`. Default `0`; setting it with another strategy is an error. */
  numericFillValue: number;
  /** The fill for `categorical: constant`. Default `"missing_value"` (as scikit-learn); same rule as above. */
  categoricalFillValue: string;
}

export interface OnehotSpec {
  /**
   * The most frequent `maxCategories` train levels of a categorical column each get a one-hot
   * column; rarer train levels share one `<name>=__other__` column (sklearn's
   * `max_categories: N + 1`, with its tie rule: among equally frequent levels the later in
   * sorted order are kept). Levels never seen in train encode as all zeros. Never an error.
   * Default `100`, range 1..10000.
   */
  maxCategories: number;
}

export interface ClipOutliersSpec {
  /** Numbers outside [Q1 − k·IQR, Q3 + k·IQR] of the train rows are clipped to the bound. */
  iqrMultiplier: number;
}

export interface PreprocessingSpec {
  impute: ImputeSpec;
  /** Numeric scaling fitted on train rows. Default `standard`. */
  scale: "standard" | "robust" | "none";
  onehot: OnehotSpec;
  /** `false` (default) or `{ iqrMultiplier }`; `true` in YAML means `{ iqrMultiplier: 1.5 }`. */
  clipOutliers: false | ClipOutliersSpec;
  /** Drop exact duplicate rows before splitting. Default `true`. */
  dedupe: boolean;
  /**
   * Drop rows whose target is missing (counted in the run summary and report) instead of
   * failing validation. Default `false`.
   */
  dropMissingTarget: boolean;
}

interface SplitCommon {
  /** Share of rows held out for the final test, in (0, 0.9]. Default `0.2`. */
  testFraction: number;
  /** Seed of the split's random choices. Default: the top-level `seed`. */
  seed: number;
}

/**
 * How the held-out test rows are chosen. Default strategy: `stratified` for classification,
 * `random` for regression. `stratified` is an error for regression; `time` needs `timeColumn`
 * (the latest rows by that column become the test set) and `timeColumn` needs `time`.
 */
export type SplitSpec =
  | (SplitCommon & { strategy: "stratified" | "random" })
  | (SplitCommon & { strategy: "time"; timeColumn: string });

/** `sqrt`, `log2`, `all`, a fraction in (0, 1), or an integer count ≥ 1 (1 is one feature, as scikit-learn's int 1). */
export type MaxFeatures = "sqrt" | "log2" | "all" | number;

export interface ModelParams {
  /** Number of trees, 1..5000. Default `100`. */
  trees: number;
  /** Maximum tree depth, 1..200, or `null` for unlimited. Default `null`. */
  maxDepth: number | null;
  /** Minimum rows in a leaf, 1..100000. Default `1`. */
  minSamplesLeaf: number;
  /** Features tried per split. Default `sqrt` for classification, `all` for regression. */
  maxFeatures: MaxFeatures;
  /** Sample rows with replacement for each tree. Default `true`. */
  bootstrap: boolean;
  /** The family, present only when it is not `random-forest` (forest candidates keep their bytes). */
  type?: ModelType;
  /** Set exactly when `type` is `gradient-boosting`. */
  boosting?: BoostingModelParams;
  /** Set exactly when `type` is `logistic-regression` or `linear-regression`. */
  linear?: LinearModelParams;
}

/** The model families. */
export type ModelType =
  | "random-forest"
  | "gradient-boosting"
  | "logistic-regression"
  | "linear-regression"
  | "custom";

/**
 * `model.type: custom`: a team's own trainer (docs/custom-training.md). `command` runs in
 * `image` (a Fargate task in the cloud) or, in `orchard run`, as a process from the spec's
 * directory; it reads the prepared matrices and writes an ONNX model and metrics.json.
 */
export interface CustomModelSpec {
  /** The trainer's container image; null until the pipeline is deployed. */
  image: string | null;
  /** The command (argv) that trains, e.g. `["python3", "train.py"]`. */
  command: string[];
}

/**
 * The key of a linear model: `C` (logistic regression, scikit-learn's inverse L2 strength,
 * default `1`) or `alpha` (ridge regression, default `1`). Present only on linear models.
 */
export interface LinearModelParams {
  C?: number;
  alpha?: number;
}

/**
 * The keys of `model.type: gradient-boosting`, with scikit-learn HistGradientBoosting's
 * defaults; present (all of them) only on a gradient-boosting model, absent on a forest, so
 * forest specs, candidates and bundles keep their bytes. `maxDepth` (default `null`) and
 * `minSamplesLeaf` (default `20` for boosting) are shared with the forest;
 * pipeline/boosting/README.md has the details.
 */
export interface BoostingModelParams {
  /** Shrinkage of every tree, in (0, 1]. Default `0.1`. */
  learningRate: number;
  /** Boosting rounds, 1..100000. Default `100`. */
  iterations: number;
  /** Most leaves per tree (leaf-wise growth), or `null` for no limit. Default `31`. */
  maxLeaves: number | null;
  /** L2 regularization of leaf values, >= 0. Default `0`. */
  l2: number;
  /** Share of training rows per round, drawn without replacement. Default `1`. */
  subsample: number;
  /** Share of features per tree. Default `1`. */
  colsample: number;
  /** Early stopping on a seeded validation share; `auto` turns it on above 10,000 rows. Default `auto`. */
  earlyStopping: boolean | "auto";
  /** Share of training rows held out for early stopping, in (0, 1). Default `0.1`. */
  validationFraction: number;
  /** Rounds without validation improvement before stopping. Default `10`. */
  patience: number;
  /** Regression loss: `squared_error` or `absolute_error`. Default `squared_error`. */
  loss: "squared_error" | "absolute_error";
}

export interface ModelSpec extends ModelParams {
  /** The model family. Default `random-forest`. */
  type: ModelType;
  /** `orchard` (the built-in engine) or `ml-random-forest` (reference, slow). Default `orchard`. */
  engine: "orchard" | "ml-random-forest";
  /**
   * Parallel Map iterations the final fit's trees are split across (Select's refit), each
   * growing its own tree range; the Assemble step joins them into the bytes one process would
   * fit. 1..40, orchard engine only. Default `1` (Select fits every tree itself).
   */
  shards: number;
  /** Set exactly when `type` is `custom`. */
  custom?: CustomModelSpec;
}

/** The boosting and linear keys a grid may vary (flat, as in the `model:` section). */
export type FamilyGridKey =
  | "learningRate"
  | "iterations"
  | "maxLeaves"
  | "l2"
  | "subsample"
  | "colsample"
  | "C"
  | "alpha";

/**
 * Candidate values per model parameter; each present key holds a non-empty list. `type`
 * varies the model family: each family takes the keys it has (forest: trees, maxDepth,
 * minSamplesLeaf, maxFeatures, bootstrap; boosting: maxDepth, minSamplesLeaf and its own;
 * logistic regression: C; ridge: alpha) and its defaults for the rest.
 */
export type SearchGrid = {
  [K in "trees" | "maxDepth" | "minSamplesLeaf" | "maxFeatures" | "bootstrap"]?: ModelParams[K][];
} & { type?: ModelType[] } & {
  [K in FamilyGridKey]?: (K extends "C" | "alpha"
    ? number
    : K extends keyof BoostingModelParams
      ? BoostingModelParams[K]
      : never)[];
};

export interface SearchSpec {
  /**
   * `none` trains `model` as written; `grid` tries every combination of `grid` over `model`;
   * `random` tries `iterations` combinations drawn (with the spec seed) from `grid`.
   * Default `none`. `grid` must be non-empty for grid/random and empty for none.
   */
  strategy: "none" | "grid" | "random";
  /**
   * Cross-validation folds used to compare candidates, 2..20. Default `5`, or `null` (no
   * cross-validation: there is nothing to compare) with `strategy: none` unless set.
   */
  folds: number | null;
  /** Metric candidates are ranked by. Default `accuracy` / `rmse`; must fit the task. */
  metric: Metric;
  /** Candidates drawn by random search, 1..1000. Default `10`; setting it otherwise is an error. */
  iterations: number;
  /** Default `{}`. */
  grid: SearchGrid;
}

export interface GateSpec {
  /** Metric on the held-out test set that decides promotion. Default: `search.metric`. */
  metric: Metric;
  /** Lowest acceptable value, higher-is-better metrics only. Default `null` (no floor). */
  minimum: number | null;
  /** Highest acceptable value, lower-is-better metrics only (rmse, mae, log_loss). Default `null`. */
  maximum: number | null;
  /**
   * Required improvement over the current champion in the metric's better direction
   * (higher by `margin`, or lower by `margin`), ≥ 0. Default `0`.
   */
  margin: number;
}

/**
 * When a run trains. The Drift step always compares the incoming data with the champion's
 * training data (PSI per feature); `on-drift` ends the run as `NoDrift`, without training,
 * unless a feature's PSI reaches `psiThreshold` (or there is no champion to compare with).
 */
export interface RetrainSpec {
  /** `always` or `on-drift`. Default `always`. */
  when: "always" | "on-drift";
  /** PSI at or above which a feature counts as drifted, > 0. Default `0.2`. */
  psiThreshold: number;
}

/** A canary deployment (docs/serving.md): the candidate answers `percent` of predict requests
 * for `minutes`, then it is promoted or rolled back on its error rate, its prediction shift
 * against the champion and the pipeline's alarms. */
export interface CanarySpec {
  /** Share of requests the candidate answers, above 0 and below 100. Required. */
  percent: number;
  /** How long the canary runs before the check, 0..1440. Required. */
  minutes: number;
  /** Largest share of the candidate's requests that may fail with a 5xx. Default `0.01`. */
  maxErrorRate: number;
  /**
   * Largest prediction shift against the champion over the canary: total variation distance
   * of the predicted classes, or for regression the change of the mean prediction relative to
   * the champion's mean absolute prediction. Default `0.2`.
   */
  maxShift: number;
  /** Fewer candidate requests than this: inconclusive, rolled back. Default `100`. */
  minRequests: number;
}

/**
 * Batch scoring after a promotion (docs/serving.md): every `.csv`, `.jsonl` and `.ndjson` file
 * under `inputUri` is scored with the new champion into a `*.predictions.*` file next to it.
 */
export interface BatchSpec {
  /**
   * `s3://bucket/prefix/`, or locally a directory (relative to the spec file, absolute, or
   * `file://`). Required.
   */
  inputUri: string;
  /**
   * The share of listed files (0..100) whose scoring may fail (their batch of 10 keys counts
   * whole) before the ScoreFiles Distributed Map fails the run: its
   * ToleratedFailurePercentage. Default `0`.
   */
  toleratedFailurePercent: number;
}

/**
 * An A/B test (docs/serving.md): a run that passes the gate does not replace the champion; its
 * version answers `percent` of predict requests until the Monitor has `minLabels` labeled
 * predictions in each arm and decides once: promoted when better on `metric` with
 * `confidence`, rolled back otherwise, or when `maxDays` pass first.
 */
export interface AbSpec {
  /** Share of requests the challenger answers, above 0 and below 100. Default `50`. */
  percent: number;
  /** Labeled predictions each arm needs before the decision. Default `200`. */
  minLabels: number;
  /** One-sided confidence the challenger must be better with, in (0.5, 1). Default `0.95`. */
  confidence: number;
  /** Days after which a test still short of labels is rolled back. Default `14`. */
  maxDays: number;
  /** The metric compared: accuracy by a two-proportion test, others by bootstrap. Default: the gate's. */
  metric: Metric;
}

/**
 * A multi-armed bandit (docs/serving.md): the champion and up to `challengers` versions that
 * passed the gate share traffic by Thompson sampling on labeled rewards, updated by the Monitor.
 */
export interface BanditSpec {
  /** Challengers kept beside the champion (the oldest leaves for a new one), 1..3. Default `3`. */
  challengers: number;
  /** `correct` (1 when the prediction equals the label) or `feedback` (the label's `reward`). Default `correct`. */
  reward: "correct" | "feedback";
  /** Smallest share any arm keeps, so it still gets labels (exploration), 0..0.25. Default `0.05`. */
  minShare: number;
}

export interface DeploymentSpec {
  /** What a gate-passing run does to serving: `canary` (today's promote, with `canary` if set), `ab`, `bandit`. Default `canary`. */
  strategy: "canary" | "ab" | "bandit";
  /** Set when `strategy` is `ab`, else `null`. */
  ab: AbSpec | null;
  /** Set when `strategy` is `bandit`, else `null`. */
  bandit: BanditSpec | null;
  /** Default `null`: Promote moves the champion at once. */
  canary: CanarySpec | null;
  /** Default `null`: no batch scoring in the state machine. */
  batch: BatchSpec | null;
}

/**
 * Prediction capture and the live Monitor (docs/monitoring.md): what serving records, and
 * when `orchard monitor` (the Monitor state machine in the cloud) raises its alarm.
 */
export interface CaptureSpec {
  /** Share of requests captured, in (0, 1], decided by a hash of the request id. Default `1`. */
  sampleRate: number;
  /** Input columns never written to a capture (personal data). Default `[]`. */
  exclude: string[];
  /** Days captures and labels are kept in the artifacts bucket. Default `30`. */
  retentionDays: number;
}

export interface MonitorSpec {
  /** Default `null`: serving captures nothing (and `orchard monitor` has nothing to join). */
  capture: CaptureSpec | null;
  /** The window the alarm judges: captures of the last `windowHours`. Default `168`. */
  windowHours: number;
  /** Fewer labeled predictions of the champion in the window: no verdict. Default `30`. */
  minLabels: number;
  /**
   * Without a gate bound (`gate.minimum`/`maximum`), the alarm fires when the live gate metric
   * is worse than the champion's held-out value by more than this. Default `0.05`.
   */
  tolerance: number;
  /** No retrain is started within this many minutes of the last one it started. Default `1440`. */
  coolDownMinutes: number;
}

/** The run report (pipeline/report). */
export interface ReportSpec {
  /**
   * Test rows the report explains with TreeSHAP (mean |contribution| per feature): a sample
   * drawn with the spec's seed when the test split has more, 1..100000. Default `200`.
   */
  explainRows: number;
}

export interface PipelineSpec {
  /** Pipeline name: `[a-z0-9-]`, 1..40 characters. Required. Example: `penguins`. */
  name: string;
  /** Root seed every random choice derives from, an integer 0..2^32−1. Default `42`. */
  seed: number;
  source: SourceSpec;
  /** Target column name. Required. */
  target: string;
  /** `classification` or `regression`. Required. */
  task: Task;
  /** Entity id column, never a feature. Default `null`. */
  id: string | null;
  /**
   * Feature roles. Every column that is not the target, the id or in `drop` is a feature;
   * `numeric`/`categorical` pin a column's kind, the others get their inferred kind.
   */
  features: FeaturesSpec;
  preprocessing: PreprocessingSpec;
  split: SplitSpec;
  model: ModelSpec;
  search: SearchSpec;
  gate: GateSpec;
  retrain: RetrainSpec;
  deploy: DeploymentSpec;
  monitor: MonitorSpec;
  report: ReportSpec;
}

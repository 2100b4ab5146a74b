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
}

export interface FeaturesSpec {
  /** Columns pinned to numeric (read as numbers whatever inference would say). Default `[]`. */
  numeric: string[];
  /** Columns pinned to categorical (e.g. numeric-looking codes). Default `[]`. */
  categorical: string[];
  /** Columns excluded from the features. Default `[]`. */
  drop: string[];
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
}

export interface ModelSpec extends ModelParams {
  /** The model family; `random-forest` is the only one. Default `random-forest`. */
  type: "random-forest";
  /** `orchard` (the built-in engine) or `ml-random-forest` (reference, slow). Default `orchard`. */
  engine: "orchard" | "ml-random-forest";
}

/** Candidate values per model parameter; each present key holds a non-empty list. */
export type SearchGrid = { [K in keyof ModelParams]?: ModelParams[K][] };

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
}

export interface DeploymentSpec {
  /** Default `null`: Promote moves the champion at once. */
  canary: CanarySpec | null;
  /** Default `null`: no batch scoring in the state machine. */
  batch: BatchSpec | null;
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
  report: ReportSpec;
}

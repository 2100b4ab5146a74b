/**
 * The public shape of a trained forest, shared by every engine. Inputs and outputs are the
 * typed matrices of pipeline/data/frame.ts, never row objects.
 */
import type { FeatureMatrix } from "../data/frame.ts";

/**
 * How many features each split may look at, with scikit-learn's meaning: `"sqrt"` and
 * `"log2"` of the feature count, `"all"`, a fraction in (0, 1) of the features, or a whole
 * count >= 1 (`1` is one feature; use `"all"` for every feature).
 */
export type MaxFeatures = "sqrt" | "log2" | "all" | number;

export interface ForestParams {
  /** Number of trees, e.g. `100`. */
  trees: number;
  /** Deepest level a node may sit at (the root is depth 0); `null` grows until leaves are pure. */
  maxDepth: number | null;
  /** Fewest training rows a leaf may hold, e.g. `1`. */
  minSamplesLeaf: number;
  /** Features tried per split; scikit-learn's defaults are `"sqrt"` (classifier), `"all"` (regressor). */
  maxFeatures: MaxFeatures;
  /** Fit each tree on a bootstrap sample (and report an out-of-bag score). */
  bootstrap: boolean;
  /** Seed of every random choice; the same seed gives byte-identical models. */
  seed: number;
  /** Quantile bins per feature including the missing-value bin, 2..256; default 256. */
  maxBins?: number;
}

export type Engine = "orchard" | "ml-random-forest";

export type ForestTask = "classification" | "regression";

export interface ForestModel {
  /** `onnx`: a team's own model read from ONNX (pipeline/onnx/onnx-model.ts). */
  readonly engine: Engine | "onnx";
  readonly task: ForestTask;
  readonly nFeatures: number;
  /** 0 for regression. */
  readonly nClasses: number;
  /** Class index (as float) for classification, value for regression. */
  predict(X: FeatureMatrix): Float64Array;
  /** Rows x nClasses, row-major; throws for regression. */
  predictProba(X: FeatureMatrix): Float64Array;
  /** Impurity-based importance per feature, summing to 1 (all 0 when no tree split). */
  readonly featureImportance: Float64Array;
  /** Out-of-bag accuracy (classification) or R² (regression); null without bootstrap. */
  readonly oobScore: number | null;
}

export interface FitOptions {
  /** Default `"orchard"`. */
  engine?: Engine;
  /**
   * Threads that grow trees, the calling thread included; default 1, which trains in the
   * calling thread without any Worker. Pass `os.availableParallelism()` to use every core.
   * Only the Orchard engine uses it; the model is byte-identical whatever the count.
   */
  workers?: number;
}

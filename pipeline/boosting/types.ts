/**
 * The public shape of Orchard's histogram gradient boosting. Parameter names follow the spec's
 * `model:` keys; defaults are scikit-learn's HistGradientBoosting defaults (see params.ts).
 */

/** Loss of a regressor; a classifier always uses log loss (binary, or softmax for > 2 classes). */
export type RegressionLoss = "squared_error" | "absolute_error";

export interface BoostingParams {
  /** Shrinkage applied to every leaf, in (0, 1]. Default `0.1`. */
  learningRate: number;
  /** Boosting rounds (each grows one tree, or one per class for > 2 classes). Default `100`. */
  iterations: number;
  /** Most leaves per tree (leaf-wise growth), >= 2, or `null` for no limit. Default `31`. */
  maxLeaves: number | null;
  /** Deepest level a split may sit at (the root is depth 0), or `null`. Default `null`. */
  maxDepth: number | null;
  /** Fewest training rows a leaf may hold. Default `20`. */
  minSamplesLeaf: number;
  /** L2 regularization of the leaf values, >= 0. Default `0`. */
  l2: number;
  /** Share of the training rows each round fits on (drawn without replacement), in (0, 1]. Default `1`. */
  subsample: number;
  /** Share of the features each tree may split on (drawn per tree), in (0, 1]. Default `1`. */
  colsample: number;
  /**
   * Stop when the validation loss has not improved by `tol` for `patience` rounds. `"auto"`
   * (default) turns it on above 10,000 training rows, as scikit-learn does.
   */
  earlyStopping: boolean | "auto";
  /** Share of the training rows held out (seeded, stratified for classes) for early stopping. Default `0.1`. */
  validationFraction: number;
  /** Rounds without improvement before stopping. Default `10`. */
  patience: number;
  /** Regression loss. Default `squared_error`. */
  loss: RegressionLoss;
  /** Quantile bins per feature including the missing-value bin, 2..256. Default `256`. */
  maxBins: number;
  /** Seed of every random choice (validation rows, subsampling); same seed, same bytes. */
  seed: number;
}

export interface BoostingFitOptions {
  /**
   * Threads that build histograms, the calling thread included; default 1 (no Worker). The
   * model is byte-identical whatever the count: each feature's histogram is summed by one
   * thread, in row order.
   */
  workers?: number;
}

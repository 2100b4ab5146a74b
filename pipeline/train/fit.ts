/**
 * Fitting one candidate: preprocessor fitted on the given (training) rows only, then the
 * forest on the transformed rows. Shared by cross-validation (fold-train rows), the refit of
 * the best candidate (the whole training split) and the final evaluation.
 */
import type { FeatureMatrix, Frame, Target } from "../data/frame.ts";
import { type FeatureLists, fitPreprocessor, type Preprocessor } from "../features/preprocessor.ts";
import type { PreprocessingOptions } from "../features/preprocessor-state.ts";
import { type Engine, type ForestModel, type ForestParams, fitForest } from "../forest/index.ts";
import {
  type ClassificationMetrics,
  computeMetrics,
  type RegressionMetrics,
} from "../metrics/compute.ts";
import type { ModelParams } from "../spec/types.ts";

export interface TrainingSetup {
  features: FeatureLists;
  preprocessing: PreprocessingOptions;
  engine: Engine;
  seed: number;
  /** Worker threads for the forest; default 1 (in-thread). */
  workers?: number;
}

export interface FittedModel {
  preprocessor: Preprocessor;
  forest: ForestModel;
}

export type MetricRecord = ClassificationMetrics | RegressionMetrics;

/**
 * What a fit hands the forest: the preprocessor fitted on `frame`, the transformed rows and
 * the forest parameters. Deterministic, so each shard of a sharded fit (`model.shards`) and
 * the step that assembles them rebuild exactly what `fitModel` fits on.
 */
export function prepareFit(
  frame: Frame,
  params: ModelParams,
  setup: TrainingSetup,
): { preprocessor: Preprocessor; X: FeatureMatrix; forestParams: ForestParams } {
  const preprocessor = fitPreprocessor(frame, setup.features, setup.preprocessing);
  return {
    preprocessor,
    X: preprocessor.transform(frame),
    forestParams: { ...params, seed: setup.seed },
  };
}

export async function fitModel(
  frame: Frame,
  target: Target,
  params: ModelParams,
  setup: TrainingSetup,
): Promise<FittedModel> {
  const { preprocessor, X, forestParams } = prepareFit(frame, params, setup);
  const forest = await fitForest(X, target, forestParams, {
    engine: setup.engine,
    workers: setup.workers ?? 1,
  });
  return { preprocessor, forest };
}

export interface Predictions {
  /** Class index (classification) or value (regression) per row. */
  values: Float64Array;
  /** Rows x classes, row-major; classification only. */
  proba?: Float64Array;
}

export function predictFrame(model: FittedModel, frame: Frame): Predictions {
  const X = model.preprocessor.transform(frame);
  if (model.forest.task === "regression") return { values: model.forest.predict(X) };
  const proba = model.forest.predictProba(X);
  const k = model.forest.nClasses;
  const values = new Float64Array(X.rows);
  for (let r = 0; r < X.rows; r++) {
    // argmax with ties to the lowest class index, as scikit-learn's predict does
    let best = 0;
    for (let c = 1; c < k; c++) if (proba[r * k + c] > proba[r * k + best]) best = c;
    values[r] = best;
  }
  return { values, proba };
}

/** Every metric of the task on `frame`'s rows against their encoded `target`. */
export function scoreModel(model: FittedModel, frame: Frame, target: Target): MetricRecord {
  const { values, proba } = predictFrame(model, frame);
  if (target.kind === "regression") return computeMetrics("regression", target.values, values);
  return computeMetrics(
    "classification",
    target.codes,
    Int32Array.from(values),
    proba,
    target.classes.length,
  );
}

/** The rows of an encoded target at `indices`. */
export function takeTarget(target: Target, indices: ArrayLike<number>): Target {
  if (target.kind === "regression") {
    return { kind: "regression", values: Float64Array.from(indices, (i) => target.values[i]) };
  }
  return {
    kind: "classification",
    codes: Int32Array.from(indices, (i) => target.codes[i]),
    classes: target.classes,
  };
}

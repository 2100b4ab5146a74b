/**
 * Fitting one candidate: preprocessor fitted on the given (training) rows only, then the
 * forest on the transformed rows. Shared by cross-validation (fold-train rows), the refit of
 * the best candidate (the whole training split) and the final evaluation.
 */
import { type BoostingParams, defaultBoostingParams, fitBoosting } from "../boosting/index.ts";
import type { FeatureMatrix, Frame, Target } from "../data/frame.ts";
import { SpecError } from "../errors.ts";
import { type FeatureLists, fitPreprocessor, type Preprocessor } from "../features/preprocessor.ts";
import type { PreprocessingOptions } from "../features/preprocessor-state.ts";
import { type Engine, type ForestModel, type ForestParams, fitForest } from "../forest/index.ts";
import { fitLinear } from "../linear/index.ts";
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
    forestParams: forestParamsOf(params, setup.seed),
  };
}

export async function fitModel(
  frame: Frame,
  target: Target,
  params: ModelParams,
  setup: TrainingSetup,
): Promise<FittedModel> {
  const { preprocessor, X } = prepareFit(frame, params, setup);
  if (params.type === "logistic-regression" || params.type === "linear-regression") {
    const model = fitLinear(X, target, {
      kind: params.type,
      C: params.linear?.C ?? 1,
      alpha: params.linear?.alpha ?? 1,
    });
    return { preprocessor, forest: model };
  }
  if (params.type === "gradient-boosting") {
    const model = await fitBoosting(X, target, boostingParamsOf(params, setup.seed), {
      workers: setup.workers ?? 1,
    });
    return { preprocessor, forest: model };
  }
  const forest = await fitForest(X, target, forestParamsOf(params, setup.seed), {
    engine: setup.engine,
    workers: setup.workers ?? 1,
  });
  return { preprocessor, forest };
}

/** A forest candidate's parameters (the family keys are not the forest's). */
function forestParamsOf(params: ModelParams, seed: number): ForestParams {
  const { type: _type, boosting: _boosting, linear: _linear, ...forest } = params;
  return { ...forest, seed };
}

/** The engine's parameters of a gradient-boosting candidate (spec keys → boosting/params.ts). */
export function boostingParamsOf(params: ModelParams, seed: number): BoostingParams {
  const b = params.boosting;
  if (!b) {
    throw new SpecError(
      "model.type is gradient-boosting but the candidate has no boosting parameters; parse the spec with parseSpec.",
      { path: "model" },
    );
  }
  return {
    ...defaultBoostingParams(seed),
    ...b,
    maxDepth: params.maxDepth,
    minSamplesLeaf: params.minSamplesLeaf,
  };
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

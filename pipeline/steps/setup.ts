/** From the spec to the plain settings the training code takes. */
import type { FeatureLists } from "../features/preprocessor.ts";
import type { PreprocessingOptions } from "../features/preprocessor-state.ts";
import type { PipelineSpec } from "../spec/types.ts";
import type { TrainingSetup } from "../train/fit.ts";

export function preprocessingOptions(spec: PipelineSpec): PreprocessingOptions {
  const { impute, scale, onehot, clipOutliers } = spec.preprocessing;
  return {
    impute: {
      numeric: impute.numeric,
      categorical: impute.categorical,
      numericFillValue: impute.numericFillValue,
      categoricalFillValue: impute.categoricalFillValue,
    },
    scale,
    onehot: { maxCategories: onehot.maxCategories },
    clipOutliers,
  };
}

export function trainingSetup(
  spec: PipelineSpec,
  features: FeatureLists,
  workers = 1,
): TrainingSetup {
  return {
    features,
    preprocessing: preprocessingOptions(spec),
    engine: spec.model.engine,
    seed: spec.seed,
    workers,
  };
}

/**
 * Train (one Map iteration): k-fold cross-validation of one search candidate on the training
 * split (forward-chaining folds in time order when the split is by time). Each fold fits its
 * own preprocessor on the fold's training rows.
 */
import { takeRows } from "../data/frame.ts";
import { crossValidate } from "../train/cross-validate.ts";
import { takeTarget } from "../train/fit.ts";
import { loadSpec, need } from "./context.ts";
import { loadDataset } from "./load-dataset.ts";
import { trainingSetup } from "./setup.ts";
import type { StepDeps, TrainEvent, TrainOutput } from "./types.ts";

export async function train(event: TrainEvent, deps: StepDeps): Promise<TrainOutput> {
  const spec = await loadSpec(deps, event.run);
  const prepared = need(event.run, "preprocess");
  const data = await loadDataset(deps, prepared.datasetUri);
  const times = data.times;
  return crossValidate(
    takeRows(data.frame, data.train),
    takeTarget(data.target, data.train),
    event.candidate,
    trainingSetup(spec, prepared.features),
    {
      folds: spec.search.folds,
      metric: spec.search.metric,
      // The dataset carries times only for a time split; reading them there rather than the
      // spec's split section keeps Train's output a function of its cache key (the dataset).
      times: times ? Float64Array.from(data.train, (r) => times[r]) : undefined,
    },
  );
}

/**
 * Select: ranks the cross-validated candidates, refits the best on the whole training split
 * (its preprocessor too, on train rows only), scores it on the held-out test rows and stores
 * the model bundle.
 */
import { createHash } from "node:crypto";
import { takeRows } from "../data/frame.ts";
import { cellReadingOf } from "../data/infer-schema.ts";
import { createBundle, serializeBundle } from "../model/bundle.ts";
import { rankCandidates } from "../train/cross-validate.ts";
import { fitModel, scoreModel, takeTarget } from "../train/fit.ts";
import { ORCHARD_VERSION } from "../version.ts";
import { loadSpec, need, StateContractError } from "./context.ts";
import { loadDataset } from "./load-dataset.ts";
import { trainingSetup } from "./setup.ts";
import type { RunState, SelectOutput, StepDeps } from "./types.ts";

const RANKING_IN_STATE = 10;

export async function select(state: RunState, deps: StepDeps): Promise<SelectOutput> {
  const spec = await loadSpec(deps, state);
  const prepared = need(state, "preprocess");
  const ranked = rankCandidates(need(state, "train"));
  const best = ranked[0];
  if (!best) throw new StateContractError("Train produced no candidates to select from");
  const data = await loadDataset(deps, prepared.datasetUri);
  const model = await fitModel(
    takeRows(data.frame, data.train),
    takeTarget(data.target, data.train),
    best.params,
    trainingSetup(spec, prepared.features, deps.workers),
  );
  const metrics = scoreModel(
    model,
    takeRows(data.frame, data.test),
    takeTarget(data.target, data.test),
  );
  const ingest = need(state, "ingest");
  const specBytes = await deps.artifacts.get(state.run.specUri);
  const lineage = {
    pipeline: spec.name,
    dataSha256: ingest.sha256,
    specSha256: createHash("sha256").update(specBytes).digest("hex"),
    seed: spec.seed,
    orchardVersion: ORCHARD_VERSION,
    createdAt: ingest.startedAt,
    // Only with views: bundles of pipelines without them keep their bytes.
    ...(ingest.featureViews ? { featureViews: ingest.featureViews } : {}),
  };
  const bundle = createBundle(model, {
    schema: {
      task: spec.task,
      target: spec.target,
      classes: data.target.kind === "classification" ? data.target.classes : null,
      features: prepared.features,
      // Only a non-default reading is recorded: default bundles keep their bytes.
      ...readingOf(spec),
    },
    params: best.params,
    metrics,
    lineage,
    split: prepared.split,
  });
  const stored = await deps.artifacts.putContent(
    "artifacts",
    `${spec.name}/models`,
    serializeBundle(bundle),
    "orchard-model",
  );
  return {
    modelUri: stored.uri,
    modelSha256: stored.sha256,
    best: {
      candidateId: best.candidateId,
      params: best.params,
      cvMean: best.mean,
      cvStd: best.std,
    },
    ranking: ranked.slice(0, RANKING_IN_STATE).map(({ scores: _scores, ...rest }) => rest),
    classes: data.target.kind === "classification" ? data.target.classes : null,
    metrics,
    lineage,
  };
}

function readingOf(spec: Parameters<typeof cellReadingOf>[0]) {
  const reading = cellReadingOf(spec);
  return Object.keys(reading).length > 0 ? { reading } : {};
}

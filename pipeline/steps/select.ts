/**
 * Select: ranks the cross-validated candidates, refits the best on the whole training split
 * (its preprocessor too, on train rows only), scores it on the held-out test rows and stores
 * the model bundle.
 */
import { createHash } from "node:crypto";
import { takeRows } from "../data/frame.ts";
import { cellReadingOf } from "../data/infer-schema.ts";
import { shardRanges } from "../forest/shards.ts";
import { type BundleHeader, createBundle, serializeBundle } from "../model/bundle.ts";
import type { PipelineSpec } from "../spec/types.ts";
import { type RankedCandidate, rankCandidates } from "../train/cross-validate.ts";
import { type FittedModel, fitModel, scoreModel, takeTarget } from "../train/fit.ts";
import { ORCHARD_VERSION } from "../version.ts";
import { loadSpec, need, StateContractError } from "./context.ts";
import { selectCustom } from "./custom-select.ts";
import type { PreparedDataset } from "./dataset.ts";
import { loadDataset } from "./load-dataset.ts";
import { trainingSetup } from "./setup.ts";
import type { RunState, SelectOutput, SelectPlan, StepDeps } from "./types.ts";

const RANKING_IN_STATE = 10;

/**
 * The Select state: Select's refit, or with `model.shards` > 1 the plan of the sharded refit
 * that the FitShards Map and Assemble carry out (steps/shards.ts).
 */
export async function selectStep(
  state: RunState,
  deps: StepDeps,
): Promise<SelectOutput | SelectPlan> {
  const spec = await loadSpec(deps, state);
  if (spec.model.type === "custom") return selectCustom(state, deps, spec);
  if (spec.model.shards <= 1) return select(state, deps);
  const ranked = rankedCandidates(state);
  // Only forests are sharded (their trees are independent); a search across families may
  // pick a boosted or linear model, which Select fits in one piece.
  if ((ranked[0].params.type ?? "random-forest") !== "random-forest") return select(state, deps);
  return {
    best: bestOf(ranked[0]),
    ranking: rankingOf(ranked),
    shards: shardRanges(ranked[0].params.trees, spec.model.shards),
  };
}

export function rankedCandidates(state: RunState): RankedCandidate[] {
  const ranked = rankCandidates(need(state, "train"));
  if (!ranked[0]) throw new StateContractError("Train produced no candidates to select from");
  return ranked;
}

/** Select's refit of the best candidate (every tree in this process). */
export async function select(state: RunState, deps: StepDeps): Promise<SelectOutput> {
  const spec = await loadSpec(deps, state);
  const prepared = need(state, "preprocess");
  const ranked = rankedCandidates(state);
  const best = ranked[0];
  const data = await loadDataset(deps, prepared.datasetUri);
  const model = await fitModel(
    takeRows(data.frame, data.train),
    takeTarget(data.target, data.train),
    best.params,
    trainingSetup(spec, prepared.features, deps.workers),
  );
  return storeModel(state, deps, spec, data, ranked, model);
}

function bestOf(best: RankedCandidate): SelectOutput["best"] {
  return {
    candidateId: best.candidateId,
    params: best.params,
    cvMean: best.mean,
    cvStd: best.std,
  };
}

function rankingOf(ranked: RankedCandidate[]): SelectOutput["ranking"] {
  return ranked.slice(0, RANKING_IN_STATE).map(({ scores: _scores, ...rest }) => rest);
}

/**
 * Scores the refit best candidate on the test rows and stores its bundle: the end of Select,
 * and of Assemble for a sharded fit (so both store the same bytes for the same forest).
 */
export async function storeModel(
  state: RunState,
  deps: StepDeps,
  spec: PipelineSpec,
  data: PreparedDataset,
  ranked: RankedCandidate[],
  model: FittedModel,
  extra: Pick<BundleHeader, "customTraining"> = {},
): Promise<SelectOutput> {
  const prepared = need(state, "preprocess");
  const best = ranked[0];
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
      ...(prepared.derived ? { derived: prepared.derived } : {}),
      ...(prepared.transform ? { transform: prepared.transform } : {}),
    },
    params: best.params,
    metrics,
    lineage,
    split: prepared.split,
    ...extra,
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
    best: bestOf(best),
    ranking: rankingOf(ranked),
    classes: data.target.kind === "classification" ? data.target.classes : null,
    metrics,
    lineage,
  };
}

function readingOf(spec: Parameters<typeof cellReadingOf>[0]) {
  const reading = cellReadingOf(spec);
  return Object.keys(reading).length > 0 ? { reading } : {};
}

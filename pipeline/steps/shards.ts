/**
 * The sharded final fit (`model.shards: k`), after Select chose the candidate:
 *
 *   Select (plan: k tree ranges) -> FitShards (Map) -> TrainShard x k -> Assemble -> Evaluate
 *
 * TrainShard grows one range of the forest's trees on the whole training split and stores
 * them as a content-addressed shard artifact (the state carries its URI, never trees: a
 * forest is megabytes, a state at most 256 KiB). Assemble joins the shards in tree order and
 * finishes as Select does (score on the test rows, store the bundle), so the model bytes are
 * those of an unsharded Select (pipeline/forest/shards.ts says why).
 *
 * Both rebuild the fit's inputs from the prepared dataset (preprocessor fitted on the training
 * rows, transformed matrix): deterministic, and cheaper to redo than to ship between Lambdas.
 *
 * Shards are intermediate: once Assemble stored the bundle nothing reads them. They live under
 * `<pipeline>/shards/` (intermediate-keys.ts) of the artifacts bucket, which a lifecycle rule expires
 * (infra/data-lake.ts, `orchard:shardObjectDays`); Assemble does not delete them (see
 * docs/scaling.md). TrainShard writes its shard on every run, even when an identical one is
 * there (same seeds, same data, same key), so the object is never older than the run that
 * reads it: an old copy about to expire is never the one Assemble is handed.
 */
import { takeRows } from "../data/frame.ts";
import { assembleShards, deserializeShard, growShard, serializeShard } from "../forest/shards.ts";
import { contentKey, sha256Hex } from "../store.ts";
import { rankCandidates } from "../train/cross-validate.ts";
import { prepareFit, takeTarget } from "../train/fit.ts";
import { loadSpec, need, StateContractError } from "./context.ts";
import type { PreparedDataset } from "./dataset.ts";
import { shardPrefix } from "./intermediate-keys.ts";
import { loadDataset } from "./load-dataset.ts";
import { storeModel } from "./select.ts";
import { trainingSetup } from "./setup.ts";
import type {
  RunState,
  SelectOutput,
  SelectPlan,
  StepDeps,
  TrainShardEvent,
  TrainShardOutput,
} from "./types.ts";

function planOf(state: RunState): SelectPlan {
  const plan = state.select as SelectOutput | SelectPlan | undefined;
  if (!plan || !("shards" in plan) || !Array.isArray(plan.shards)) {
    throw new StateContractError(
      'the state has no shard plan under "select"; FitShards and Assemble run after a Select of a spec with model.shards > 1',
    );
  }
  return plan;
}

async function fitInputs(state: RunState, deps: StepDeps, plan: SelectPlan) {
  const spec = await loadSpec(deps, state);
  const prepared = need(state, "preprocess");
  const data: PreparedDataset = await loadDataset(deps, prepared.datasetUri);
  const y = takeTarget(data.target, data.train);
  const fit = prepareFit(
    takeRows(data.frame, data.train),
    plan.best.params,
    trainingSetup(spec, prepared.features),
  );
  return { spec, data, y, ...fit };
}

/** One FitShards iteration: grows its tree range and stores it. */
export async function trainShard(
  event: TrainShardEvent,
  deps: StepDeps,
): Promise<TrainShardOutput> {
  const plan = planOf(event.run);
  const { spec, X, y, forestParams } = await fitInputs(event.run, deps, plan);
  const shard = growShard(X, y, forestParams, event.shard);
  const bytes = serializeShard(shard);
  // A content-addressed key, written even if present: a fresh object for the lifecycle clock.
  const key = contentKey(shardPrefix(spec.name), sha256Hex(bytes), "orchard-shard");
  const stored = await deps.artifacts.put("artifacts", key, bytes);
  return { from: shard.from, to: shard.to, shardUri: stored.uri, sha256: stored.sha256 };
}

/** Assemble: the shards in tree order, one forest, then Select's scoring and bundle. */
export async function assemble(state: RunState, deps: StepDeps): Promise<SelectOutput> {
  const plan = planOf(state);
  const stored = need(state, "shards");
  if (stored.length !== plan.shards.length) {
    throw new StateContractError(
      `Select planned ${plan.shards.length} shards but FitShards returned ${stored.length}`,
    );
  }
  const { spec, data, y, X, preprocessor, forestParams } = await fitInputs(state, deps, plan);
  const shards = [];
  for (const s of [...stored].sort((a, b) => a.from - b.from)) {
    shards.push(deserializeShard(await deps.artifacts.get(s.shardUri), s.shardUri));
  }
  const forest = assembleShards(X, y, forestParams, shards);
  // the ranking as Select saw it, so the stored output is the one an unsharded run stores
  const ranked = rankCandidates(need(state, "train"));
  return storeModel(state, deps, spec, data, ranked, { preprocessor, forest });
}

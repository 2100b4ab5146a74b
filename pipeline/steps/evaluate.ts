/**
 * Evaluate: compares this run's model with the champion on the same held-out rows (the
 * champion is re-scored on this run's test split; if it cannot read the new data, e.g. after
 * a schema change, its recorded metric is used and the decision says so), applies the gate,
 * and registers the model as a new registry version, approved or rejected. Only Promote
 * moves the champion pointer.
 */
import { takeRows } from "../data/frame.ts";
import { OrchardError } from "../errors.ts";
import { loadBundle } from "../model/bundle.ts";
import { decidePromotion } from "../model/gate.ts";
import type { ModelVersion } from "../store.ts";
import { metricValue } from "../train/cross-validate.ts";
import { scoreModel, takeTarget } from "../train/fit.ts";
import { loadSpec, need } from "./context.ts";
import { loadDataset } from "./load-dataset.ts";
import type { EvaluateOutput, RunState, StepDeps } from "./types.ts";

export async function evaluate(state: RunState, deps: StepDeps): Promise<EvaluateOutput> {
  const spec = await loadSpec(deps, state);
  const selected = need(state, "select");
  const metric = spec.gate.metric;
  const value = metricValue(selected.metrics, metric);
  const current = await deps.registry.getChampion(spec.name);
  const champion = current
    ? await championValue(deps, current, need(state, "preprocess").datasetUri, metric)
    : null;
  const decision = decidePromotion(spec.gate, value, champion);
  if (champion?.source === "stored") {
    decision.reasons.push(
      `champion ${champion.version} could not score this data, so its recorded ${metric} was used`,
    );
  }
  const registered = await deps.registry.registerVersion(spec.name, {
    modelUri: selected.modelUri,
    metrics: finiteMetrics(selected.metrics),
    params: { ...selected.best.params },
    lineage: selected.lineage,
    status: decision.promote ? "approved" : "rejected",
  });
  return {
    version: registered.version,
    promote: decision.promote,
    reasons: decision.reasons,
    metric,
    value,
    champion,
  };
}

async function championValue(
  deps: StepDeps,
  champion: ModelVersion,
  datasetUri: string,
  metric: string,
): Promise<NonNullable<EvaluateOutput["champion"]>> {
  const stored = champion.metrics[metric];
  try {
    const bundle = loadBundle(await deps.artifacts.get(champion.modelUri), champion.modelUri);
    const data = await loadDataset(deps, datasetUri);
    const test = takeRows(data.frame, data.test);
    const rescored = scoreModel(bundle, test, takeTarget(data.target, data.test));
    return {
      version: champion.version,
      value: metricValue(rescored, metric as never),
      source: "rescored",
    };
  } catch (err) {
    // Only a champion that cannot read this data falls back; storage failures must surface.
    if (!(err instanceof OrchardError) || err.name === "StorageUnavailableError") throw err;
    if (stored === undefined) throw err;
    return { version: champion.version, value: stored, source: "stored" };
  }
}

function finiteMetrics(metrics: object): Record<string, number> {
  return Object.fromEntries(
    Object.entries(metrics).filter(([, v]) => typeof v === "number" && Number.isFinite(v)),
  );
}

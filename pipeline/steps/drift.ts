/**
 * Drift: compares the incoming snapshot with the data the champion was trained on, and
 * decides whether this run trains (`retrain`, read by the Retrain Choice). It also keeps this
 * snapshot's own baseline, so the runs after a promotion of this data's model can compare
 * with it. The comparison is stored whole; the state carries its summary.
 *
 * Training goes ahead when the spec says `always`, when any feature drifted or cannot be
 * compared, and when there is nothing to compare with (no champion, or a champion from before
 * baselines were kept): skipping training is only ever the result of a comparison.
 */

import type { Frame } from "../data/frame.ts";
import { baselineKey, buildBaseline, type DriftBaseline } from "../drift/baseline.ts";
import { compareWithBaseline, type DriftComparison } from "../drift/compare.ts";
import { ArtifactNotFoundError } from "../errors.ts";
import type { PipelineSpec } from "../spec/types.ts";
import { jsonBytes, loadSpec, need, readRaw } from "./context.ts";
import type { DriftOutput, RunState, StepDeps } from "./types.ts";

const FEATURES_IN_STATE = 20;

/** The columns of the data that are model features: not the target, id, dropped or time column. */
export function featureColumns(spec: PipelineSpec, frame: Frame): string[] {
  const excluded = new Set([spec.target, ...spec.features.drop]);
  if (spec.id) excluded.add(spec.id);
  if (spec.split.strategy === "time") excluded.add(spec.split.timeColumn);
  return frame.columns.map((c) => c.name).filter((name) => !excluded.has(name));
}

export async function drift(state: RunState, deps: StepDeps): Promise<DriftOutput> {
  const spec = await loadSpec(deps, state);
  const ingest = need(state, "ingest");
  const table = await readRaw(deps, spec, state);
  const threshold = spec.retrain.psiThreshold;
  const always = spec.retrain.when === "always";

  const own = deps.artifacts.uriFor("artifacts", baselineKey(spec.name, ingest.sha256));
  if (!(await deps.artifacts.exists(own))) {
    const baseline = buildBaseline(table, { exclude: spec.id ? [spec.id] : [], seed: spec.seed });
    await deps.artifacts.put(
      "artifacts",
      baselineKey(spec.name, ingest.sha256),
      jsonBytes(baseline),
    );
  }
  const summary = { baselineUri: own, threshold };

  const champion = await deps.registry.getChampion(spec.name);
  if (!champion) {
    return {
      ...summary,
      reportUri: null,
      champion: null,
      maxPsi: null,
      drifted: false,
      driftedFeatures: [],
      retrain: true,
      reason: "no champion yet: nothing to compare with, so the run trains",
    };
  }
  const baseline = await championBaseline(deps, spec.name, champion.lineage.dataSha256);
  if (!baseline) {
    return {
      ...summary,
      reportUri: null,
      champion: champion.version,
      maxPsi: null,
      drifted: false,
      driftedFeatures: [],
      retrain: true,
      reason: `champion ${champion.version} has no drift baseline (trained before baselines were kept, or promoted from another stack), so the run trains`,
    };
  }
  const comparison: DriftComparison & { champion: string } = {
    champion: champion.version,
    ...compareWithBaseline(baseline, table, featureColumns(spec, table), threshold),
  };
  const stored = await deps.artifacts.putContent(
    "artifacts",
    `${spec.name}/drift`,
    jsonBytes(comparison),
    "json",
  );
  const retrain = always || comparison.drifted;
  return {
    ...summary,
    reportUri: stored.uri,
    champion: champion.version,
    maxPsi: comparison.maxPsi,
    drifted: comparison.drifted,
    driftedFeatures: comparison.driftedFeatures.slice(0, FEATURES_IN_STATE),
    retrain,
    reason: reasonFor(comparison, champion.version, always),
  };
}

async function championBaseline(
  deps: StepDeps,
  pipeline: string,
  dataSha256: string,
): Promise<DriftBaseline | null> {
  try {
    const bytes = await deps.artifacts.get(
      deps.artifacts.uriFor("artifacts", baselineKey(pipeline, dataSha256)),
    );
    return JSON.parse(new TextDecoder().decode(bytes)) as DriftBaseline;
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) return null;
    throw err;
  }
}

function reasonFor(c: DriftComparison, champion: string, always: boolean): string {
  const psi = c.maxPsi === null ? "no PSI" : `max PSI ${c.maxPsi.toFixed(3)}`;
  const what = c.drifted
    ? `drift against champion ${champion}'s data in ${c.driftedFeatures.length} feature(s) (${c.driftedFeatures.slice(0, 5).join(", ")}; ${psi}, threshold ${c.threshold})`
    : `no drift against champion ${champion}'s data (${psi} < ${c.threshold})`;
  if (always) return `${what}; retrain: always, so the run trains`;
  return c.drifted ? `${what}: the run trains` : `${what}: the run ends as NoDrift`;
}

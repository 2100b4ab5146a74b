/**
 * Report: writes the execution's HTML report (pipeline/report) to the artifacts bucket under
 * `<pipeline>/reports/<execution>.html`, from whatever the state holds: it runs before the
 * Gate on a trained run, before NoDrift, and after NotifyFailure on a failed one. When the
 * run trained a model it also stores the model's TreeSHAP cover (pipeline/explain), which
 * `orchard predict --explain` and the predict API need.
 *
 * Reading the raw data for the profile may fail on a failed run (the data may be why); the
 * report then goes without the profile rather than fail too.
 */

import { BoostedModel } from "../boosting/boosted-model.ts";
import { takeRows } from "../data/frame.ts";
import type { DriftComparison } from "../drift/compare.ts";
import { coverKey, coverToBytes } from "../explain/cover-artifact.ts";
import {
  meanAbsContributions,
  meanAbsOf,
  needsStoredCover,
  orchardForest,
} from "../explain/explain-rows.ts";
import { treeShapParallel } from "../explain/shap-parallel.ts";
import { nodeCover } from "../explain/tree-shap.ts";
import { LinearModel } from "../linear/linear-model.ts";
import { loadBundle } from "../model/bundle.ts";
import { buildReportHtml } from "../report/build-report.ts";
import { type ColumnRole, profileData } from "../report/data-profile.ts";
import { binaryCurves, confusion, residualSample } from "../report/evaluation.ts";
import { coefficientsOf, learningCurveOf } from "../report/family-sections.ts";
import { reportKey } from "../report/location.ts";
import type { ReportData, RunOutcome } from "../report/report-data.ts";
import { EXPLAIN_SAMPLE_STREAM, seededSample } from "../report/sample.ts";
import type { PipelineSpec } from "../spec/types.ts";
import { describeSplit } from "../split/split-record.ts";
import { rankCandidates } from "../train/cross-validate.ts";
import { predictFrame } from "../train/fit.ts";
import { loadSpec, readRaw } from "./context.ts";
import { loadDataset } from "./load-dataset.ts";
import type { ReportEvent, ReportOutput, RunState, StepDeps } from "./types.ts";

export async function report(event: ReportEvent, deps: StepDeps): Promise<ReportOutput> {
  const state = event.run;
  const spec = await loadSpec(deps, state);
  const data = baseData(spec, state, event.execution);
  data.profile = await profile(deps, spec, state);
  data.drift = await driftData(deps, state);
  let explainerUri: string | null = null;
  // A failed sharded fit leaves Select's plan, which has no model yet.
  if (state.select?.modelUri && state.preprocess) {
    explainerUri = await modelData(deps, spec, state, data);
  }
  const html = await buildReportHtml(data);
  const stored = await deps.artifacts.put(
    "artifacts",
    reportKey(spec.name, event.execution),
    new TextEncoder().encode(html),
  );
  return { reportUri: stored.uri, explainerUri };
}

function baseData(spec: PipelineSpec, state: RunState, execution: string): ReportData {
  const { outcome, headline } = outcomeOf(state);
  const v = state.validate;
  // Select's plan of a failed sharded fit has no model: report it as not trained.
  const s = state.select?.modelUri ? state.select : undefined;
  const lineage: { label: string; value: string }[] = [];
  const push = (label: string, value: string | number | undefined | null) => {
    if (value !== undefined && value !== null) lineage.push({ label, value: String(value) });
  };
  push("Spec", state.run.specUri);
  push("Spec SHA-256", s?.lineage.specSha256);
  push("Source", state.ingest?.sourceUri ?? state.run.sourceUri);
  push("Raw snapshot", state.ingest?.rawUri);
  push("Data SHA-256", state.ingest?.sha256);
  for (const v of state.ingest?.featureViews ?? []) {
    push(
      `Feature view ${v.view}`,
      `version ${v.version}, watermark ${v.watermark ?? "none"}, features ${v.features.join(", ")}` +
        (v.unmatchedRows > 0
          ? `; ${v.unmatchedRows} rows without values within the ${v.ttl} TTL`
          : ""),
    );
  }
  push("Validation report", v?.reportUri);
  push("Drift comparison", state.drift?.reportUri);
  push("Prepared dataset", state.preprocess?.datasetUri);
  push("Model", s?.modelUri);
  push("Model SHA-256", s?.modelSha256);
  push("Registry version", state.evaluate?.version);
  push("Seed", s?.lineage.seed ?? spec.seed);
  push("Orchard version", s?.lineage.orchardVersion);
  return {
    pipeline: spec.name,
    execution,
    outcome,
    headline,
    task: spec.task,
    target: spec.target,
    startedAt: state.ingest?.startedAt ?? null,
    error: state.error
      ? { name: state.error.Error, message: causeMessage(state.error.Cause) }
      : null,
    validation: v
      ? { rows: v.rows, columns: v.columns, warnings: v.warnings, reportUri: v.reportUri }
      : null,
    profile: null,
    split: state.preprocess
      ? {
          ...state.preprocess.rows,
          ...(state.preprocess.split ? describeSplit(state.preprocess.split) : {}),
          crossValidation: describeCrossValidation(spec),
        }
      : null,
    search: state.train?.length
      ? {
          metric: spec.search.metric,
          folds: spec.search.folds,
          candidates: rankCandidates(state.train).map((c) => ({
            candidateId: c.candidateId,
            params: c.params,
            mean: c.mean,
            std: c.std,
            rank: c.rank,
          })),
        }
      : null,
    test: s ? { metrics: finite(s.metrics) } : null,
    evaluation: null,
    importance: null,
    shap: null,
    comparison: state.evaluate
      ? {
          metric: state.evaluate.metric,
          value: state.evaluate.value,
          version: state.evaluate.version,
          promote: state.evaluate.promote,
          reasons: state.evaluate.reasons,
          champion: state.evaluate.champion,
        }
      : null,
    drift: null,
    lineage,
  };
}

/** How Train cross-validated the candidates, in words (see pipeline/train/cross-validate.ts). */
function describeCrossValidation(spec: PipelineSpec): string {
  const k = spec.search.folds;
  if (k === null) {
    return "none: search.strategy is none and search.folds is not set, so the one candidate is fitted once (set search.folds to cross-validate it)";
  }
  if (spec.split.strategy === "time") {
    return `${k} forward-chaining folds over the training rows in time order (scikit-learn's TimeSeriesSplit): each fold trains on the rows before it`;
  }
  const kind = spec.task === "classification" ? "stratified " : "";
  return `${k}-fold ${kind}cross-validation over the training rows, shuffled with seed ${spec.seed}`;
}

export function outcomeOf(state: RunState): { outcome: RunOutcome; headline: string } {
  if (state.error) {
    return { outcome: "failed", headline: `The run failed: ${state.error.Error}.` };
  }
  if (state.drift && !state.drift.retrain) {
    return { outcome: "no-drift", headline: `No training: ${state.drift.reason}.` };
  }
  const e = state.evaluate;
  if (e) {
    const vs = e.champion
      ? ` against champion ${e.champion.version}'s ${e.champion.value.toFixed(4)}`
      : "";
    return e.promote
      ? {
          outcome: "promoted",
          headline: `${e.version} passed the gate (${e.metric} ${e.value.toFixed(4)}${vs}); Promote makes it the champion.`,
        }
      : {
          outcome: "not-promoted",
          headline: `${e.version} did not pass the gate (${e.metric} ${e.value.toFixed(4)}${vs}).`,
        };
  }
  return { outcome: "trained", headline: "The run is in progress." };
}

async function profile(
  deps: StepDeps,
  spec: PipelineSpec,
  state: RunState,
): Promise<ReportData["profile"]> {
  if (!state.ingest) return null;
  try {
    const table = await readRaw(deps, spec, state);
    const drop = new Set(spec.features.drop);
    const time = spec.split.strategy === "time" ? spec.split.timeColumn : null;
    const role = (name: string): ColumnRole =>
      name === spec.target
        ? "target"
        : name === spec.id
          ? "id"
          : name === time
            ? "time"
            : drop.has(name)
              ? "dropped"
              : "feature";
    return profileData(table, role, { seed: spec.seed });
  } catch (err) {
    if (state.error) return null;
    throw err;
  }
}

async function driftData(deps: StepDeps, state: RunState): Promise<ReportData["drift"]> {
  const d = state.drift;
  if (!d) return null;
  const comparison = d.reportUri
    ? (JSON.parse(
        new TextDecoder().decode(await deps.artifacts.get(d.reportUri)),
      ) as DriftComparison)
    : null;
  return { retrain: d.retrain, reason: d.reason, threshold: d.threshold, comparison };
}

/** Fills the model sections and stores the TreeSHAP cover; returns the cover's URI. */
async function modelData(
  deps: StepDeps,
  spec: PipelineSpec,
  state: RunState,
  data: ReportData,
): Promise<string | null> {
  const select = state.select!;
  const bundle = loadBundle(await deps.artifacts.get(select.modelUri), select.modelUri);
  const dataset = await loadDataset(deps, state.preprocess!.datasetUri);
  const test = takeRows(dataset.frame, dataset.test);
  const predicted = predictFrame(bundle, test);
  const target = dataset.target;
  if (target.kind === "classification") {
    const actual = Int32Array.from(dataset.test, (i) => target.codes[i]);
    const K = target.classes.length;
    const positive = Array.from(actual, (c) => c === 1);
    const curves =
      K === 2 && predicted.proba
        ? binaryCurves(
            positive,
            Float64Array.from(actual, (_, r) => predicted.proba![r * 2 + 1]),
          )
        : null;
    data.evaluation = {
      kind: "classification",
      classes: target.classes,
      confusion: confusion(actual, predicted.values, K),
      curves: curves ? { positive: target.classes[1], ...curves } : null,
    };
  } else {
    const actual = Float64Array.from(dataset.test, (i) => target.values[i]);
    data.evaluation = { kind: "regression", residuals: residualSample(actual, predicted.values) };
  }
  data.importance = bundle.header.featureImportance;
  if (bundle.forest.engine !== "orchard") return null;
  // SHAP costs every node of every tree per row: a seeded sample of the test rows keeps the
  // report's time flat as the data grows (report.explainRows)
  const sample = seededSample(
    test.rowCount,
    spec.report.explainRows,
    spec.seed,
    EXPLAIN_SAMPLE_STREAM,
  );
  data.shapRows = { explained: sample.length, of: test.rowCount, seed: spec.seed };
  if (!needsStoredCover(bundle)) {
    // boosted models carry their cover, linear models need none: nothing to store
    if (bundle.forest instanceof BoostedModel) data.learningCurve = learningCurveOf(bundle.forest);
    if (bundle.forest instanceof LinearModel) {
      data.coefficients = coefficientsOf(
        bundle.forest,
        bundle.preprocessor.outputNames,
        dataset.target,
      );
    }
    data.shap = meanAbsContributions(bundle, new Float64Array(0), takeRows(test, sample));
    return null;
  }
  const flat = orchardForest(bundle).flat;
  // the model was fitted on these rows in this order with the run's seed (steps/select.ts),
  // so each tree's bootstrap sample can be redrawn for an in-bag cover
  const cover = nodeCover(
    flat,
    bundle.preprocessor.transform(takeRows(dataset.frame, dataset.train)),
    { seed: bundle.header.lineage.seed, bootstrap: bundle.header.params.bootstrap },
  );
  const stored = await deps.artifacts.put(
    "artifacts",
    coverKey(spec.name, select.modelUri),
    coverToBytes(cover),
  );
  const X = bundle.preprocessor.transform(takeRows(test, sample));
  data.shap = meanAbsOf(bundle, X.names, await treeShapParallel(flat, cover, X, deps.workers ?? 1));
  return stored.uri;
}

function finite(metrics: object): Record<string, number> {
  return Object.fromEntries(
    Object.entries(metrics).filter(([, v]) => typeof v === "number" && Number.isFinite(v)),
  );
}

/** A caught Lambda error's Cause is its JSON error payload; plain text otherwise. */
function causeMessage(cause: string): string {
  try {
    const payload = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof payload?.errorMessage === "string") return payload.errorMessage;
  } catch {
    // not a Lambda payload
  }
  return cause;
}

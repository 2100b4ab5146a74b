/**
 * Fills every defaulted field of a schema-valid raw spec. Task-dependent defaults (split
 * strategy, maxFeatures, metric) and seed inheritance happen here, after the whole spec is
 * known. Rule checks come afterwards in `check-spec.ts`, which also sees the raw spec to tell
 * "set by the user" from "defaulted".
 */

import { defaultMetric } from "./metric-names.ts";
import type { RawSpec } from "./schema.ts";
import { formatFromUri } from "./source-uri.ts";
import type {
  AbSpec,
  BanditSpec,
  BoostingModelParams,
  CanarySpec,
  Metric,
  MonitorSpec,
  PipelineSpec,
  RetrainSpec,
  SearchGrid,
  SplitSpec,
} from "./types.ts";

export const DEFAULT_SEED = 42;

const FAMILY_GRID_KEYS = [
  "learningRate",
  "iterations",
  "maxLeaves",
  "l2",
  "subsample",
  "colsample",
  "C",
  "alpha",
] as const;

function splitOf(raw: RawSpec, seed: number): SplitSpec {
  const s = raw.split ?? {};
  const strategy = s.strategy ?? (raw.task === "classification" ? "stratified" : "random");
  const common = { testFraction: s.testFraction ?? 0.2, seed: s.seed ?? seed };
  // A missing timeColumn is reported by checkSpec before this spec is returned.
  if (strategy === "time") return { ...common, strategy, timeColumn: s.timeColumn ?? "" };
  return { ...common, strategy };
}

/** Test rows the report explains when the spec does not say (`report.explainRows`). */
export const DEFAULT_EXPLAIN_ROWS = 200;

/** The PSI threshold drift is judged by when the spec does not set one. */
export const DEFAULT_PSI_THRESHOLD = 0.2;

function retrainOf(raw: RawSpec): RetrainSpec {
  const r = raw.retrain ?? "always";
  if (typeof r === "string") return { when: r, psiThreshold: DEFAULT_PSI_THRESHOLD };
  return { when: "on-drift", psiThreshold: r.onDrift.psiThreshold ?? DEFAULT_PSI_THRESHOLD };
}

function canaryOf(raw: RawSpec): CanarySpec | null {
  const c = raw.deploy?.canary;
  if (!c) return null;
  return {
    percent: c.percent,
    minutes: c.minutes,
    maxErrorRate: c.maxErrorRate ?? 0.01,
    maxShift: c.maxShift ?? 0.2,
    minRequests: c.minRequests ?? 100,
  };
}

function abOf(raw: RawSpec, gateMetric: Metric): AbSpec | null {
  if (raw.deploy?.strategy !== "ab") return null;
  const a = raw.deploy.ab ?? {};
  return {
    percent: a.percent ?? 50,
    minLabels: a.minLabels ?? 200,
    confidence: a.confidence ?? 0.95,
    maxDays: a.maxDays ?? 14,
    metric: a.metric ?? gateMetric,
  };
}

function banditOf(raw: RawSpec): BanditSpec | null {
  if (raw.deploy?.strategy !== "bandit") return null;
  const b = raw.deploy.bandit ?? {};
  return {
    challengers: b.challengers ?? 3,
    reward: b.reward ?? "correct",
    minShare: b.minShare ?? 0.05,
  };
}

function monitorOf(raw: RawSpec): MonitorSpec {
  const m = raw.monitor ?? {};
  const c = m.capture;
  return {
    capture: c
      ? {
          sampleRate: c.sampleRate ?? 1,
          exclude: [...(c.exclude ?? [])],
          retentionDays: c.retentionDays ?? 30,
        }
      : null,
    windowHours: m.windowHours ?? 168,
    minLabels: m.minLabels ?? 30,
    tolerance: m.tolerance ?? 0.05,
    coolDownMinutes: m.coolDownMinutes ?? 1440,
  };
}

function gridOf(raw: RawSpec): SearchGrid {
  const grid: SearchGrid = {};
  const g = raw.search?.grid ?? {};
  if (g.trees) grid.trees = [...g.trees];
  if (g.maxDepth) grid.maxDepth = [...g.maxDepth];
  if (g.minSamplesLeaf) grid.minSamplesLeaf = [...g.minSamplesLeaf];
  if (g.maxFeatures) grid.maxFeatures = [...g.maxFeatures];
  if (g.bootstrap) grid.bootstrap = [...g.bootstrap];
  if (g.type) grid.type = [...g.type];
  for (const key of FAMILY_GRID_KEYS) {
    const values = g[key];
    if (values) (grid as Record<string, unknown[]>)[key] = [...values];
  }
  return grid;
}

/** scikit-learn HistGradientBoosting's defaults (pipeline/boosting/params.ts). */
export function boostingOf(model: NonNullable<RawSpec["model"]>): BoostingModelParams {
  return {
    learningRate: model.learningRate ?? 0.1,
    iterations: model.iterations ?? 100,
    maxLeaves: model.maxLeaves === undefined ? 31 : model.maxLeaves,
    l2: model.l2 ?? 0,
    subsample: model.subsample ?? 1,
    colsample: model.colsample ?? 1,
    earlyStopping: model.earlyStopping ?? "auto",
    validationFraction: model.validationFraction ?? 0.1,
    patience: model.patience ?? 10,
    loss: model.loss ?? "squared_error",
  };
}

export function applyDefaults(raw: RawSpec): PipelineSpec {
  const seed = raw.seed ?? DEFAULT_SEED;
  const fromExt = formatFromUri(raw.source.uri);
  const pre = raw.preprocessing ?? {};
  const clip = pre.clipOutliers ?? false;
  const model = raw.model ?? {};
  const search = raw.search ?? {};
  const metric = search.metric ?? defaultMetric(raw.task);
  return {
    name: raw.name,
    seed,
    source: {
      uri: raw.source.uri,
      format: raw.source.format ?? fromExt?.format ?? "csv",
      delimiter: raw.source.delimiter ?? fromExt?.delimiter ?? ",",
      missing: [...(raw.source.missing ?? [])],
      decimal: raw.source.decimal ?? ".",
      expectedRows: raw.source.expectedRows ?? null,
    },
    target: raw.target,
    task: raw.task,
    id: raw.id ?? null,
    features: {
      numeric: [...(raw.features?.numeric ?? [])],
      categorical: [...(raw.features?.categorical ?? [])],
      drop: [...(raw.features?.drop ?? [])],
      // A missing time column is reported by checkSpec before this spec is returned.
      from: (raw.features?.from ?? []).map((f) => ({
        view: f.view,
        features: [...f.features],
        timeColumn: f.timeColumn ?? raw.split?.timeColumn ?? "",
      })),
      derived: { ...(raw.features?.derived ?? {}) },
      transform: raw.features?.transform ?? null,
    },
    preprocessing: {
      impute: {
        numeric: pre.impute?.numeric ?? "median",
        categorical: pre.impute?.categorical ?? "most_frequent",
        numericFillValue: pre.impute?.numericFillValue ?? 0,
        categoricalFillValue: pre.impute?.categoricalFillValue ?? "missing_value",
      },
      scale: pre.scale ?? "standard",
      onehot: { maxCategories: pre.onehot?.maxCategories ?? 100 },
      clipOutliers:
        clip === false ? false : { iqrMultiplier: clip === true ? 1.5 : clip.iqrMultiplier },
      dedupe: pre.dedupe ?? true,
      dropMissingTarget: pre.dropMissingTarget ?? false,
    },
    split: splitOf(raw, seed),
    model: {
      type: model.type ?? "random-forest",
      engine: model.engine ?? "orchard",
      trees: model.trees ?? 100,
      maxDepth: model.maxDepth ?? null,
      minSamplesLeaf: model.minSamplesLeaf ?? (model.type === "gradient-boosting" ? 20 : 1),
      maxFeatures: model.maxFeatures ?? (raw.task === "classification" ? "sqrt" : "all"),
      bootstrap: model.bootstrap ?? true,
      shards: model.shards ?? 1,
      ...(model.type === "gradient-boosting" ? { boosting: boostingOf(model) } : {}),
      ...(model.type === "logistic-regression" ? { linear: { C: model.C ?? 1 } } : {}),
      ...(model.type === "linear-regression" ? { linear: { alpha: model.alpha ?? 1 } } : {}),
      ...(model.type === "custom"
        ? { custom: { image: model.image ?? null, command: [...(model.command ?? [])] } }
        : {}),
    },
    search: {
      strategy: search.strategy ?? "none",
      // One candidate needs no comparison: cross-validating it would cost `folds` fits for a
      // score nothing uses. Asked for explicitly, it is done.
      folds: search.folds ?? ((search.strategy ?? "none") === "none" ? null : 5),
      metric,
      iterations: search.iterations ?? 10,
      grid: gridOf(raw),
    },
    gate: {
      metric: raw.gate?.metric ?? metric,
      minimum: raw.gate?.minimum ?? null,
      maximum: raw.gate?.maximum ?? null,
      margin: raw.gate?.margin ?? 0,
    },
    retrain: retrainOf(raw),
    deploy: {
      strategy: raw.deploy?.strategy ?? "canary",
      ab: abOf(raw, raw.gate?.metric ?? metric),
      bandit: banditOf(raw),
      canary: canaryOf(raw),
      batch: raw.deploy?.batch
        ? {
            inputUri: raw.deploy.batch.inputUri,
            toleratedFailurePercent: raw.deploy.batch.toleratedFailurePercent ?? 0,
          }
        : null,
    },
    monitor: monitorOf(raw),
    report: { explainRows: raw.report?.explainRows ?? DEFAULT_EXPLAIN_ROWS },
  };
}

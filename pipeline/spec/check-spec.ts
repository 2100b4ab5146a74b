/**
 * Rules that span fields, checked on the defaulted spec (and the raw one, to know what the
 * user actually wrote). Each returns issues at the YAML path the user should edit.
 */

import { checkDerived } from "../derived/derived.ts";
import { metricDirection, metricsForTask } from "./metric-names.ts";
import type { RawSpec } from "./schema.ts";
import { batchUriProblem, formatFromUri, sourceUriProblem } from "./source-uri.ts";
import type { SpecIssue } from "./spec-issues.ts";
import type { Metric, PipelineSpec } from "./types.ts";

/** Metrics whose values are fractions in [0, 1], so a threshold like 80 is a mistake. */
const UNIT_INTERVAL: ReadonlySet<Metric> = new Set<Metric>([
  "accuracy",
  "f1_macro",
  "f1_weighted",
  "precision_macro",
  "recall_macro",
  "roc_auc",
]);

function checkSource(raw: RawSpec, spec: PipelineSpec, file: string): SpecIssue[] {
  const issues: SpecIssue[] = [];
  if (raw.source.format === undefined && formatFromUri(raw.source.uri) === undefined) {
    issues.push({
      path: ["source", "uri"],
      message:
        "has no known extension (.csv, .tsv, .parquet, .jsonl, .ndjson); set source.format to csv, parquet or jsonl.",
    });
  }
  if (raw.source.delimiter !== undefined && spec.source.format !== "csv") {
    issues.push({
      path: ["source", "delimiter"],
      message: `only applies to csv sources, but the format is ${spec.source.format}; remove it.`,
    });
  }
  const problem = sourceUriProblem(raw.source.uri, file);
  if (problem)
    issues.push({ path: ["source", "uri"], message: problem.replace(/^source\.uri /, "") });
  const batch = raw.deploy?.batch?.inputUri;
  const batchProblem = batch === undefined ? undefined : batchUriProblem(batch, file);
  if (batchProblem) {
    issues.push({
      path: ["deploy", "batch", "inputUri"],
      message: batchProblem.replace(/^deploy\.batch\.inputUri /, ""),
    });
  }
  return issues;
}

function checkFeatures(spec: PipelineSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const roleOf = new Map<string, string>();
  if (spec.id !== null) {
    if (spec.id === spec.target) {
      issues.push({
        path: ["id"],
        message: `"${spec.id}" is also the target; use another column.`,
      });
    }
    roleOf.set(spec.id, "the id column (id)");
  }
  roleOf.set(spec.target, "the target (target)");
  for (const list of ["numeric", "categorical", "drop"] as const) {
    spec.features[list].forEach((column, i) => {
      const earlier = roleOf.get(column);
      if (earlier !== undefined) {
        issues.push({
          path: ["features", list, i],
          message: `"${column}" is already ${earlier}; a column has exactly one role, list it once.`,
        });
      } else {
        roleOf.set(column, `listed in features.${list}`);
      }
    });
  }
  const seenFeature = new Map<string, string>();
  spec.features.from.forEach((from, i) => {
    if (from.timeColumn === "") {
      issues.push({
        path: ["features", "from", i],
        message:
          "needs the row column that holds each row's time: set timeColumn here or split.timeColumn.",
      });
    }
    from.features.forEach((name, j) => {
      const earlier = seenFeature.get(name) ?? roleOf.get(name);
      if (earlier !== undefined) {
        issues.push({
          path: ["features", "from", i, "features", j],
          message: `"${name}" is already ${earlier}; a column has exactly one source, list it once.`,
        });
      } else seenFeature.set(name, `taken from view ${from.view}`);
    });
  });
  issues.push(...checkDerivedFeatures(spec, roleOf, seenFeature));
  return issues;
}

/**
 * What can be judged of `features.derived` without the data: the expressions parse, call known
 * functions with the right arguments, respect the kinds pinned in features.numeric and
 * features.categorical, and name new columns. Columns the data lacks, and the kinds of unpinned
 * columns, are checked when the data is read (pipeline/derived/spec-derived.ts).
 */
function checkDerivedFeatures(
  spec: PipelineSpec,
  roleOf: ReadonlyMap<string, string>,
  fromViews: ReadonlyMap<string, string>,
): SpecIssue[] {
  const features = Object.entries(spec.features.derived).map(([name, expression]) => ({
    name,
    expression,
  }));
  if (features.length === 0) return [];
  const issues: SpecIssue[] = [];
  const derivedNames = new Set(features.map((f) => f.name));
  for (const f of features) {
    const earlier = roleOf.get(f.name) ?? fromViews.get(f.name);
    if (earlier !== undefined && !spec.features.drop.includes(f.name)) {
      issues.push({
        path: ["features", "derived", f.name],
        message: `"${f.name}" is already ${earlier}; give the derived feature another name.`,
      });
    }
  }
  const pinned = (name: string) =>
    spec.features.numeric.includes(name)
      ? "numeric"
      : spec.features.categorical.includes(name)
        ? "categorical"
        : "unknown";
  const checked = checkDerived(
    features,
    (name) => (derivedNames.has(name) ? undefined : pinned(name)),
    [],
  );
  for (const issue of checked.issues) {
    issues.push({ path: ["features", "derived", issue.name], message: `${issue.message}.` });
  }
  return issues;
}

function checkPreprocessing(raw: RawSpec, spec: PipelineSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const impute = raw.preprocessing?.impute;
  const used = spec.preprocessing.impute;
  if (impute?.numericFillValue !== undefined && used.numeric !== "constant") {
    issues.push({
      path: ["preprocessing", "impute", "numericFillValue"],
      message: `is only used with impute.numeric: constant (it is ${used.numeric}); remove it or set numeric: constant.`,
    });
  }
  if (impute?.categoricalFillValue !== undefined && used.categorical !== "constant") {
    issues.push({
      path: ["preprocessing", "impute", "categoricalFillValue"],
      message: `is only used with impute.categorical: constant (it is ${used.categorical}); remove it or set categorical: constant.`,
    });
  }
  return issues;
}

function checkSplit(raw: RawSpec, spec: PipelineSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const { strategy } = spec.split;
  if (strategy === "stratified" && spec.task === "regression") {
    issues.push({
      path: ["split", "strategy"],
      message: "stratified needs classes, but the task is regression; use random or time.",
    });
  }
  const timeColumn = raw.split?.timeColumn;
  if (strategy === "time" && timeColumn === undefined) {
    issues.push({
      path: ["split", "strategy"],
      message:
        "time needs split.timeColumn, the column that orders the rows (e.g. timeColumn: date).",
    });
  }
  if (timeColumn !== undefined && strategy !== "time") {
    issues.push({
      path: ["split", "timeColumn"],
      message: `is only used with split.strategy: time (it is ${strategy}); remove it or set strategy: time.`,
    });
  }
  if (timeColumn !== undefined && timeColumn === spec.target) {
    issues.push({
      path: ["split", "timeColumn"],
      message: `"${timeColumn}" is the target; order rows by another column.`,
    });
  }
  return issues;
}

function checkMetric(path: SpecIssue["path"], metric: Metric, spec: PipelineSpec): SpecIssue[] {
  const allowed = metricsForTask(spec.task);
  if (allowed.includes(metric)) return [];
  return [
    {
      path,
      message: `${metric} does not apply to ${spec.task}; allowed: ${allowed.join(", ")}.`,
    },
  ];
}

function checkSearch(raw: RawSpec, spec: PipelineSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const { strategy, grid } = spec.search;
  if (raw.search?.metric !== undefined) {
    issues.push(...checkMetric(["search", "metric"], spec.search.metric, spec));
  }
  if (raw.search?.iterations !== undefined && strategy !== "random") {
    issues.push({
      path: ["search", "iterations"],
      message: `is only used with search.strategy: random (it is ${strategy}); remove it.`,
    });
  }
  const hasGrid = Object.keys(grid).length > 0;
  if (strategy === "none" && hasGrid) {
    issues.push({
      path: ["search", "grid"],
      message:
        "is only used with search.strategy: grid or random (it is none); set a strategy or remove the grid.",
    });
  }
  if (strategy !== "none" && !hasGrid) {
    issues.push({
      path: ["search", "grid"],
      message: `${strategy} search needs at least one parameter in search.grid, e.g. grid: { maxDepth: [4, 8, null] }.`,
    });
  }
  return issues;
}

const FOREST_ONLY = ["engine", "trees", "maxFeatures", "bootstrap", "shards"] as const;
const BOOSTING_ONLY = [
  "learningRate",
  "iterations",
  "maxLeaves",
  "l2",
  "subsample",
  "colsample",
  "earlyStopping",
  "validationFraction",
  "patience",
  "loss",
] as const;

/** The model keys of each family besides the shared maxDepth/minSamplesLeaf (trees only). */
const FAMILY_KEYS: Record<string, readonly string[]> = {
  "random-forest": [...FOREST_ONLY, "maxDepth", "minSamplesLeaf"],
  "gradient-boosting": [...BOOSTING_ONLY, "maxDepth", "minSamplesLeaf"],
  "logistic-regression": ["C"],
  "linear-regression": ["alpha"],
  custom: ["image", "command"],
};
const ALL_MODEL_KEYS = [...new Set(Object.values(FAMILY_KEYS).flat())];

/** A key of another family is a mistake (it would be silently ignored), so it is refused. */
function checkModelFamily(raw: RawSpec, spec: PipelineSpec): SpecIssue[] {
  const model = (raw.model ?? {}) as Record<string, unknown>;
  const type = spec.model.type;
  const boosting = type === "gradient-boosting";
  const own = FAMILY_KEYS[type];
  const issues: SpecIssue[] = ALL_MODEL_KEYS.filter(
    (key) => model[key] !== undefined && !own.includes(key),
  ).map((key) => ({
    path: ["model", key],
    message: `is not a key of model.type ${type} (its keys: ${own.join(", ")}) — remove it, or set the model.type it belongs to.`,
  }));
  const needs = {
    "logistic-regression": "classification",
    "linear-regression": "regression",
  } as const;
  if (
    (type === "logistic-regression" || type === "linear-regression") &&
    spec.task !== needs[type]
  ) {
    issues.push({
      path: ["model", "type"],
      message: `${type} needs task: ${needs[type]}; use ${type === "logistic-regression" ? "linear-regression" : "logistic-regression"} for ${spec.task}.`,
    });
  }
  if (boosting && spec.task === "classification" && model.loss !== undefined) {
    issues.push({
      path: ["model", "loss"],
      message:
        "is for regression; a classifier always uses log loss (softmax for more than two classes) — remove it.",
    });
  }
  issues.push(...checkGridFamilies(spec));
  issues.push(...checkCustom(raw, spec));
  return issues;
}

/**
 * A custom trainer is one candidate Orchard does not fit: nothing to search (shards and the
 * forest keys are already refused as keys of another family), and a command to run. Its image may wait until deployment (the stack checks it).
 */
function checkCustom(raw: RawSpec, spec: PipelineSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  spec.search.grid.type?.forEach((t, i) => {
    if (t === "custom") {
      issues.push({
        path: ["search", "grid", "type", i],
        message:
          "custom cannot be searched: Orchard does not fit a custom model, its trainer does — set model.type: custom and no search.",
      });
    }
  });
  if (spec.model.type !== "custom") return issues;
  if (!spec.model.custom?.command.length) {
    issues.push({
      path: ["model", "command"],
      message:
        'is required with model.type custom: the trainer\'s command, e.g. ["python3", "train.py"] (docs/custom-training.md).',
    });
  }
  if (spec.search.strategy !== "none" || raw.search?.folds !== undefined) {
    issues.push({
      path: ["search"],
      message:
        "is for Orchard's own families; a custom trainer searches (or not) itself — remove search.strategy and search.folds.",
    });
  }
  return issues;
}

/**
 * Every grid key must belong to a family the grid searches (`search.grid.type`, or else
 * model.type), and every family searched must fit the task.
 */
function checkGridFamilies(spec: PipelineSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const grid = spec.search.grid as Record<string, unknown>;
  const families = spec.search.grid.type ?? [spec.model.type];
  const needs: Record<string, string> = {
    "logistic-regression": "classification",
    "linear-regression": "regression",
  };
  spec.search.grid.type?.forEach((t, i) => {
    if (needs[t] && needs[t] !== spec.task) {
      issues.push({
        path: ["search", "grid", "type", i],
        message: `${t} needs task: ${needs[t]}; this pipeline is ${spec.task}.`,
      });
    }
  });
  for (const key of Object.keys(grid)) {
    if (key === "type") continue;
    if (!families.some((t) => FAMILY_KEYS[t].includes(key))) {
      issues.push({
        path: ["search", "grid", key],
        message: `is not a parameter of ${families.join(" or ")}; vary a key of the family (or add its family to search.grid.type).`,
      });
    }
  }
  return issues;
}

function checkGate(raw: RawSpec, spec: PipelineSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const { metric, minimum, maximum } = spec.gate;
  if (raw.gate?.metric !== undefined) issues.push(...checkMetric(["gate", "metric"], metric, spec));
  // A metric that does not fit the task is already reported; its thresholds mean nothing.
  if (!metricsForTask(spec.task).includes(metric)) return issues;
  const direction = metricDirection(metric);
  if (minimum !== null && direction === "lower") {
    issues.push({
      path: ["gate", "minimum"],
      message: `${metric} is lower-is-better, so a floor makes no sense; use gate.maximum instead.`,
    });
  }
  if (maximum !== null && direction === "higher") {
    issues.push({
      path: ["gate", "maximum"],
      message: `${metric} is higher-is-better, so a ceiling makes no sense; use gate.minimum instead.`,
    });
  }
  if (minimum !== null && UNIT_INTERVAL.has(metric) && (minimum < 0 || minimum > 1)) {
    issues.push({
      path: ["gate", "minimum"],
      message: `found ${minimum}, but ${metric} is a fraction in [0, 1] (write 0.8, not 80).`,
    });
  }
  if (minimum !== null && metric === "r2" && minimum > 1) {
    issues.push({ path: ["gate", "minimum"], message: `found ${minimum}, but r2 is at most 1.` });
  }
  return issues;
}

function checkModel(spec: PipelineSpec): SpecIssue[] {
  if (spec.model.shards > 1 && spec.model.engine !== "orchard") {
    return [
      {
        path: ["model", "shards"],
        message: `needs engine: orchard (it is ${spec.model.engine}, which grows every tree in one process); remove shards or use the orchard engine.`,
      },
    ];
  }
  return [];
}

/**
 * `deploy.ab`/`deploy.bandit` only mean something under their strategy, a bandit and a canary
 * cannot both decide one run's fate, and a regression's "correct prediction" is not a reward.
 */
function checkDeploy(raw: RawSpec, spec: PipelineSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const strategy = spec.deploy.strategy;
  for (const section of ["ab", "bandit"] as const) {
    if (raw.deploy?.[section] !== undefined && strategy !== section) {
      issues.push({
        path: ["deploy", section],
        message: `only applies with deploy.strategy: ${section}, but the strategy is ${strategy}; set strategy: ${section} or remove ${section}.`,
      });
    }
  }
  if (raw.deploy?.canary !== undefined && strategy !== "canary") {
    issues.push({
      path: ["deploy", "canary"],
      message: `only applies with deploy.strategy: canary, but the strategy is ${strategy} (its test decides the promotion); remove canary.`,
    });
  }
  if (raw.deploy?.ab?.metric !== undefined && spec.deploy.ab) {
    issues.push(...checkMetric(["deploy", "ab", "metric"], spec.deploy.ab.metric, spec));
  }
  if (spec.deploy.bandit && spec.task === "regression" && spec.deploy.bandit.reward === "correct") {
    issues.push({
      path: ["deploy", "bandit", "reward"],
      message:
        "is correct (a prediction equal to its label), which a regression almost never is; set reward: feedback and send a reward in [0, 1] with each label.",
    });
  }
  return issues;
}

/** Every cross-field problem of the spec, in section order. */
export function checkSpec(raw: RawSpec, spec: PipelineSpec, file: string): SpecIssue[] {
  return [
    ...checkSource(raw, spec, file),
    ...checkFeatures(spec),
    ...checkPreprocessing(raw, spec),
    ...checkSplit(raw, spec),
    ...checkModel(spec),
    ...checkSearch(raw, spec),
    ...checkModelFamily(raw, spec),
    ...checkGate(raw, spec),
    ...checkDeploy(raw, spec),
  ];
}

/**
 * The reference engine: the ml-random-forest package behind Orchard's ForestModel interface.
 * It is slow (see TOOLCHAIN.md) and differs from scikit-learn in ways worth knowing: it draws
 * `maxFeatures` once per tree (random subspace), not per split; `minSamplesLeaf` maps to
 * ml-cart's `minNumSamples` (a node with at most 2 * minSamplesLeaf - 1 rows is a leaf);
 * probabilities are the share of trees voting for a class; it cannot take missing values.
 */
import { RandomForestClassifier, RandomForestRegression } from "ml-random-forest";
import type { FeatureMatrix, Target } from "../data/frame.ts";
import { ArtifactError, DataFormatError, SpecError } from "../errors.ts";
import { argmax, checkMatrixWidth } from "./forest-model.ts";
import { resolveMaxFeatures } from "./params.ts";
import type { ForestModel, ForestParams, ForestTask } from "./types.ts";

type MlForest = RandomForestClassifier | RandomForestRegression;

interface OobRow {
  true: number;
  all: number[];
  predicted: number;
}

function toRows(X: FeatureMatrix): number[][] {
  const rows: number[][] = new Array(X.rows);
  for (let r = 0; r < X.rows; r++) {
    const row = Array.from(X.values.subarray(r * X.cols, (r + 1) * X.cols));
    const missing = row.findIndex((v) => Number.isNaN(v));
    if (missing >= 0) {
      throw new DataFormatError(
        `The ml-random-forest engine cannot handle missing values (row ${r + 1}, column "${X.names[missing] ?? missing}"). Impute them or use engine "orchard".`,
        { row: r + 1, column: X.names[missing] },
      );
    }
    rows[r] = row;
  }
  return rows;
}

export class MlRandomForestModel implements ForestModel {
  readonly engine = "ml-random-forest" as const;
  readonly featureImportance: Float64Array;

  constructor(
    readonly forest: MlForest,
    readonly task: ForestTask,
    readonly nFeatures: number,
    readonly nClasses: number,
    readonly oobScore: number | null,
    featureImportance?: Float64Array,
  ) {
    this.featureImportance = featureImportance ?? importanceOf(forest, nFeatures);
  }

  predict(X: FeatureMatrix): Float64Array {
    checkMatrixWidth(X, this.nFeatures);
    if (this.task === "regression") return Float64Array.from(this.forest.predict(toRows(X)));
    const K = this.nClasses;
    const proba = this.predictProba(X);
    const out = new Float64Array(X.rows);
    for (let r = 0; r < X.rows; r++) out[r] = argmax(proba, r * K, K);
    return out;
  }

  predictProba(X: FeatureMatrix): Float64Array {
    if (this.task === "regression") {
      throw new SpecError(
        "predictProba needs a classification model; this forest is a regressor. Use predict.",
      );
    }
    checkMatrixWidth(X, this.nFeatures);
    const votes = this.forest.predictionValues(toRows(X)).to2DArray();
    const K = this.nClasses;
    const out = new Float64Array(X.rows * K);
    for (let r = 0; r < X.rows; r++) {
      const row = votes[r];
      for (const v of row) out[r * K + v] += 1 / row.length;
    }
    return out;
  }

  /** The package's own JSON model. */
  toJSON(): unknown {
    return this.forest.toJSON();
  }

  static fromJSON(
    json: unknown,
    task: ForestTask,
    nFeatures: number,
    nClasses: number,
    oobScore: number | null,
    featureImportance: Float64Array,
  ): MlRandomForestModel {
    try {
      const forest =
        task === "classification"
          ? RandomForestClassifier.load(json as never)
          : RandomForestRegression.load(json as never);
      return new MlRandomForestModel(
        forest,
        task,
        nFeatures,
        nClasses,
        oobScore,
        featureImportance,
      );
    } catch (err) {
      throw new ArtifactError(
        "The ml-random-forest model inside the artifact cannot be loaded. Retrain the model.",
        {},
        { cause: err },
      );
    }
  }
}

function importanceOf(forest: MlForest, nFeatures: number): Float64Array {
  const raw = (forest as unknown as { featureImportance(): number[] }).featureImportance();
  const out = new Float64Array(nFeatures);
  for (let f = 0; f < nFeatures; f++) out[f] = Number.isFinite(raw[f]) ? raw[f] : 0;
  return out;
}

function oobScoreOf(rows: OobRow[] | undefined, task: ForestTask): number | null {
  const seen = (rows ?? []).filter((r) => r.all.length > 0);
  if (seen.length === 0) return null;
  if (task === "classification") {
    return seen.filter((r) => r.predicted === r.true).length / seen.length;
  }
  const mean = seen.reduce((s, r) => s + r.true, 0) / seen.length;
  let ssRes = 0;
  let ssTot = 0;
  for (const r of seen) {
    ssRes += (r.true - r.predicted) ** 2;
    ssTot += (r.true - mean) ** 2;
  }
  return ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
}

/** ml-random-forest reads a maxFeatures of exactly 1 as "all", so one feature is 1.5 / F. */
function mlMaxFeatures(params: ForestParams, nFeatures: number): number {
  const k = resolveMaxFeatures(params.maxFeatures, nFeatures);
  if (k === nFeatures) return 1.0;
  return k === 1 ? 1.5 / nFeatures : k;
}

export function trainMlRandomForest(
  X: FeatureMatrix,
  y: Target,
  params: ForestParams,
): MlRandomForestModel {
  const rows = toRows(X);
  const options = {
    nEstimators: params.trees,
    maxFeatures: mlMaxFeatures(params, X.cols),
    replacement: false,
    seed: params.seed | 0,
    useSampleBagging: params.bootstrap,
    noOOB: !params.bootstrap,
    treeOptions: {
      maxDepth: params.maxDepth ?? Number.POSITIVE_INFINITY,
      minNumSamples: 2 * params.minSamplesLeaf - 1,
    },
  };
  const forest: MlForest =
    y.kind === "classification"
      ? new RandomForestClassifier(options)
      : new RandomForestRegression(options);
  // its out-of-bag pass aggregates an empty vote list (a row no tree left out) and throws
  const own = forest as unknown as { selection: (v: number[]) => number };
  const selection = own.selection;
  own.selection = (v) => (v.length === 0 ? Number.NaN : selection.call(forest, v));
  const labels = y.kind === "classification" ? Array.from(y.codes) : Array.from(y.values);
  try {
    forest.train(rows, labels);
  } finally {
    delete (own as { selection?: unknown }).selection;
  }
  const oob = params.bootstrap
    ? oobScoreOf((forest as unknown as { oobResults?: OobRow[] }).oobResults, y.kind)
    : null;
  const nClasses = y.kind === "classification" ? y.classes.length : 0;
  return new MlRandomForestModel(forest, y.kind, X.cols, nClasses, oob);
}

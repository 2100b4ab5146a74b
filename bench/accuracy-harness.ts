/**
 * Orchard's default pipeline on the accuracy data sets, and the comparison with scikit-learn,
 * for two families: the default forest against RandomForest, and `model.type:
 * gradient-boosting` (every other key default) against HistGradientBoosting,
 * shared by `npm run bench:accuracy` (bench/accuracy.ts) and
 * test/pipeline/accuracy-parity.test.ts.
 *
 * The rows, the split of every seed and scikit-learn's metrics are fixtures written by
 * bench/sklearn_accuracy.py (test/fixtures/accuracy/), so both engines score the same test
 * rows. Orchard's side goes through the pipeline's own code in the order of a run: a minimal
 * spec (name, seed, source, target, task) parsed with every default, the table read and
 * validated as Validate does, duplicates dropped and columns typed as Preprocess does, the
 * default candidate fitted on the training rows (preprocessor on those rows only) and scored
 * on the test rows as Select does. Only the split is the fixture's instead of Preprocess's
 * hash split, which would pick other rows than scikit-learn's train_test_split.
 */
import { readFileSync } from "node:fs";
import { type Column, type Frame, getColumn, takeRows } from "../pipeline/data/frame.ts";
import { cellReadingOf, columnTypesForSpec, inferSchema } from "../pipeline/data/infer-schema.ts";
import { readTable } from "../pipeline/data/read-table.ts";
import { assertValid, validateData } from "../pipeline/data/validate.ts";
import { dedupeRows } from "../pipeline/features/dedupe.ts";
import { encodeTarget } from "../pipeline/features/target.ts";
import { metricDirection } from "../pipeline/metrics/compute.ts";
import { expandCandidates } from "../pipeline/search/candidates.ts";
import { parseSpec } from "../pipeline/spec/parse-spec.ts";
import { trainingSetup } from "../pipeline/steps/setup.ts";
import { fitModel, scoreModel, takeTarget } from "../pipeline/train/fit.ts";

export const ACCURACY_FIXTURES = new URL("../test/fixtures/accuracy/", import.meta.url);

/** One data set as bench/sklearn_accuracy.py exported it (datasets.json). */
export interface AccuracyDataset {
  name: string;
  /** The CSV beside datasets.json. */
  file: string;
  /** Where the rows came from, and what the export changed. */
  source: string;
  task: "classification" | "regression";
  target: string;
  rows: number;
  duplicatesDropped: number;
  /** Feature columns by kind, as scikit-learn's side read them. */
  numeric: string[];
  categorical: string[];
  seeds: number[];
  /** Per seed, the 0-based test rows (the others are the training rows). */
  test: number[][];
}

export type AccuracyMetric = "accuracy" | "f1_macro" | "rmse";

/** Per metric, one value per seed. */
export type SeedScores = Partial<Record<AccuracyMetric, number[]>>;

export interface SklearnResults {
  sklearn: string;
  protocol: string;
  /** The forest family's scores. */
  datasets: Record<string, SeedScores>;
  boostingProtocol?: string;
  /** HistGradientBoosting's scores (the boosting family). */
  boosting?: Record<string, SeedScores>;
}

/** The model families compared: the default forest, and gradient boosting. */
export type AccuracyFamily = "forest" | "boosting";
export const ACCURACY_FAMILIES: AccuracyFamily[] = ["forest", "boosting"];

/** scikit-learn's scores of one family, per data set (empty when the results lack it). */
export function sklearnScoresOf(
  results: SklearnResults,
  family: AccuracyFamily,
): Record<string, SeedScores> {
  return (family === "forest" ? results.datasets : results.boosting) ?? {};
}

export function metricsOf(task: AccuracyDataset["task"]): AccuracyMetric[] {
  return task === "classification" ? ["accuracy", "f1_macro"] : ["rmse"];
}

export function loadAccuracyDatasets(): AccuracyDataset[] {
  return JSON.parse(readFileSync(new URL("datasets.json", ACCURACY_FIXTURES), "utf8"));
}

export function loadSklearnFixture(): SklearnResults {
  return JSON.parse(readFileSync(new URL("sklearn.json", ACCURACY_FIXTURES), "utf8"));
}

/**
 * The spec a user writes first: everything else takes its documented default (for boosting,
 * only `model.type` is added).
 */
export function minimalSpecYaml(
  dataset: AccuracyDataset,
  seed: number,
  family: AccuracyFamily = "forest",
): string {
  return [
    `name: accuracy-${dataset.name.replaceAll("_", "-")}`,
    `seed: ${seed}`,
    `source: { uri: ${JSON.stringify(dataset.file)} }`,
    `target: ${JSON.stringify(dataset.target)}`,
    `task: ${dataset.task}`,
    ...(family === "boosting" ? ["model: { type: gradient-boosting }"] : []),
    "",
  ].join("\n");
}

/** Orchard's default pipeline on one seed's split of `dataset`: the test-split metrics. */
export async function orchardScores(
  dataset: AccuracyDataset,
  bytes: Uint8Array,
  seedIndex: number,
  family: AccuracyFamily = "forest",
): Promise<Record<AccuracyMetric, number>> {
  const seed = dataset.seeds[seedIndex];
  const file = dataset.file;
  const spec = parseSpec(minimalSpecYaml(dataset, seed, family), {
    file: `${dataset.name}.yaml`,
  });
  // Validate
  const table = await readTable(bytes, {
    file,
    format: spec.source.format,
    delimiter: spec.source.delimiter,
    columnTypes: columnTypesForSpec(spec),
    reading: cellReadingOf(spec),
  });
  assertValid(
    validateData(table, {
      file,
      task: spec.task,
      target: spec.target,
      id: spec.id,
      features: spec.features,
      mismatches: table.mismatches,
      dropMissingTarget: spec.preprocessing.dropMissingTarget,
      textInNumbers: table.textInNumbers,
    }),
  );
  // Preprocess, with the fixture's split
  const { frame, removed } = spec.preprocessing.dedupe
    ? dedupeRows(table)
    : { frame: table, removed: 0 };
  if (removed > 0) {
    throw new Error(
      `${file}: Orchard dropped ${removed} duplicate rows that the export kept, so the split indices no longer name the same rows; re-run bench/sklearn_accuracy.py --export`,
    );
  }
  const schema = inferSchema(frame, { ...spec, file });
  const features = { numeric: schema.numeric, categorical: schema.categorical };
  if (
    features.numeric.join("\0") !== dataset.numeric.join("\0") ||
    features.categorical.join("\0") !== dataset.categorical.join("\0")
  ) {
    throw new Error(
      `${file}: Orchard reads numeric [${features.numeric}] and categorical [${features.categorical}], scikit-learn's side numeric [${dataset.numeric}] and categorical [${dataset.categorical}]; the engines would not see the same features`,
    );
  }
  const target = encodeTarget(column(frame, spec.target), spec.task);
  const featureFrame: Frame = {
    rowCount: frame.rowCount,
    columns: [...features.numeric, ...features.categorical].map((c) => column(frame, c)),
  };
  const { train, test } = splitRows(frame.rowCount, dataset.test[seedIndex]);
  // Train (search strategy none: the one default candidate) and Select
  const [candidate] = expandCandidates(spec.model, spec.search, spec.seed);
  const model = await fitModel(
    takeRows(featureFrame, train),
    takeTarget(target, train),
    candidate.params,
    trainingSetup(spec, features),
  );
  const metrics = scoreModel(model, takeRows(featureFrame, test), takeTarget(target, test));
  if ("rmse" in metrics) return { rmse: metrics.rmse } as Record<AccuracyMetric, number>;
  return { accuracy: metrics.accuracy, f1_macro: metrics.f1_macro } as Record<
    AccuracyMetric,
    number
  >;
}

/** Orchard's metrics on every seed of `dataset`, with the family's default model. */
export async function orchardSeedScores(
  dataset: AccuracyDataset,
  family: AccuracyFamily = "forest",
): Promise<SeedScores> {
  const bytes = readFileSync(new URL(dataset.file, ACCURACY_FIXTURES));
  const scores: SeedScores = {};
  for (let i = 0; i < dataset.seeds.length; i++) {
    const seedScores = await orchardScores(dataset, bytes, i, family);
    for (const metric of metricsOf(dataset.task)) {
      scores[metric] ??= [];
      scores[metric].push(seedScores[metric]);
    }
  }
  return scores;
}

export interface Spread {
  mean: number;
  /** Sample standard deviation over the seeds (n − 1). */
  std: number;
}

export function spread(values: readonly number[]): Spread {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const ss = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0 };
}

export interface Comparison {
  metric: AccuracyMetric;
  orchard: Spread;
  sklearn: Spread;
  /** Orchard's mean minus scikit-learn's. */
  difference: number;
  /**
   * Sample std of the per-seed differences. Both engines score the same split, so the split's
   * own luck cancels: with five seeds, a `difference` beyond about 1.24 of these (Student's t
   * with 4 degrees of freedom at 5 %, 2.78, over √5) is unlikely to be seed noise.
   */
  differenceStd: number;
  /**
   * scikit-learn's mean − 2 std for a higher-is-better metric, + 2 std for RMSE: the worst
   * mean Orchard may have and still be within seed-to-seed noise.
   */
  bound: number;
  /** Only the worse side fails: being better than scikit-learn by more than noise is not a defect. */
  withinNoise: boolean;
}

export function compare(
  metric: AccuracyMetric,
  orchard: readonly number[],
  sklearn: readonly number[],
): Comparison {
  const o = spread(orchard);
  const s = spread(sklearn);
  const higher = metricDirection(metric) === "higher";
  const bound = higher ? s.mean - 2 * s.std : s.mean + 2 * s.std;
  return {
    metric,
    orchard: o,
    sklearn: s,
    difference: o.mean - s.mean,
    differenceStd: spread(orchard.map((v, i) => v - sklearn[i])).std,
    bound,
    withinNoise: higher ? o.mean >= bound : o.mean <= bound,
  };
}

function splitRows(rowCount: number, testRows: readonly number[]) {
  const isTest = new Uint8Array(rowCount);
  for (const r of testRows) isTest[r] = 1;
  const train: number[] = [];
  for (let r = 0; r < rowCount; r++) if (!isTest[r]) train.push(r);
  return { train: Int32Array.from(train), test: Int32Array.from(testRows) };
}

function column(frame: Frame, name: string): Column {
  const col = getColumn(frame, name);
  if (!col) throw new Error(`column "${name}" is not in the data`);
  return col;
}

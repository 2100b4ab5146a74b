/**
 * The zod schema of the spec as written: shapes and ranges only, every optional field still
 * optional. Defaults and cross-field rules (metric vs task, split strategy vs time column, …)
 * live in `apply-defaults.ts` and `check-spec.ts`, where they can see the whole spec.
 *
 * Each field's `.describe()` text is the "allowed" half of its error message, so keep it a
 * short noun phrase a user can act on.
 */

import { z } from "zod";
import { METRICS } from "./metric-names.ts";

const columnName = z.string().min(1).describe("a column name (non-empty text)");
const columnList = z.array(columnName).describe("a list of column names, e.g. [age, income]");

export const sourceSchema = z
  .strictObject({
    uri: z
      .string()
      .min(1)
      .describe("a path relative to the spec file, an absolute path, file:///… or s3://bucket/key"),
    format: z.enum(["csv", "parquet", "jsonl"]).optional().describe("one of csv, parquet, jsonl"),
    delimiter: z.string().length(1).optional().describe('a single character, e.g. "," or ";"'),
    missing: z
      .array(z.string())
      .optional()
      .describe('a list of texts read as missing, e.g. ["n/a", "?"]'),
    decimal: z.enum([".", ","]).optional().describe('"." or ","'),
    expectedRows: z
      .int()
      .min(1)
      .max(1_000_000_000)
      .optional()
      .describe("a whole number of rows from 1 to 1000000000, e.g. 1000000"),
  })
  .describe("a mapping with uri and optionally format, delimiter, missing, decimal, expectedRows");

const featuresFromSchema = z
  .strictObject({
    view: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,39}$/)
      .describe("a feature view name (features/<view>.yaml), e.g. stock_stats"),
    features: z.array(columnName).min(1).describe("a non-empty list of the view's feature names"),
    timeColumn: columnName.optional(),
  })
  .describe("a mapping with view, features and optionally timeColumn");

const featuresSchema = z
  .strictObject({
    numeric: columnList.optional(),
    categorical: columnList.optional(),
    drop: columnList.optional(),
    from: z
      .array(featuresFromSchema)
      .optional()
      .describe("a list of { view, features } joined onto the rows by entity key and time"),
    derived: z
      .record(
        z.string(),
        z
          .string()
          .min(1)
          .describe("an expression over columns, e.g. log1p(income) or ratio(debt, income)"),
      )
      .optional()
      .describe("a mapping of new feature names to expressions, e.g. { bmi: weight / height^2 }"),
    transform: z
      .string()
      .regex(/^[^/\\].*\.(ts|mts|js|mjs)$/)
      .optional()
      .describe("a module path relative to the spec file, e.g. ./features.ts"),
  })
  .describe("a mapping with numeric, categorical, drop, from, derived and transform");

const imputeSchema = z
  .strictObject({
    numeric: z
      .enum(["mean", "median", "constant", "none"])
      .optional()
      .describe("one of mean, median, constant, none"),
    categorical: z
      .enum(["most_frequent", "constant", "none"])
      .optional()
      .describe("one of most_frequent, constant, none"),
    numericFillValue: z.number().optional().describe("a finite number"),
    categoricalFillValue: z.string().optional().describe("text"),
  })
  .describe("a mapping with numeric, categorical, numericFillValue, categoricalFillValue");

const clipSchema = z
  .strictObject({
    iqrMultiplier: z.number().positive().max(100).describe("a number in (0, 100], e.g. 1.5"),
  })
  .describe("a mapping with iqrMultiplier");

const preprocessingSchema = z
  .strictObject({
    impute: imputeSchema.optional(),
    scale: z
      .enum(["standard", "robust", "none"])
      .optional()
      .describe("one of standard, robust, none"),
    onehot: z
      .strictObject({
        maxCategories: z.int().min(1).max(10_000).optional().describe("an integer from 1 to 10000"),
      })
      .optional()
      .describe("a mapping with maxCategories"),
    clipOutliers: z
      .union([z.boolean(), clipSchema])
      .optional()
      .describe("false, true, or { iqrMultiplier: 1.5 }"),
    dedupe: z.boolean().optional().describe("true or false"),
    dropMissingTarget: z.boolean().optional().describe("true or false"),
  })
  .describe("a mapping with impute, scale, onehot, clipOutliers, dedupe, dropMissingTarget");

const splitSchema = z
  .strictObject({
    strategy: z
      .enum(["stratified", "random", "time"])
      .optional()
      .describe("one of stratified, random, time"),
    testFraction: z.number().gt(0).max(0.9).optional().describe("a number in (0, 0.9], e.g. 0.2"),
    timeColumn: columnName.optional(),
    seed: z.int().min(0).max(0xffffffff).optional().describe("an integer from 0 to 4294967295"),
  })
  .describe("a mapping with strategy, testFraction, timeColumn, seed");

const trees = z.int().min(1).max(5000).describe("an integer from 1 to 5000");
const maxDepth = z
  .union([z.null(), z.int().min(1).max(200)])
  .describe("null (unlimited) or an integer from 1 to 200");
const minSamplesLeaf = z.int().min(1).max(100_000).describe("an integer from 1 to 100000");
const maxFeatures = z
  .union([
    z.enum(["sqrt", "log2", "all"]),
    z
      .number()
      .positive()
      .refine((n) => n <= 1 || Number.isInteger(n)),
  ])
  .describe("sqrt, log2, all, a fraction in (0, 1) or an integer count >= 1");
const bootstrap = z.boolean().describe("true or false");

/** Keys of `model.type: gradient-boosting` (pipeline/boosting/params.ts checks the rest). */
const boostingValues = {
  learningRate: z.number().gt(0).max(1).describe("a number in (0, 1], e.g. 0.1"),
  iterations: z.int().min(1).max(100_000).describe("an integer from 1 to 100000"),
  maxLeaves: z
    .union([z.null(), z.int().min(2).max(100_000)])
    .describe("null (no limit) or an integer from 2 to 100000"),
  l2: z.number().min(0).describe("a number >= 0"),
  subsample: z.number().gt(0).max(1).describe("a share in (0, 1]"),
  colsample: z.number().gt(0).max(1).describe("a share in (0, 1]"),
  earlyStopping: z.union([z.boolean(), z.literal("auto")]).describe('true, false or "auto"'),
  validationFraction: z.number().gt(0).lt(1).describe("a share in (0, 1), e.g. 0.1"),
  patience: z.int().min(1).max(10_000).describe("an integer from 1 to 10000"),
  loss: z.enum(["squared_error", "absolute_error"]).describe("squared_error or absolute_error"),
};
const modelType = z
  .enum([
    "random-forest",
    "gradient-boosting",
    "logistic-regression",
    "linear-regression",
    "custom",
  ])
  .describe("random-forest, gradient-boosting, logistic-regression, linear-regression or custom");
const inverseL2 = z.number().gt(0).describe("a number > 0, e.g. 1 (logistic-regression)");
const ridgeAlpha = z.number().min(0).describe("a number >= 0, e.g. 1 (linear-regression)");

const modelSchema = z
  .strictObject({
    type: modelType.optional(),
    engine: z
      .enum(["orchard", "ml-random-forest"])
      .optional()
      .describe("one of orchard, ml-random-forest"),
    trees: trees.optional(),
    maxDepth: maxDepth.optional(),
    minSamplesLeaf: minSamplesLeaf.optional(),
    maxFeatures: maxFeatures.optional(),
    bootstrap: bootstrap.optional(),
    shards: z.int().min(1).max(40).optional().describe("an integer from 1 to 40"),
    learningRate: boostingValues.learningRate.optional(),
    iterations: boostingValues.iterations.optional(),
    maxLeaves: boostingValues.maxLeaves.optional(),
    l2: boostingValues.l2.optional(),
    subsample: boostingValues.subsample.optional(),
    colsample: boostingValues.colsample.optional(),
    earlyStopping: boostingValues.earlyStopping.optional(),
    validationFraction: boostingValues.validationFraction.optional(),
    patience: boostingValues.patience.optional(),
    loss: boostingValues.loss.optional(),
    C: inverseL2.optional(),
    alpha: ridgeAlpha.optional(),
    image: z
      .string()
      .min(1)
      .optional()
      .describe(
        "a container image URI, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/trainer:1",
      ),
    command: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('a non-empty list of strings, e.g. ["python3", "train.py"]'),
  })
  .describe(
    "a mapping with type, engine, trees, maxDepth, minSamplesLeaf, maxFeatures, bootstrap, shards, or the gradient-boosting keys",
  );

function candidates<T extends z.ZodType>(param: T) {
  return z.array(param).min(1).optional().describe("a non-empty list of candidate values");
}

const gridSchema = z
  .strictObject({
    trees: candidates(trees),
    maxDepth: candidates(maxDepth),
    minSamplesLeaf: candidates(minSamplesLeaf),
    maxFeatures: candidates(maxFeatures),
    bootstrap: candidates(bootstrap),
    type: candidates(modelType),
    learningRate: candidates(boostingValues.learningRate),
    iterations: candidates(boostingValues.iterations),
    maxLeaves: candidates(boostingValues.maxLeaves),
    l2: candidates(boostingValues.l2),
    subsample: candidates(boostingValues.subsample),
    colsample: candidates(boostingValues.colsample),
    C: candidates(inverseL2),
    alpha: candidates(ridgeAlpha),
  })
  .describe("a mapping from model parameter to a list of candidate values");

const metric = z.enum(METRICS).describe(`one of ${METRICS.join(", ")}`);

const searchSchema = z
  .strictObject({
    strategy: z.enum(["none", "grid", "random"]).optional().describe("one of none, grid, random"),
    folds: z.int().min(2).max(20).optional().describe("an integer from 2 to 20"),
    metric: metric.optional(),
    iterations: z.int().min(1).max(1000).optional().describe("an integer from 1 to 1000"),
    grid: gridSchema.optional(),
  })
  .describe("a mapping with strategy, folds, metric, iterations, grid");

const retrainSchema = z
  .union([
    z.enum(["always", "on-drift"]),
    z.strictObject({
      onDrift: z.strictObject({
        psiThreshold: z.number().gt(0).max(100).optional().describe("a number > 0, e.g. 0.2"),
      }),
    }),
  ])
  .describe("always, on-drift, or { onDrift: { psiThreshold: 0.2 } }");

const deploySchema = z
  .strictObject({
    strategy: z.enum(["canary", "ab", "bandit"]).optional().describe("one of canary, ab, bandit"),
    ab: z
      .strictObject({
        percent: z
          .number()
          .gt(0)
          .lt(100)
          .optional()
          .describe("a number above 0 and below 100, e.g. 50"),
        minLabels: z.int().min(1).optional().describe("a whole number >= 1, e.g. 200"),
        confidence: z
          .number()
          .gt(0.5)
          .lt(1)
          .optional()
          .describe("a number above 0.5 and below 1, e.g. 0.95"),
        maxDays: z
          .number()
          .gt(0)
          .max(365)
          .optional()
          .describe("days above 0, at most 365, e.g. 14"),
        metric: metric.optional(),
      })
      .optional()
      .describe(
        "a mapping with percent, minLabels, confidence, maxDays, metric, e.g. { percent: 50 }",
      ),
    bandit: z
      .strictObject({
        challengers: z.int().min(1).max(3).optional().describe("a whole number from 1 to 3"),
        reward: z.enum(["correct", "feedback"]).optional().describe("correct or feedback"),
        minShare: z
          .number()
          .min(0)
          .max(0.25)
          .optional()
          .describe("a share from 0 to 0.25, e.g. 0.05"),
      })
      .optional()
      .describe("a mapping with challengers, reward, minShare, e.g. { minShare: 0.05 }"),
    canary: z
      .strictObject({
        percent: z.number().gt(0).lt(100).describe("a number above 0 and below 100, e.g. 10"),
        minutes: z.number().min(0).max(1440).describe("a number of minutes from 0 to 1440"),
        maxErrorRate: z.number().min(0).max(1).optional().describe("a share from 0 to 1"),
        maxShift: z.number().min(0).max(1).optional().describe("a number from 0 to 1"),
        minRequests: z.int().min(0).optional().describe("a whole number >= 0"),
      })
      .optional()
      .describe("a mapping with percent and minutes, e.g. { percent: 10, minutes: 30 }"),
    batch: z
      .strictObject({
        inputUri: z
          .string()
          .min(1)
          .describe("an S3 prefix or a directory, e.g. s3://landing/scores/"),
        toleratedFailurePercent: z
          .number()
          .min(0)
          .max(100)
          .optional()
          .describe("a share of files from 0 to 100, e.g. 5"),
      })
      .optional()
      .describe(
        "a mapping with inputUri and optionally toleratedFailurePercent, e.g. { inputUri: s3://landing/scores/ }",
      ),
  })
  .describe("a mapping with strategy, canary, ab, bandit, batch");

const monitorSchema = z
  .strictObject({
    capture: z
      .strictObject({
        sampleRate: z.number().gt(0).max(1).optional().describe("a share above 0, at most 1"),
        exclude: z.array(columnName).optional().describe("a list of column names"),
        retentionDays: z.int().min(1).max(3650).optional().describe("whole days from 1 to 3650"),
      })
      .optional()
      .describe("a mapping with sampleRate, exclude, retentionDays, e.g. { sampleRate: 0.1 }"),
    windowHours: z.number().gt(0).max(8760).optional().describe("hours above 0, e.g. 168"),
    minLabels: z.int().min(1).optional().describe("a whole number >= 1"),
    tolerance: z.number().min(0).optional().describe("a number >= 0"),
    coolDownMinutes: z.number().min(0).max(525600).optional().describe("minutes >= 0"),
  })
  .describe("a mapping with capture, windowHours, minLabels, tolerance, coolDownMinutes");

const gateSchema = z
  .strictObject({
    metric: metric.optional(),
    minimum: z.number().optional().describe("a finite number"),
    maximum: z.number().optional().describe("a finite number"),
    margin: z.number().min(0).optional().describe("a number >= 0"),
  })
  .describe("a mapping with metric, minimum or maximum, margin");

const reportSchema = z
  .strictObject({
    explainRows: z
      .int()
      .min(1)
      .max(100000)
      .optional()
      .describe("a whole number from 1 to 100000, e.g. 200"),
  })
  .describe("a mapping with explainRows");

export const rawSpecSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(40)
      .regex(/^[a-z0-9-]+$/)
      .describe("1 to 40 characters of a-z, 0-9 and -, e.g. penguins"),
    seed: z.int().min(0).max(0xffffffff).optional().describe("an integer from 0 to 4294967295"),
    source: sourceSchema,
    target: columnName,
    task: z.enum(["classification", "regression"]).describe("classification or regression"),
    id: columnName.optional(),
    features: featuresSchema.optional(),
    preprocessing: preprocessingSchema.optional(),
    split: splitSchema.optional(),
    model: modelSchema.optional(),
    search: searchSchema.optional(),
    gate: gateSchema.optional(),
    retrain: retrainSchema.optional(),
    deploy: deploySchema.optional(),
    monitor: monitorSchema.optional(),
    report: reportSchema.optional(),
  })
  .describe("a mapping with name, source, target, task and optional sections");

export type RawSpec = z.infer<typeof rawSpecSchema>;

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

const sourceSchema = z
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
  })
  .describe("a mapping with uri and optionally format, delimiter, missing, decimal");

const featuresSchema = z
  .strictObject({
    numeric: columnList.optional(),
    categorical: columnList.optional(),
    drop: columnList.optional(),
  })
  .describe("a mapping with numeric, categorical and drop column lists");

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

const modelSchema = z
  .strictObject({
    type: z.literal("random-forest").optional().describe("random-forest (the only model type)"),
    engine: z
      .enum(["orchard", "ml-random-forest"])
      .optional()
      .describe("one of orchard, ml-random-forest"),
    trees: trees.optional(),
    maxDepth: maxDepth.optional(),
    minSamplesLeaf: minSamplesLeaf.optional(),
    maxFeatures: maxFeatures.optional(),
    bootstrap: bootstrap.optional(),
  })
  .describe("a mapping with type, engine, trees, maxDepth, minSamplesLeaf, maxFeatures, bootstrap");

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
      })
      .optional()
      .describe("a mapping with inputUri, e.g. { inputUri: s3://landing/scores/ }"),
  })
  .describe("a mapping with canary, batch");

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
    report: reportSchema.optional(),
  })
  .describe("a mapping with name, source, target, task and optional sections");

export type RawSpec = z.infer<typeof rawSpecSchema>;

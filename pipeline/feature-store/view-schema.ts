/**
 * The zod schema of a feature view as written in `features/<view>.yaml`: shapes and ranges
 * only. Cross-field rules (a window needs an aggregate, names are unique, …) are in
 * `check-view.ts`. As in the pipeline spec, each `.describe()` text is the "allowed" half of
 * an error message.
 */

import { z } from "zod";
import { sourceSchema } from "../spec/schema.ts";
import { DURATION_PATTERN } from "./duration.ts";

export const AGGREGATES = ["count", "sum", "mean", "min", "max"] as const;
export type Aggregate = (typeof AGGREGATES)[number];

const columnName = z.string().min(1).describe("a column name (non-empty text)");
const duration = z
  .string()
  .regex(DURATION_PATTERN)
  .describe("a duration: a whole number and s, m, h, d or w, e.g. 7d or 12h");

/** Names the store and the pipeline spec refer to; `__` is reserved for Orchard's own fields. */
const featureName = z
  .string()
  .regex(/^(?!__)[A-Za-z_][A-Za-z0-9_]{0,63}$/)
  .describe("1 to 64 letters, digits and _, not starting with a digit or __, e.g. price_mean_7d");

const featureSchema = z
  .strictObject({
    name: featureName,
    column: columnName.optional(),
    aggregate: z
      .enum(AGGREGATES)
      .optional()
      .describe(`one of ${AGGREGATES.join(", ")}`),
    window: duration.optional(),
    expression: z
      .string()
      .min(1)
      .optional()
      .describe(
        "an expression over the source's columns and the view's features, e.g. log1p(price)",
      ),
  })
  .describe(
    "a mapping with name and optionally column, aggregate and window, or expression, e.g. { name: price_mean_7d, column: price, aggregate: mean, window: 7d }",
  );

export const rawViewSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,39}$/)
      .describe("1 to 40 characters of a-z, 0-9 and _, starting with a letter, e.g. stock_stats"),
    description: z.string().optional().describe("text"),
    owner: z.string().min(1).describe("the owning team or person, e.g. team-pricing"),
    tags: z
      .record(z.string(), z.string())
      .optional()
      .describe("a mapping of text to text, e.g. { domain: markets }"),
    entities: z
      .array(columnName)
      .min(1)
      .describe("a non-empty list of join key columns, e.g. [symbol]"),
    timestamp: columnName.describe("the event-time column, e.g. date"),
    source: sourceSchema,
    ttl: duration,
    features: z.array(featureSchema).min(1).describe("a non-empty list of features"),
  })
  .describe(
    "a mapping with name, owner, entities, timestamp, source, ttl, features and optionally description, tags",
  );

export type RawView = z.infer<typeof rawViewSchema>;

/**
 * The serialized form of a fitted preprocessor and its validation. The state is plain JSON;
 * numbers go through json-number.ts so that a load → transform gives bit-identical output.
 * Bump PREPROCESSOR_VERSION whenever the meaning of a field changes.
 */

import { z } from "zod";
import { ArtifactError } from "../errors.ts";
import type { JsonNumber } from "./json-number.ts";

export const PREPROCESSOR_FORMAT = "orchard.preprocessor";
export const PREPROCESSOR_VERSION = 1;

export interface PreprocessingOptions {
  impute: {
    /** Missing numeric cells: train mean / median, `numericFillValue` (default 0), or left missing. */
    numeric: "mean" | "median" | "constant" | "none";
    /**
     * Missing categorical cells: the most frequent train level (smallest on ties),
     * `categoricalFillValue` (default `"missing_value"`, like sklearn), or left missing (encodes as all zeros).
     */
    categorical: "most_frequent" | "constant" | "none";
    /** The fill of numeric "constant" imputation. */
    numericFillValue?: number;
    /** The fill of categorical "constant" imputation. */
    categoricalFillValue?: string;
  };
  /** "standard" = StandardScaler (ddof 0); "robust" = RobustScaler (median, IQR). */
  scale: "standard" | "robust" | "none";
  /**
   * `maxCategories: N` keeps the N most frequent train levels; any further levels share one
   * `<name>=__other__` column (so at most N + 1 columns, = sklearn `max_categories: N + 1`).
   */
  onehot: { maxCategories?: number };
  /** Clamp numeric values to [Q1 - k·IQR, Q3 + k·IQR] of train, before imputing. */
  clipOutliers: false | { iqrMultiplier: number };
}

export interface NumericFeatureState {
  name: string;
  clip: { low: JsonNumber; high: JsonNumber } | null;
  /** Imputed value for missing cells; null leaves them missing. */
  fill: JsonNumber | null;
  scale: { center: JsonNumber; scale: JsonNumber } | null;
}

export interface CategoricalFeatureState {
  name: string;
  fill: string | null;
  levels: string[];
  infrequent: string[];
}

export interface PreprocessorState {
  format: typeof PREPROCESSOR_FORMAT;
  version: typeof PREPROCESSOR_VERSION;
  options: PreprocessingOptions;
  numeric: NumericFeatureState[];
  categorical: CategoricalFeatureState[];
}

const jsonNumber = z.union([
  z.number(),
  z.enum(["NaN", "Infinity", "-Infinity", "-0"]),
]) satisfies z.ZodType<JsonNumber>;

const optionsSchema = z.strictObject({
  impute: z.strictObject({
    numeric: z.enum(["mean", "median", "constant", "none"]),
    categorical: z.enum(["most_frequent", "constant", "none"]),
    numericFillValue: z.number().optional(),
    categoricalFillValue: z.string().optional(),
  }),
  scale: z.enum(["standard", "robust", "none"]),
  onehot: z.strictObject({ maxCategories: z.number().int().min(1).optional() }),
  clipOutliers: z.union([z.literal(false), z.strictObject({ iqrMultiplier: z.number().min(0) })]),
});

const stateSchema = z.strictObject({
  format: z.literal(PREPROCESSOR_FORMAT),
  version: z.literal(PREPROCESSOR_VERSION),
  options: optionsSchema,
  numeric: z.array(
    z.strictObject({
      name: z.string(),
      clip: z.strictObject({ low: jsonNumber, high: jsonNumber }).nullable(),
      fill: jsonNumber.nullable(),
      scale: z.strictObject({ center: jsonNumber, scale: jsonNumber }).nullable(),
    }),
  ),
  categorical: z.array(
    z.strictObject({
      name: z.string(),
      fill: z.string().nullable(),
      levels: z.array(z.string()),
      infrequent: z.array(z.string()),
    }),
  ),
});

/** Checks that `input` is a preprocessor state this version can load; throws ArtifactError. */
export function parsePreprocessorState(input: unknown): PreprocessorState {
  const header = (typeof input === "object" && input !== null ? input : {}) as Record<
    string,
    unknown
  >;
  if (header.format !== PREPROCESSOR_FORMAT) {
    throw new ArtifactError(
      `not a preprocessor artifact: format is ${JSON.stringify(header.format)}, expected "${PREPROCESSOR_FORMAT}"; check which file was loaded`,
    );
  }
  if (header.version !== PREPROCESSOR_VERSION) {
    throw new ArtifactError(
      `preprocessor artifact version ${JSON.stringify(header.version)} is not supported (this Orchard reads version ${PREPROCESSOR_VERSION}); re-run the pipeline to refit it`,
    );
  }
  const parsed = stateSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.join(".");
    throw new ArtifactError(
      `preprocessor artifact is corrupt at "${where}": ${issue.message}; re-run the pipeline to refit it`,
      { path: where },
    );
  }
  const state = parsed.data as PreprocessorState;
  const names = [...state.numeric, ...state.categorical].map((f) => f.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) {
    throw new ArtifactError(
      `preprocessor artifact is corrupt: feature "${duplicate}" appears twice; re-run the pipeline to refit it`,
    );
  }
  for (const f of state.categorical) {
    const all = [...f.levels, ...f.infrequent];
    if (new Set(all).size !== all.length) {
      throw new ArtifactError(
        `preprocessor artifact is corrupt: feature "${f.name}" lists a level twice; re-run the pipeline to refit it`,
        { column: f.name },
      );
    }
  }
  return state;
}

/**
 * `features.transform: ./features.ts`: a TypeScript module in the user's repository exporting
 * `transform`, a `RowTransform`. It runs on every row before the derived expressions, at
 * training (on each row of the raw table) and at every door that scores rows (readModelRows),
 * through ONE function, `applyTransform`, which also checks its output.
 *
 * A row function rather than a batch one: a door scores one request's rows while training
 * scores a whole table, and a function of one row cannot let one row's value depend on the
 * others (which would make a served prediction differ from the same row at training). An
 * error can also name its row.
 *
 * This module never imports the user's code: the CLI loads it (cli/transform-loader.ts) and
 * the Lambda bundles built by `orchard build` import it in their entry; both register it here,
 * under its pipeline and under the sha256 of its source, which the model records, so a door
 * runs exactly the code the model was trained with or refuses to predict.
 */

import { TransformError, TransformNotLoadedError } from "../errors.ts";
import type { ValueKind } from "./derived.ts";

/** A cell as a transform sees it: a number, a category (text), or null for missing. */
export type TransformValue = number | string | null;

/** One row: every column of the source but the target, read as at training. */
export type TransformRow = Readonly<Record<string, TransformValue>>;

/**
 * The user's row transform: returns the columns it adds (returning the row's own columns too,
 * unchanged, is fine: `{ ...row, x }`). A new column's values are all numbers (or null), or all
 * text (or null). It may not change an input column: give a cleaned value a new name.
 *
 * ```ts
 * import type { RowTransform } from "orchard-ml/pipeline";
 * export const transform: RowTransform = (row) => ({
 *   ...row,
 *   income_per_person: typeof row.income === "number" ? row.income / 3 : null,
 * });
 * ```
 */
export type RowTransform = (row: TransformRow) => Record<string, TransformValue>;

export interface LoadedTransform {
  /** The module as the spec names it, e.g. `./features.ts`: shown in messages. */
  module: string;
  /** sha256 of the module's source text. */
  sha256: string;
  transform: RowTransform;
}

/** What a model records about the transform it was trained with. */
export interface TransformSchema {
  module: string;
  sha256: string;
  /** The columns the transform is given, with their kinds at training. */
  inputs: Record<string, ValueKind>;
  /** The columns it adds, with their kinds. */
  outputs: Record<string, ValueKind>;
}

const byPipeline = new Map<string, LoadedTransform>();
const bySha = new Map<string, LoadedTransform>();

/** Makes a loaded transform available to the pipeline's steps and to models trained with it. */
export function registerTransform(pipeline: string, loaded: LoadedTransform): void {
  if (typeof loaded.transform !== "function") {
    throw new TransformNotLoadedError(
      `${loaded.module} does not export a function named "transform"; export one: export const transform: RowTransform = (row) => ({ ...row })`,
      { file: loaded.module },
    );
  }
  // A pipeline has one transform loaded at a time: a replaced version is no longer servable.
  const previous = byPipeline.get(pipeline);
  byPipeline.set(pipeline, loaded);
  if (previous && ![...byPipeline.values()].some((t) => t.sha256 === previous.sha256)) {
    bySha.delete(previous.sha256);
  }
  bySha.set(loaded.sha256, loaded);
}

/** The transform of a pipeline whose spec names `module`; an error when none was loaded. */
export function transformOfPipeline(pipeline: string, module: string): LoadedTransform {
  const loaded = byPipeline.get(pipeline);
  if (!loaded) {
    throw new TransformNotLoadedError(
      `pipeline "${pipeline}" names features.transform ${module}, which this process has not loaded: run it with the orchard CLI (orchard run, predict, serve), or rebuild the Lambda bundles with \`orchard build\` from the repository that holds it`,
      { path: "features.transform" },
    );
  }
  return loaded;
}

/** The transform a model was trained with, by its recorded sha256. */
export function transformOfModel(schema: TransformSchema): LoadedTransform {
  const loaded = bySha.get(schema.sha256);
  if (!loaded) {
    const other = [...bySha.values()].find((t) => t.module === schema.module);
    const why = other
      ? `the loaded ${other.module} is another version (sha256 ${other.sha256.slice(0, 12)}…)`
      : "it is not loaded in this process";
    throw new TransformNotLoadedError(
      `the model was trained with the row transform ${schema.module} (sha256 ${schema.sha256.slice(0, 12)}…), but ${why}; retrain the model with the current module, or deploy the module it was trained with (orchard build)`,
      { file: schema.module },
    );
  }
  return loaded;
}

const kindOf = (v: TransformValue): ValueKind | null =>
  v === null ? null : typeof v === "number" ? "numeric" : "categorical";

function describe(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return `text ${JSON.stringify(v.slice(0, 40))}`;
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/**
 * Runs the transform on one row (THE one call of a user's transform) and checks what it
 * returns: an object whose values are finite numbers, text or null, each column keeping the
 * kind it has (`kinds`: the known columns' kinds; a new column takes the kind of its first
 * value, recorded in `kinds`). `rowNumber` counts from 1; `where` prefixes the message (the
 * data file at training). Throws TransformError naming the module, the row and the column.
 */
export function applyTransform(
  loaded: LoadedTransform,
  row: TransformRow,
  rowNumber: number,
  kinds: Map<string, ValueKind>,
  where = "",
): Record<string, TransformValue> {
  const at = `${where}${where ? ", " : ""}row ${rowNumber}`;
  let out: unknown;
  try {
    out = loaded.transform(Object.freeze({ ...row }));
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new TransformError(
      `${loaded.module} threw on ${at}: ${why}; fix the transform (or the row)`,
      { file: loaded.module, row: rowNumber },
      { cause },
    );
  }
  if (out === null || typeof out !== "object" || Array.isArray(out)) {
    throw new TransformError(
      `${loaded.module} returned ${describe(out)} for ${at}; return the row's columns as an object, e.g. ({ ...row, ratio: … })`,
      { file: loaded.module, row: rowNumber },
    );
  }
  const result: Record<string, TransformValue> = Object.create(null);
  Object.assign(result, row);
  for (const [column, value] of Object.entries(out)) {
    const fail = (what: string) =>
      new TransformError(
        `${loaded.module} returned ${describe(value)} for column "${column}" on ${at}; ${what}`,
        { file: loaded.module, row: rowNumber, column },
      );
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw fail("return a finite number, or null for a missing value");
    }
    if (
      value !== undefined &&
      value !== null &&
      typeof value !== "number" &&
      typeof value !== "string"
    ) {
      throw fail("return a number, text or null");
    }
    // Inputs keep their raw values, so a row read twice (a captured request read again by the
    // Monitor) gives the same features, and drift compares raw data with raw data.
    if (Object.hasOwn(row, column) && (value ?? null) !== row[column]) {
      throw fail(
        `"${column}" is an input column (it holds ${describe(row[column])}); a transform adds columns — return the new value under a new name`,
      );
    }
    if (value === undefined || value === null) {
      result[column] = null;
      continue;
    }
    const kind = kindOf(value) as ValueKind;
    const known = kinds.get(column);
    if (known === undefined) kinds.set(column, kind);
    else if (known !== kind) {
      throw fail(
        `the column holds ${known === "numeric" ? "numbers" : "text"}; return the same type in every row (or null)`,
      );
    }
    result[column] = value;
  }
  return result;
}

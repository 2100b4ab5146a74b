/**
 * What a model expects of its input rows, and the one reading of a raw row (an object from a
 * CSV or JSON Lines file, an HTTP body or a batch file) as the model's inputs. Every door that
 * scores rows ends here, so a cell means the same everywhere and the same as at training:
 *
 * - Cells are read by the training reader's rules (`pipeline/data/cells.ts`, with the
 *   bundle's `reading`: `source.missing` / `source.decimal`): text is trimmed; `null`, `""`,
 *   `NA`, `NaN`, `null` and the spec's missing tokens are missing (imputed); a numeric column
 *   takes a number or a number written as plain decimal text (`"88"`, `" 1e3 "`), and refuses
 *   anything else (`"0x10"`, `"Infinity"`, `true`, `"tall"`); a categorical column takes text,
 *   numbers (`1.5` → `"1.5"`) and booleans (`"true"`).
 * - Columns the model does not use (the target, the id, dropped or unknown columns) are
 *   ignored, so the record a model was trained on can be scored as it is. A column the model
 *   needs and the row lacks is an error (with a did-you-mean over the row's other columns):
 *   it usually means a renamed column, not a missing value (send null for that).
 *
 * - The row transform (`schema.transform`, the spec's `features.transform`) and the derived
 *   features (`schema.derived`, `features.derived`) are computed here from the raw columns,
 *   by the same functions as at training (`applyTransform`, `compileDerived`); a row never
 *   needs to carry what they compute, and a value it carries for one is replaced.
 *
 * Rows are numbered from 1 in messages.
 */
import { type CellReading, cellReader } from "../data/cells.ts";
import type { Column, Frame } from "../data/frame.ts";
import { type CompiledDerived, compileDerived, type DerivedSchema } from "../derived/derived.ts";
import { applyTransform, type TransformSchema, transformOfModel } from "../derived/transform.ts";
import { MissingColumnError, TypeMismatchError } from "../errors.ts";
import { didYouMean } from "../spec/did-you-mean.ts";
import type { Task } from "../spec/types.ts";

export interface ModelSchema {
  task: Task;
  target: string;
  /** Class labels in code order (classification only). */
  classes: string[] | null;
  features: { numeric: string[]; categorical: string[] };
  /** How training read cells (`source.missing`, `source.decimal`). Absent: the defaults. */
  reading?: CellReading;
  /** The derived features and the raw columns they read. Absent: none. */
  derived?: DerivedSchema;
  /** The row transform the model was trained with (`features.transform`). Absent: none. */
  transform?: TransformSchema;
}

export type RawRow = Record<string, unknown>;

/** A row as the model reads it: a number or null per numeric column, text or null per categorical. */
export type ModelRow = Record<string, number | string | null>;

const compiled = new WeakMap<DerivedSchema, CompiledDerived>();

function derivedOf(schema: ModelSchema): CompiledDerived | null {
  if (!schema.derived) return null;
  let c = compiled.get(schema.derived);
  if (!c) {
    c = compileDerived(schema.derived.features);
    compiled.set(schema.derived, c);
  }
  return c;
}

/** Rows `readModelRows` returned, with the schema they were read for: read again, unchanged. */
const readRows = new WeakMap<object, ModelSchema>();

/**
 * Each raw row as the model's inputs: fresh null-prototype objects holding the model's columns
 * (row transform and derived features computed) and the raw columns those read. A row this
 * function returned for the same schema is returned as it is, so reading twice (a request's
 * rows are read when parsed, then by the model) never runs a transform twice. Throws
 * MissingColumnError / TypeMismatchError naming the row and column, and TransformError when
 * the model's row transform fails.
 */
export function readModelRows(schema: ModelSchema, rows: RawRow[]): ModelRow[] {
  const read = cellReader(schema.reading);
  const derived = derivedOf(schema);
  const transform = schema.transform ? transformOfModel(schema.transform) : null;
  const derivedInputs = schema.derived?.inputs ?? {};
  const transformInputs = schema.transform?.inputs ?? {};
  const computed = new Set([
    ...(derived?.features.map((f) => f.name) ?? []),
    ...Object.keys(schema.transform?.outputs ?? {}),
  ]);
  const kindOf = (name: string) =>
    schema.features.numeric.includes(name)
      ? "numeric"
      : schema.features.categorical.includes(name)
        ? "categorical"
        : (derivedInputs[name] ?? transformInputs[name]);
  // Required: what the model and its expressions read and nothing computes. A transform's other
  // inputs are optional (null when absent): it is given the training table's columns.
  const required = [
    ...schema.features.numeric,
    ...schema.features.categorical,
    ...Object.keys(derivedInputs),
  ].filter((n, i, all) => !computed.has(n) && all.indexOf(n) === i);
  const optional = Object.keys(transformInputs).filter((n) => !required.includes(n));
  const known = [...required, ...optional];
  return rows.map((row, i) => {
    const n = i + 1;
    if (row !== null && typeof row === "object" && readRows.get(row) === schema) {
      return row as ModelRow;
    }
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw new TypeMismatchError(
        `row ${n} is not an object of column values; send one object per row, e.g. {"${known[0] ?? "column"}": …}`,
        { row: n },
      );
    }
    let out: ModelRow = Object.create(null);
    for (const name of known) {
      if (!Object.hasOwn(row, name)) {
        if (!required.includes(name)) {
          out[name] = null;
          continue;
        }
        const others = Object.keys(row).filter((key) => !known.includes(key));
        throw new MissingColumnError(
          `row ${n} has no column "${name}", which the model needs; send it (null for a missing value).${didYouMean(name, others)}`,
          { row: n, column: name },
        );
      }
      const numeric = kindOf(name) === "numeric";
      const value = row[name];
      if (value !== null && typeof value === "object") {
        throw new TypeMismatchError(
          `row ${n}, column "${name}": expected ${numeric ? "a finite number" : "a category (text)"}, found ${Array.isArray(value) ? "an array" : "an object"}; send a plain value or null`,
          { row: n, column: name },
        );
      }
      const cell = read(value as string | number | boolean | null | undefined);
      if (cell.kind === "missing") {
        out[name] = null;
      } else if (!numeric) {
        out[name] = cell.text;
      } else if (cell.kind === "number") {
        out[name] = cell.value;
      } else {
        const decimal = schema.reading?.decimal === "," ? "3,5" : "12, -0.5";
        throw new TypeMismatchError(
          `row ${n}, column "${name}": expected a finite number, found ${JSON.stringify(typeof value === "number" ? cell.text : value)}; send a number or plain decimal text (${decimal}, 1e-3), or null for a missing value`,
          { row: n, column: name },
        );
      }
    }
    if (transform && schema.transform) {
      const kinds = new Map(
        Object.entries({ ...schema.transform.inputs, ...schema.transform.outputs }),
      );
      const given: ModelRow = {};
      for (const name of Object.keys(schema.transform.inputs)) given[name] = out[name];
      out = Object.assign(out, applyTransform(transform, given, n, kinds));
    }
    derived?.apply(out);
    readRows.set(out, schema);
    return out;
  });
}

/** The frame of the feature columns of raw rows, read by `readModelRows`. */
export function rowsToFrame(schema: ModelSchema, rows: RawRow[]): Frame {
  const modelRows = readModelRows(schema, rows);
  const n = modelRows.length;
  const columns: Column[] = [];
  for (const name of schema.features.numeric) {
    const values = new Float64Array(n);
    modelRows.forEach((row, i) => {
      values[i] = (row[name] as number | null) ?? Number.NaN;
    });
    columns.push({ kind: "numeric", name, values });
  }
  for (const name of schema.features.categorical) {
    const levels: string[] = [];
    const index = new Map<string, number>();
    const codes = new Int32Array(n);
    modelRows.forEach((row, i) => {
      const text = row[name] as string | null;
      if (text === null) {
        codes[i] = -1;
        return;
      }
      let code = index.get(text);
      if (code === undefined) {
        code = levels.push(text) - 1;
        index.set(text, code);
      }
      codes[i] = code;
    });
    columns.push({ kind: "categorical", name, codes, levels });
  }
  return { rowCount: n, columns };
}

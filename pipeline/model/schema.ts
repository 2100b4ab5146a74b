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
 * Rows are numbered from 1 in messages.
 */
import { type CellReading, cellReader } from "../data/cells.ts";
import type { Column, Frame } from "../data/frame.ts";
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
}

export type RawRow = Record<string, unknown>;

/** A row as the model reads it: a number or null per numeric column, text or null per categorical. */
export type ModelRow = Record<string, number | string | null>;

/**
 * Each raw row as the model's inputs (fresh null-prototype objects holding only the model's
 * columns). Throws MissingColumnError / TypeMismatchError naming the row and column.
 */
export function readModelRows(schema: ModelSchema, rows: RawRow[]): ModelRow[] {
  const read = cellReader(schema.reading);
  const { numeric, categorical } = schema.features;
  const known = [...numeric, ...categorical];
  return rows.map((row, i) => {
    const n = i + 1;
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw new TypeMismatchError(
        `row ${n} is not an object of column values; send one object per row, e.g. {"${known[0] ?? "column"}": …}`,
        { row: n },
      );
    }
    const out: ModelRow = Object.create(null);
    for (const name of known) {
      if (!Object.hasOwn(row, name)) {
        const others = Object.keys(row).filter((key) => !known.includes(key));
        throw new MissingColumnError(
          `row ${n} has no column "${name}", which the model needs; send it (null for a missing value).${didYouMean(name, others)}`,
          { row: n, column: name },
        );
      }
      const value = row[name];
      if (value !== null && typeof value === "object") {
        throw new TypeMismatchError(
          `row ${n}, column "${name}": expected ${numeric.includes(name) ? "a finite number" : "a category (text)"}, found ${Array.isArray(value) ? "an array" : "an object"}; send a plain value or null`,
          { row: n, column: name },
        );
      }
      const cell = read(value as string | number | boolean | null | undefined);
      if (cell.kind === "missing") {
        out[name] = null;
      } else if (!numeric.includes(name)) {
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

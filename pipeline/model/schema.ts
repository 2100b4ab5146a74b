/**
 * What a model expects of its input rows, and the conversion of raw rows (objects from JSON,
 * CSV or an HTTP body) into a typed Frame with errors that name the row and column.
 */
import type { Column, Frame } from "../data/frame.ts";
import { MissingColumnError, TypeMismatchError } from "../errors.ts";
import type { Task } from "../spec/types.ts";

export interface ModelSchema {
  task: Task;
  target: string;
  /** Class labels in code order (classification only). */
  classes: string[] | null;
  features: { numeric: string[]; categorical: string[] };
}

export type RawRow = Record<string, unknown>;

/**
 * Builds the frame of the feature columns from raw rows. `null`, `undefined`-free absent
 * values and `""` are missing (the preprocessor imputes them); a column absent from a row is
 * an error, because it usually means a renamed or dropped column, not a missing value.
 * Rows are numbered from 1 in messages.
 */
export function rowsToFrame(schema: ModelSchema, rows: RawRow[]): Frame {
  const n = rows.length;
  const columns: Column[] = [];
  for (const name of schema.features.numeric) {
    const values = new Float64Array(n);
    rows.forEach((row, i) => {
      values[i] = numericCell(row, name, i + 1);
    });
    columns.push({ kind: "numeric", name, values });
  }
  for (const name of schema.features.categorical) {
    const levels: string[] = [];
    const index = new Map<string, number>();
    const codes = new Int32Array(n);
    rows.forEach((row, i) => {
      const text = categoricalCell(row, name, i + 1);
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

function present(row: RawRow, name: string, rowNumber: number): unknown {
  if (row === null || typeof row !== "object" || Array.isArray(row)) {
    throw new TypeMismatchError(
      `row ${rowNumber} is not an object of column values; send one object per row, e.g. {"${name}": …}`,
      { row: rowNumber },
    );
  }
  if (!Object.hasOwn(row, name)) {
    throw new MissingColumnError(
      `row ${rowNumber} has no column "${name}", which the model needs; send it (null for a missing value)`,
      { row: rowNumber, column: name },
    );
  }
  return row[name];
}

function numericCell(row: RawRow, name: string, rowNumber: number): number {
  const value = present(row, name, rowNumber);
  if (value === null || value === "") return Number.NaN;
  const number =
    typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
  if (!Number.isFinite(number)) {
    throw new TypeMismatchError(
      `row ${rowNumber}, column "${name}": expected a finite number, found ${JSON.stringify(value)}; send a number or null`,
      { row: rowNumber, column: name },
    );
  }
  return number;
}

function categoricalCell(row: RawRow, name: string, rowNumber: number): string | null {
  const value = present(row, name, rowNumber);
  if (value === null || value === "") return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return String(value);
  throw new TypeMismatchError(
    `row ${rowNumber}, column "${name}": expected a category (text), found ${JSON.stringify(value)}`,
    { row: rowNumber, column: name },
  );
}

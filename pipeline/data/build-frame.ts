/**
 * Raw decoded columns → a typed Frame. One rule for every format:
 *
 * - Kind: a declared type (`columnTypes`) wins. Otherwise a column is numeric when it has at
 *   least one number and no text (infinities count as numbers here, so that one `inf` in a
 *   numeric column is reported rather than turning the column into categories); a column
 *   with no values at all is numeric (all NaN), like pandas.
 * - Numeric columns: Float64Array, NaN for missing. A text or infinite value is a type
 *   mismatch: it is recorded (row, column, value) and becomes missing.
 * - Categorical columns: levels sorted by code unit (not locale), so codes do not depend on
 *   row order; the level of a number read from text is the text as written (`"01"` stays
 *   `"01"`), of a JSON/Parquet number its shortest JS form.
 *
 * Rows are 1-based data rows (the first row after a CSV header is row 1).
 */

import { type Cell, type CellReading, cellReader, DECIMAL_COMMA, type RawValue } from "./cells.ts";
import type { CategoricalColumn, Column, Frame, NumericColumn } from "./frame.ts";

export type ColumnKind = "numeric" | "categorical";

/** One offending cell. `row` is the 1-based data row. */
export interface TypeMismatch {
  row: number;
  column: string;
  value: string;
}

/** All type mismatches of one column: the count and the first five examples. */
export interface ColumnMismatches {
  column: string;
  expected: "numeric";
  count: number;
  examples: TypeMismatch[];
}

/** Decoded cells, column-major, as the format readers produce them. */
export interface RawTable {
  names: string[];
  columns: RawValue[][];
  rowCount: number;
}

export const MAX_MISMATCH_EXAMPLES = 5;

/**
 * A column inferred categorical that holds numbers too: usually a numeric column with a few
 * placeholder texts (`n/a`, `?`) or decimal commas, which silently became categories. Only
 * for inferred columns (a pinned kind is the user's word); validation turns it into a warning.
 */
export interface TextInNumbers {
  column: string;
  /** Cells read as numbers. */
  numbers: number;
  /** Cells read as text. */
  texts: number;
  /** Distinct texts. */
  distinctTexts: number;
  /** Text cells that look like a number with a decimal comma (`3,5`). */
  decimalCommas: number;
  /** The first distinct texts with the first row of each (1-based). */
  examples: TypeMismatch[];
}

function textInNumbers(name: string, cells: Cell[]): TextInNumbers | null {
  let numbers = 0;
  let texts = 0;
  let decimalCommas = 0;
  const seen = new Set<string>();
  const examples: TypeMismatch[] = [];
  cells.forEach((cell, i) => {
    if (cell.kind === "number" || cell.kind === "infinity") numbers++;
    if (cell.kind !== "text") return;
    texts++;
    if (DECIMAL_COMMA.test(cell.text)) decimalCommas++;
    if (seen.has(cell.text)) return;
    seen.add(cell.text);
    if (examples.length < MAX_MISMATCH_EXAMPLES) {
      examples.push({ row: i + 1, column: name, value: cell.text });
    }
  });
  const allCommas = texts > 0 && decimalCommas === texts;
  if (numbers === 0 && !allCommas) return null;
  return { column: name, numbers, texts, distinctTexts: seen.size, decimalCommas, examples };
}

function inferKind(cells: Cell[]): ColumnKind {
  let numbers = 0;
  for (const cell of cells) {
    if (cell.kind === "text") return "categorical";
    if (cell.kind === "number") numbers++;
  }
  const allMissing = cells.every((c) => c.kind === "missing");
  return numbers > 0 || allMissing ? "numeric" : "categorical";
}

function numericColumn(name: string, cells: Cell[], mismatches: ColumnMismatches[]): NumericColumn {
  const values = new Float64Array(cells.length);
  let found: ColumnMismatches | undefined;
  cells.forEach((cell, i) => {
    if (cell.kind === "number") {
      values[i] = cell.value;
      return;
    }
    values[i] = Number.NaN;
    if (cell.kind === "missing") return;
    if (!found) {
      found = { column: name, expected: "numeric", count: 0, examples: [] };
      mismatches.push(found);
    }
    found.count++;
    if (found.examples.length < MAX_MISMATCH_EXAMPLES) {
      found.examples.push({ row: i + 1, column: name, value: cell.text });
    }
  });
  return { kind: "numeric", name, values };
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function categoricalColumn(name: string, cells: Cell[]): CategoricalColumn {
  const seen = new Set<string>();
  for (const cell of cells) if (cell.kind !== "missing") seen.add(cell.text);
  const levels = [...seen].sort(byCodeUnit);
  const index = new Map(levels.map((level, i) => [level, i]));
  const codes = new Int32Array(cells.length);
  cells.forEach((cell, i) => {
    codes[i] = cell.kind === "missing" ? -1 : (index.get(cell.text) as number);
  });
  return { kind: "categorical", name, codes, levels };
}

/**
 * Types every column of `table`; mismatches lists offending columns in column order, and
 * textInNumbers the inferred-categorical columns that also hold numbers.
 */
export function buildFrame(
  table: RawTable,
  columnTypes: Record<string, ColumnKind> = {},
  reading: CellReading = {},
): { frame: Frame; mismatches: ColumnMismatches[]; textInNumbers: TextInNumbers[] } {
  const read = cellReader(reading);
  const mismatches: ColumnMismatches[] = [];
  const mixed: TextInNumbers[] = [];
  const columns = table.names.map((name, c): Column => {
    const cells = table.columns[c].map(read);
    const declared = Object.hasOwn(columnTypes, name);
    const kind = declared ? columnTypes[name] : inferKind(cells);
    if (kind === "numeric") return numericColumn(name, cells, mismatches);
    const found = declared ? null : textInNumbers(name, cells);
    if (found) mixed.push(found);
    return categoricalColumn(name, cells);
  });
  return { frame: { rowCount: table.rowCount, columns }, mismatches, textInNumbers: mixed };
}

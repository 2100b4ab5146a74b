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

import { type CellReading, cellReader, type RawValue } from "./cells.ts";
import {
  ColumnBuilder,
  type ColumnKind,
  type ColumnMismatches,
  type TextInNumbers,
} from "./column-builder.ts";
import type { Frame } from "./frame.ts";

export {
  type ColumnKind,
  type ColumnMismatches,
  MAX_MISMATCH_EXAMPLES,
  type TextInNumbers,
  type TypeMismatch,
} from "./column-builder.ts";

/** Decoded cells, column-major, as the format readers produce them. */
export interface RawTable {
  names: string[];
  columns: RawValue[][];
  rowCount: number;
}

/** The typed frame of builders that have seen every row (see `ColumnBuilder.complete`). */
export function finishColumns(
  builders: ColumnBuilder[],
  rowCount: number,
): {
  frame: Frame;
  mismatches: ColumnMismatches[];
  textInNumbers: TextInNumbers[];
} {
  const mismatches: ColumnMismatches[] = [];
  const mixed: TextInNumbers[] = [];
  const columns = builders.map((builder) => {
    const done = builder.finish();
    if (done.mismatches) mismatches.push(done.mismatches);
    if (done.textInNumbers) mixed.push(done.textInNumbers);
    return done.column;
  });
  return { frame: { rowCount, columns }, mismatches, textInNumbers: mixed };
}

/** The builder of column `name`: declared kind (when `columnTypes` has one) and the reading. */
export function columnBuilder(
  name: string,
  columnTypes: Record<string, ColumnKind>,
  read: ReturnType<typeof cellReader>,
  capacity: number,
): ColumnBuilder {
  const declared = Object.hasOwn(columnTypes, name) ? columnTypes[name] : undefined;
  return new ColumnBuilder(name, declared, read, capacity);
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
  const builders = table.names.map((name, c) => {
    const builder = columnBuilder(name, columnTypes, read, table.rowCount);
    const cells = table.columns[c];
    for (let r = 0; r < table.rowCount; r++) builder.push(cells[r], r);
    const again = builder.complete(table.rowCount);
    for (let r = 0; r < again; r++) builder.refill(cells[r], r);
    return builder;
  });
  return finishColumns(builders, table.rowCount);
}

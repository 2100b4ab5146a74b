/**
 * Exact duplicate rows, judged on all columns or the given ones: the first occurrence is kept.
 * Two missing cells are equal; `0` and `-0` are equal. Categorical cells compare by level
 * text, so the result does not depend on how levels are coded.
 */

import type { Frame } from "../data/frame.ts";
import { getColumn, takeRows } from "../data/frame.ts";
import { MissingColumnError } from "../errors.ts";
import { columnStrings } from "./values.ts";

export interface DedupeResult {
  frame: Frame;
  removed: number;
  /** Row indices of the input that were kept, ascending. */
  keptIndices: Int32Array;
}

export function dedupeRows(frame: Frame, columns?: readonly string[]): DedupeResult {
  const cols =
    columns === undefined
      ? frame.columns
      : columns.map((name) => {
          const col = getColumn(frame, name);
          if (!col) {
            throw new MissingColumnError(
              `dedupe column "${name}" is not in the data (columns: ${frame.columns.map((c) => c.name).join(", ")}); fix the column name`,
              { column: name },
            );
          }
          return col;
        });
  const cells = cols.map((col) => {
    if (col.kind === "categorical")
      return columnStrings(col).map((s) => (s === null ? "" : `s${s}`));
    return Array.from(col.values, (v) => (Number.isNaN(v) ? "" : `n${v === 0 ? 0 : v}`));
  });
  const seen = new Set<string>();
  const kept: number[] = [];
  for (let r = 0; r < frame.rowCount; r++) {
    // JSON of the cell list is an injective key: level text may contain any separator.
    const key = JSON.stringify(cells.map((c) => c[r]));
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(r);
  }
  const keptIndices = Int32Array.from(kept);
  return {
    frame: takeRows(frame, keptIndices),
    removed: frame.rowCount - kept.length,
    keptIndices,
  };
}

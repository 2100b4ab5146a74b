/**
 * Exact duplicate rows, judged on all columns or the given ones: the first occurrence is kept.
 * Two missing cells are equal; `0` and `-0` are equal. Categorical cells compare by code,
 * which within one frame is comparing level text (see data/equal-rows.ts).
 */

import { firstEqualRows } from "../data/equal-rows.ts";
import type { Frame } from "../data/frame.ts";
import { getColumn, takeRows } from "../data/frame.ts";
import { MissingColumnError } from "../errors.ts";

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
  const earlier = firstEqualRows(cols, frame.rowCount);
  const kept: number[] = [];
  for (let r = 0; r < frame.rowCount; r++) if (earlier[r] < 0) kept.push(r);
  const keptIndices = Int32Array.from(kept);
  return {
    frame: takeRows(frame, keptIndices),
    removed: frame.rowCount - kept.length,
    keptIndices,
  };
}

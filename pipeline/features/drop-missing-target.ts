/**
 * `preprocessing.dropMissingTarget: true`: rows whose target is missing are left out before
 * deduplication and the split, and counted, instead of failing validation (the default).
 */
import { type Frame, getColumn, MISSING_CODE, takeRows } from "../data/frame.ts";
import { MissingColumnError } from "../errors.ts";

export function dropMissingTarget(frame: Frame, target: string): { frame: Frame; removed: number } {
  const col = getColumn(frame, target);
  if (!col) {
    throw new MissingColumnError(`target column "${target}" is not in the data; fix target`, {
      column: target,
    });
  }
  const kept: number[] = [];
  for (let r = 0; r < frame.rowCount; r++) {
    const missing =
      col.kind === "numeric" ? Number.isNaN(col.values[r]) : col.codes[r] === MISSING_CODE;
    if (!missing) kept.push(r);
  }
  if (kept.length === frame.rowCount) return { frame, removed: 0 };
  return { frame: takeRows(frame, Int32Array.from(kept)), removed: frame.rowCount - kept.length };
}

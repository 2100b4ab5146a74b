/**
 * Per-column statistics and exact-duplicate detection for the validation report. All numbers
 * are JSON-safe: statistics that do not exist (no values, or one value for `std`) are null.
 */

import { firstEqualRows } from "./equal-rows.ts";
import { type Column, type Frame, MISSING_CODE } from "./frame.ts";
import type { ColumnRole } from "./infer-schema.ts";

export interface NumericStats {
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Sample standard deviation (n − 1), null with fewer than two values. */
  std: number | null;
}

export interface ColumnProfile {
  name: string;
  kind: "numeric" | "categorical";
  role: ColumnRole;
  missing: number;
  /** missing / rows, 0 for an empty frame. */
  missingShare: number;
  /** Distinct non-missing values. */
  distinct: number;
  /** Present for numeric columns only. */
  stats?: NumericStats;
}

function numericStats(values: Float64Array): {
  stats: NumericStats;
  missing: number;
  distinct: number;
} {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    n++;
    // Welford's update: stable for large values where sum-of-squares would cancel.
    const delta = v - mean;
    mean += delta / n;
    m2 += delta * (v - mean);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const stats: NumericStats =
    n === 0
      ? { min: null, max: null, mean: null, std: null }
      : { min, max, mean, std: n > 1 ? Math.sqrt(m2 / (n - 1)) : null };
  return { stats, missing: values.length - n, distinct: distinctCount(values, n) };
}

/** Distinct present values (0 and -0 alike), by sorting a copy: a Set of a million numbers is slower. */
function distinctCount(values: Float64Array, present: number): number {
  const sorted = new Float64Array(present);
  let j = 0;
  for (const v of values) if (!Number.isNaN(v)) sorted[j++] = v;
  sorted.sort();
  let distinct = 0;
  for (let i = 0; i < present; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
  return distinct;
}

export function profileColumn(col: Column, role: ColumnRole, rows: number): ColumnProfile {
  const base = { name: col.name, kind: col.kind, role };
  if (col.kind === "numeric") {
    const { stats, missing, distinct } = numericStats(col.values);
    return { ...base, missing, missingShare: rows === 0 ? 0 : missing / rows, distinct, stats };
  }
  const used = new Set<number>();
  let missing = 0;
  for (const code of col.codes) {
    if (code === MISSING_CODE) missing++;
    else used.add(code);
  }
  return { ...base, missing, missingShare: rows === 0 ? 0 : missing / rows, distinct: used.size };
}

/**
 * Rows equal in every column to an earlier row. `first` names the first such row and the
 * earlier row it repeats (1-based data rows).
 */
export function duplicateRows(frame: Frame): {
  count: number;
  first?: { row: number; of: number };
} {
  const earlier = firstEqualRows(frame.columns, frame.rowCount);
  let count = 0;
  let first: { row: number; of: number } | undefined;
  for (let r = 0; r < frame.rowCount; r++) {
    if (earlier[r] < 0) continue;
    count++;
    first ??= { row: r + 1, of: earlier[r] + 1 };
  }
  return { count, first };
}

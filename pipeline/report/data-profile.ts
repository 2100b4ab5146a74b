/**
 * The data section of the report, summarised from the raw snapshot: per column its kind,
 * role, missing share and statistics, with a histogram (numeric: equal-width bins between
 * min and max) or level counts (categorical: the most frequent levels, the rest as one bar);
 * the target's distribution; Pearson correlations between numeric features over the rows
 * where both are present. Above `PROFILE_SAMPLE_ROWS` rows all of it is computed on a seeded
 * sample of that many rows (the profile's `sample` says so): its cost and memory stay flat as
 * the data grows, and the shapes it shows do not need every row. Exact counts are elsewhere:
 * the validation report covers every row.
 */
import { type Column, type Frame, MISSING_CODE, takeRows } from "../data/frame.ts";
import type { Bin } from "./charts.ts";
import { PROFILE_SAMPLE_STREAM, seededSample } from "./sample.ts";

export const HISTOGRAM_BINS = 20;
export const LEVELS_SHOWN = 15;
export const CORRELATION_COLUMNS = 12;
/** Rows above which the profile is computed on a seeded sample of this many. */
export const PROFILE_SAMPLE_ROWS = 50_000;

export type ColumnRole = "feature" | "target" | "id" | "time" | "dropped";

export interface ColumnSummary {
  name: string;
  kind: "numeric" | "categorical";
  role: ColumnRole;
  missingShare: number;
  distinct: number;
  stats: { min: number; max: number; mean: number; std: number | null } | null;
  histogram: Bin[] | null;
  /** Most frequent first; `(other)` sums the rest. */
  levels: { label: string; value: number }[] | null;
}

export interface DataProfile {
  /** Rows profiled: all of them, or the sample's. */
  rows: number;
  /** Set when the profile was computed on a seeded sample of `rows` of the `of` rows. */
  sample?: { of: number; seed: number } | null;
  columns: ColumnSummary[];
  /** Pairs (a, b) and (b, a) both present, diagonal 1; at most CORRELATION_COLUMNS columns. */
  correlations: { names: string[]; matrix: (number | null)[][] };
}

/**
 * The profile of `frame`; with `sampling`, of a sample of `maxRows` rows (default
 * PROFILE_SAMPLE_ROWS) drawn with `seed` when the frame has more.
 */
export function profileData(
  all: Frame,
  roles: (name: string) => ColumnRole,
  sampling?: { seed: number; maxRows?: number },
): DataProfile {
  const maxRows = sampling?.maxRows ?? PROFILE_SAMPLE_ROWS;
  const sampled = sampling !== undefined && all.rowCount > maxRows;
  const frame = sampled
    ? takeRows(all, seededSample(all.rowCount, maxRows, sampling.seed, PROFILE_SAMPLE_STREAM))
    : all;
  const columns = frame.columns.map((col) => summarise(col, roles(col.name), frame.rowCount));
  const numeric = frame.columns
    .filter(
      (c): c is Extract<Column, { kind: "numeric" }> =>
        c.kind === "numeric" && roles(c.name) === "feature",
    )
    .slice(0, CORRELATION_COLUMNS);
  const matrix = numeric.map((a) =>
    numeric.map((b) => (a === b ? 1 : pearson(a.values, b.values))),
  );
  return {
    rows: frame.rowCount,
    ...(sampled ? { sample: { of: all.rowCount, seed: sampling.seed } } : {}),
    columns,
    correlations: { names: numeric.map((c) => c.name), matrix },
  };
}

function summarise(col: Column, role: ColumnRole, rows: number): ColumnSummary {
  if (col.kind === "numeric") {
    const present = col.values.filter((v) => !Number.isNaN(v));
    const n = present.length;
    let stats: ColumnSummary["stats"] = null;
    if (n > 0) {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      let sum = 0;
      for (const v of present) {
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
      }
      const mean = sum / n;
      let ss = 0;
      for (const v of present) ss += (v - mean) ** 2;
      stats = { min, max, mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : null };
    }
    return {
      name: col.name,
      kind: "numeric",
      role,
      missingShare: rows === 0 ? 0 : (rows - n) / rows,
      distinct: new Set(present).size,
      stats,
      histogram: stats ? histogram(present, stats.min, stats.max) : null,
      levels: null,
    };
  }
  const counts = new Array<number>(col.levels.length).fill(0);
  let missing = 0;
  for (const c of col.codes) {
    if (c === MISSING_CODE) missing++;
    else counts[c]++;
  }
  const byLevel = col.levels
    .map((label, i) => ({ label, value: counts[i] }))
    .filter((l) => l.value > 0)
    .sort((a, b) => b.value - a.value || (a.label < b.label ? -1 : 1));
  const shown = byLevel.slice(0, LEVELS_SHOWN);
  const rest = byLevel.slice(LEVELS_SHOWN).reduce((s, l) => s + l.value, 0);
  if (rest > 0)
    shown.push({ label: `(${byLevel.length - LEVELS_SHOWN} other levels)`, value: rest });
  return {
    name: col.name,
    kind: "categorical",
    role,
    missingShare: rows === 0 ? 0 : missing / rows,
    distinct: byLevel.length,
    stats: null,
    histogram: null,
    levels: shown,
  };
}

/** Equal-width bins over [min, max] (the last bin closed); one bin when all values are equal. */
export function histogram(
  values: ArrayLike<number>,
  min: number,
  max: number,
  bins = HISTOGRAM_BINS,
): Bin[] {
  if (max === min) return [{ x0: min, x1: max, count: values.length }];
  const width = (max - min) / bins;
  const out = Array.from({ length: bins }, (_, i) => ({
    x0: min + i * width,
    x1: i === bins - 1 ? max : min + (i + 1) * width,
    count: 0,
  }));
  for (let i = 0; i < values.length; i++) {
    out[Math.min(bins - 1, Math.floor((values[i] - min) / width))].count++;
  }
  return out;
}

/** Pearson's r over the rows where both are present; null with fewer than 2 or no spread. */
export function pearson(a: Float64Array, b: Float64Array): number | null {
  let n = 0;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) continue;
    n++;
    ma += a[i];
    mb += b[i];
  }
  if (n < 2) return null;
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) continue;
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  if (saa === 0 || sbb === 0) return null;
  return sab / Math.sqrt(saa * sbb);
}

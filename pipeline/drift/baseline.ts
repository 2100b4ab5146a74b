/**
 * The drift baseline: what a data snapshot looked like, kept small enough to store next to
 * every trained model and to compare any later data with. Numeric columns keep their decile
 * edges, the row count per decile bin (missing last) and a sorted sample for the KS
 * statistic; categorical columns keep the row count per level and the missing count.
 *
 * The KS sample is every present value up to `KS_SAMPLE_SIZE` (fewer per column when more than
 * 100 numeric columns share `KS_SAMPLE_BUDGET`), and above that a seeded uniform sample of
 * that size (without replacement), so a baseline of a large table stays small and the
 * statistic stays within about 1/√size of the full-data value.
 */
import { type Frame, MISSING_CODE } from "../data/frame.ts";
import { createRng, deriveSeed, randInt } from "../random.ts";
import { decileEdgesSorted, numericBinCounts, presentSorted } from "./psi.ts";

export const BASELINE_FORMAT = "orchard-drift-baseline";
export const BASELINE_VERSION = 1;
export const KS_SAMPLE_SIZE = 5000;
/** Sampled values over all numeric columns together, and the least any column keeps. */
export const KS_SAMPLE_BUDGET = 500_000;
export const KS_MIN_SAMPLE = 200;

export interface NumericBaseline {
  kind: "numeric";
  rows: number;
  /** Decile edges of the present values, ascending, distinct. */
  edges: number[];
  /** Rows per bin: `edges.length + 1` value bins, then missing. */
  counts: number[];
  /** Ascending present values (all, or a seeded sample of `KS_SAMPLE_SIZE`). */
  sample: number[];
}

export interface CategoricalBaseline {
  kind: "categorical";
  rows: number;
  /** Rows per level, keys in sorted order. */
  levels: Record<string, number>;
  missing: number;
}

export type ColumnBaseline = NumericBaseline | CategoricalBaseline;

export interface DriftBaseline {
  format: typeof BASELINE_FORMAT;
  version: typeof BASELINE_VERSION;
  rows: number;
  columns: Record<string, ColumnBaseline>;
}

export interface BaselineOptions {
  /** Columns left out (the entity id). */
  exclude?: readonly string[];
  /** Seed of the KS sample of large columns. */
  seed: number;
  sampleSize?: number;
}

export function buildBaseline(frame: Frame, options: BaselineOptions): DriftBaseline {
  const exclude = new Set(options.exclude ?? []);
  // Wide data shares a budget, so a baseline stays a few MiB whatever the column count.
  const numeric = frame.columns.filter((c) => c.kind === "numeric" && !exclude.has(c.name)).length;
  const size = Math.min(
    options.sampleSize ?? KS_SAMPLE_SIZE,
    Math.max(KS_MIN_SAMPLE, Math.floor(KS_SAMPLE_BUDGET / Math.max(1, numeric))),
  );
  const columns: Record<string, ColumnBaseline> = {};
  frame.columns.forEach((col, index) => {
    if (exclude.has(col.name)) return;
    if (col.kind === "numeric") {
      // Sorted once for both the edges and the KS sample.
      const sorted = presentSorted(col.values);
      const edges = decileEdgesSorted(sorted);
      columns[col.name] = {
        kind: "numeric",
        rows: frame.rowCount,
        edges,
        counts: numericBinCounts(edges, col.values),
        sample: Array.from(ksSample(sorted, size, deriveSeed(options.seed, index))),
      };
      return;
    }
    columns[col.name] = { kind: "categorical", rows: frame.rowCount, ...levelCounts(col) };
  });
  return { format: BASELINE_FORMAT, version: BASELINE_VERSION, rows: frame.rowCount, columns };
}

/** Rows per level (sorted keys) and missing rows of a categorical column. */
export function levelCounts(col: { codes: Int32Array; levels: string[] }): {
  levels: Record<string, number>;
  missing: number;
} {
  const perCode = new Array<number>(col.levels.length).fill(0);
  let missing = 0;
  for (const code of col.codes) {
    if (code === MISSING_CODE) missing++;
    else perCode[code]++;
  }
  const levels: Record<string, number> = {};
  const order = col.levels.map((level, code) => ({ level, n: perCode[code] }));
  order.sort((a, b) => (a.level < b.level ? -1 : a.level > b.level ? 1 : 0));
  for (const { level, n } of order) if (n > 0) levels[level] = (levels[level] ?? 0) + n;
  return { levels, missing };
}

/**
 * The first `size` indices of a seeded Fisher–Yates shuffle (`shuffle` in random.ts), sorted.
 * The loop stops once positions `size`… are fixed: the shuffle's remaining steps only reorder
 * the first `size` positions, which the sort undoes, so the sample is the same.
 */
function ksSample(sorted: Float64Array, size: number, seed: number): Float64Array {
  if (sorted.length <= size) return sorted;
  const rng = createRng(seed);
  const order = new Uint32Array(sorted.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  for (let i = order.length - 1; i >= size; i--) {
    const j = randInt(rng, i + 1);
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  const picked = order.subarray(0, size).sort();
  return Float64Array.from(picked, (i) => sorted[i]);
}

/**
 * Where the baseline of a data snapshot is kept, by the snapshot's hash (the champion's
 * lineage names it). The file name does not start with the hash, so the store does not read
 * it as content-addressed (the JSON is not the snapshot's bytes).
 */
export function baselineKey(pipeline: string, dataSha256: string): string {
  return `${pipeline}/baselines/data-${dataSha256}.json`;
}

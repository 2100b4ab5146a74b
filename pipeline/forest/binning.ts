/**
 * Quantile binning of a row-major feature matrix into a column-major Uint8Array.
 *
 * Feature f gets at most `maxBins - 1` value bins plus one missing-value bin. Bin b of
 * feature f holds the values x with edge[b-1] < x <= edge[b]; the last value bin holds
 * everything above the last edge and the bin right after it (index `nValueBins[f]`) holds
 * NaN. Because the rule is "x <= edge goes to a lower bin", a split after bin b is exactly
 * `x <= edge[b]` on raw values, so trained trees predict without binning.
 *
 * Edges are midpoints between distinct values when a feature has few of them, otherwise
 * midpoints at evenly spaced quantiles of its distinct values (see quantileEdges), computed
 * on at most BIN_SAMPLE_ROWS seeded sampled rows. -Infinity and +Infinity have end bins of
 * their own.
 */
import type { FeatureMatrix } from "../data/frame.ts";
import { createRng, randInt } from "../random.ts";
import { sortFloat64 } from "./radix-sort.ts";

/** Rows used to place the edges; more only costs sort time. */
export const BIN_SAMPLE_ROWS = 200_000;

/** Values copied out for sorting at a time (4 MiB): bounds binning's extra memory. */
const SORT_BUFFER_VALUES = 1 << 19;

export interface BinnedFeatures {
  nRows: number;
  nFeatures: number;
  /** Column-major: the bin of row r, feature f is `binned[f * nRows + r]`. */
  binned: Uint8Array;
  /** Value bins per feature; the missing bin of feature f is `nValueBins[f]`. */
  nValueBins: Int32Array;
  /** Upper edges, feature f's at `edgeOffset[f]` .. `edgeOffset[f + 1]` (nValueBins[f] - 1). */
  edges: Float64Array;
  edgeOffset: Int32Array;
  /**
   * The smallest and largest value binned into each value bin, feature f's bin b at
   * `edgeOffset[f] + f + b` (+Infinity / -Infinity for a bin no row fell into). A split
   * between two bins of a node puts its threshold midway between the values the node holds,
   * as scikit-learn does, rather than at the edge of the lower bin.
   */
  binLow: Float64Array;
  binHigh: Float64Array;
}

/**
 * Upper edges of at most `maxValueBins` bins for one feature's sorted non-NaN values
 * (±Infinity included). Edges sit between distinct values: every one when there are at most
 * `maxValueBins` of them (then splits are exactly scikit-learn's), otherwise at evenly spaced
 * quantiles of the distinct values. Quantiles of the distinct values, not of all values: a
 * value shared by 90 % of the rows would otherwise take 90 % of the bins, and a rare class
 * at the top of a heavily tied column would share its bin with common values.
 */
export function quantileEdges(sorted: Float64Array, maxValueBins: number): number[] {
  const n = sorted.length;
  const edges: number[] = [];
  if (n === 0) return edges;
  const distinct = new Float64Array(n);
  let d = 1;
  distinct[0] = sorted[0];
  for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) distinct[d++] = sorted[i];
  if (d <= maxValueBins) {
    for (let i = 1; i < d; i++) edges.push(splitPoint(distinct[i - 1], distinct[i]));
    return edges;
  }
  // -Infinity and +Infinity keep end bins of their own (when there are bins to spare); the
  // other bins cover the distinct values lo..hi-1, bin k from lo + round(k·m/B) on, and
  // m > B keeps the cuts increasing
  let lo = 0;
  let hi = d;
  let B = maxValueBins;
  const ownNeg = distinct[0] === Number.NEGATIVE_INFINITY && B > 1;
  if (ownNeg) {
    lo++;
    B--;
  }
  const ownPos = distinct[d - 1] === Number.POSITIVE_INFINITY && B > 1;
  if (ownPos) {
    hi--;
    B--;
  }
  if (ownNeg) edges.push(Number.NEGATIVE_INFINITY);
  const m = hi - lo;
  for (let k = 1; k < B; k++) {
    const i = lo + Math.round((k * m) / B);
    edges.push(splitPoint(distinct[i - 1], distinct[i]));
  }
  if (ownPos) edges.push(distinct[hi - 1]);
  return edges;
}

/**
 * A threshold t with a <= t < b for a < b, as scikit-learn's splitter picks it: the midpoint
 * a/2 + b/2 (a + b overflows for large values), or a itself when the midpoint rounds to b or
 * is infinite (b = +Infinity, a = -Infinity, or a and b adjacent doubles). So -Infinity and
 * +Infinity get bins of their own at the ends instead of sharing the extreme finite bins.
 */
export function splitPoint(a: number, b: number): number {
  const mid = a / 2 + b / 2;
  return mid >= a && mid < b && Number.isFinite(mid) ? mid : a;
}

/** The bin of a non-NaN value: the first edge it does not exceed. */
export function binOf(edges: Float64Array, lo: number, hi: number, x: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (x <= edges[mid]) b = mid;
    else a = mid + 1;
  }
  return a - lo;
}

/**
 * Bins every feature. With `shared`, the binned matrix lives in a SharedArrayBuffer so
 * worker threads read it without a copy. X is read row by row (never down a column of the
 * row-major matrix, which would miss the cache on every value).
 */
export function binFeatures(
  X: FeatureMatrix,
  maxBins: number,
  seed: number,
  shared = false,
): BinnedFeatures {
  const { rows, cols, values } = X;
  const sample = sampleRows(rows, seed);
  const sampled = sample ? sample.length : rows;
  const nValueBins = new Int32Array(cols);
  const edgeOffset = new Int32Array(cols + 1);
  const allEdges: number[][] = [];
  const storage = shared ? new SharedArrayBuffer(rows * cols) : new ArrayBuffer(rows * cols);
  const binned = new Uint8Array(storage);
  // column-major copies of a few columns at a time (NaN dropped), each sorted in place; without
  // sampling the sort carries row numbers, so bins are assigned in one walk over sorted values
  const chunk = Math.max(1, Math.min(cols, Math.floor(SORT_BUFFER_VALUES / sampled)));
  const columns = new Float64Array(sampled * chunk);
  const rowOf = sample ? null : new Int32Array(sampled * chunk);
  const filled = new Int32Array(chunk);
  const binLow: number[] = [];
  const binHigh: number[] = [];
  for (let f0 = 0; f0 < cols; f0 += chunk) {
    const width = Math.min(chunk, cols - f0);
    filled.fill(0);
    for (let i = 0; i < sampled; i++) {
      const ro = (sample ? sample[i] : i) * cols + f0;
      for (let k = 0; k < width; k++) {
        const x = values[ro + k];
        if (Number.isNaN(x)) continue;
        const at = k * sampled + filled[k]++;
        columns[at] = x;
        if (rowOf) rowOf[at] = i;
      }
    }
    for (let k = 0; k < width; k++) {
      const f = f0 + k;
      const from = k * sampled;
      const to = from + filled[k];
      const rowsOfColumn = rowOf ? rowOf.subarray(from, to) : undefined;
      const sorted = sortFloat64(columns.subarray(from, to), rowsOfColumn);
      const edges = quantileEdges(sorted, maxBins - 1);
      allEdges.push(edges);
      nValueBins[f] = edges.length + 1;
      edgeOffset[f + 1] = edgeOffset[f] + edges.length;
      // sorted values: a bin's first value is its lowest, its last the highest
      const low = new Array<number>(nValueBins[f]).fill(Number.POSITIVE_INFINITY);
      const high = new Array<number>(nValueBins[f]).fill(Number.NEGATIVE_INFINITY);
      let e = 0;
      for (let i = 0; i < sorted.length; i++) {
        const x = sorted[i];
        while (e < edges.length && x > edges[e]) e++;
        if (low[e] === Number.POSITIVE_INFINITY) low[e] = x;
        high[e] = x;
      }
      binLow.push(...low);
      binHigh.push(...high);
      if (rowsOfColumn) {
        const base = f * rows;
        binned.fill(nValueBins[f], base, base + rows);
        let e = 0;
        for (let i = 0; i < sorted.length; i++) {
          const x = sorted[i];
          while (e < edges.length && x > edges[e]) e++;
          binned[base + rowsOfColumn[i]] = e;
        }
      }
    }
  }
  const edges = new Float64Array(edgeOffset[cols]);
  for (let f = 0; f < cols; f++) edges.set(allEdges[f], edgeOffset[f]);
  const lows = Float64Array.from(binLow);
  const highs = Float64Array.from(binHigh);
  if (sample) {
    for (let r = 0; r < rows; r++) {
      const ro = r * cols;
      for (let f = 0; f < cols; f++) {
        const x = values[ro + f];
        if (Number.isNaN(x)) {
          binned[f * rows + r] = nValueBins[f];
          continue;
        }
        const b = binOf(edges, edgeOffset[f], edgeOffset[f + 1], x);
        binned[f * rows + r] = b;
        // rows outside the sample widen their bin's range
        const at = edgeOffset[f] + f + b;
        if (x < lows[at]) lows[at] = x;
        if (x > highs[at]) highs[at] = x;
      }
    }
  }
  return {
    nRows: rows,
    nFeatures: cols,
    binned,
    nValueBins,
    edges,
    edgeOffset,
    binLow: lows,
    binHigh: highs,
  };
}

/** A seeded sorted sample of row indices when there are too many rows to sort them all. */
function sampleRows(rows: number, seed: number): Int32Array | null {
  if (rows <= BIN_SAMPLE_ROWS) return null;
  const rng = createRng(seed ^ 0x5bd1e995);
  const picked = new Uint8Array(rows);
  const out = new Int32Array(BIN_SAMPLE_ROWS);
  let n = 0;
  while (n < BIN_SAMPLE_ROWS) {
    const r = randInt(rng, rows);
    if (picked[r] === 0) {
      picked[r] = 1;
      out[n++] = r;
    }
  }
  return out.sort();
}

/**
 * Population stability index (PSI) and the binning it is computed over.
 *
 *   PSI = Σ_i (a_i − e_i) · ln(a_i / e_i)
 *
 * over bins i, with e_i the baseline's share and a_i the incoming data's share of rows in bin
 * i. An empty bin on either side would make the logarithm infinite, so shares are floored at
 * `PSI_EPSILON` (the usual practice; the floor is what an independent implementation must use
 * to get the same numbers). Missing values are a bin of their own on both sides, so a feature
 * that suddenly arrives empty shows up as drift rather than disappearing from the sums.
 *
 * Numeric bins are the baseline's deciles: edges at the 10 %, 20 %, …, 90 % quantiles of the
 * baseline's present values (linear interpolation, numpy's default), repeated edges merged;
 * a value v falls in bin `#edges < v`, so bins are (−∞, e1], (e1, e2], …, (e9, ∞).
 */

/** The share every bin is floored at before the logarithm. */
export const PSI_EPSILON = 1e-4;

/** The q-quantile of sorted values, linear interpolation between order statistics (numpy). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - lo;
  return frac === 0 ? sorted[lo] : sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

/** Sorted copy of the present (non-NaN) values. */
export function presentSorted(values: ArrayLike<number>): Float64Array {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) count++;
  const out = new Float64Array(count);
  let j = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) out[j++] = values[i];
  return out.sort();
}

/** The baseline's decile edges (distinct, ascending); empty when there are no values. */
export function decileEdges(values: ArrayLike<number>): number[] {
  return decileEdgesSorted(presentSorted(values));
}

/** `decileEdges` of values already sorted with the missing left out (`presentSorted`). */
export function decileEdgesSorted(sorted: Float64Array): number[] {
  if (sorted.length === 0) return [];
  const edges: number[] = [];
  for (let k = 1; k <= 9; k++) {
    const e = quantileSorted(sorted, k / 10);
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  return edges;
}

/** The bin of a present value: how many edges lie strictly below it. */
export function binOf(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Row counts per bin: `edges.length + 1` value bins, then the missing bin last. */
export function numericBinCounts(edges: readonly number[], values: ArrayLike<number>): number[] {
  const counts = new Array<number>(edges.length + 2).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    counts[Number.isNaN(v) ? edges.length + 1 : binOf(edges, v)]++;
  }
  return counts;
}

/**
 * PSI between two count vectors over the same bins. Bins empty on both sides contribute
 * nothing; either side with no rows at all gives NaN (there is nothing to compare).
 */
export function psiFromCounts(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length) {
    throw new RangeError(
      `psiFromCounts: ${expected.length} baseline bins but ${actual.length} incoming bins; both must count the same bins`,
    );
  }
  const eTotal = expected.reduce((s, x) => s + x, 0);
  const aTotal = actual.reduce((s, x) => s + x, 0);
  if (eTotal === 0 || aTotal === 0) return Number.NaN;
  let psi = 0;
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] === 0 && actual[i] === 0) continue;
    const e = Math.max(expected[i] / eTotal, PSI_EPSILON);
    const a = Math.max(actual[i] / aTotal, PSI_EPSILON);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

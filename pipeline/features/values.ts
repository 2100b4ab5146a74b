/**
 * Shared value helpers for the transformers: how a categorical cell reads as a string, how
 * strings sort, and linear quantiles. Sorting compares Unicode code points (not UTF-16 code
 * units) so that level order matches Python/NumPy, which is what scikit-learn sorts by.
 */

import type { Column } from "../data/frame.ts";
import { MISSING_CODE } from "../data/frame.ts";

/** A number as the label text Orchard uses everywhere: `1` not `1.0`, `-0` reads as `0`. */
export function canonicalNumber(value: number): string {
  return Object.is(value, -0) ? "0" : String(value);
}

/** Orders strings by Unicode code point, like Python's `<` on `str`. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF, so they sort after every
    // other BMP unit; the remaining units already compare in code-point order.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** The sorted distinct strings of `values` (missing ignored). */
export function sortedLevels(values: Iterable<string | null>): string[] {
  const set = new Set<string>();
  for (const v of values) if (v !== null) set.add(v);
  return [...set].sort(compareCodePoints);
}

/**
 * A column read as text, one entry per row, `null` for missing. A numeric column declared
 * categorical reads as canonical number text, so `2` in a CSV and `"2"` in JSON are one level.
 */
export function columnStrings(col: Column): (string | null)[] {
  const out = new Array<string | null>(
    col.kind === "numeric" ? col.values.length : col.codes.length,
  );
  if (col.kind === "numeric") {
    for (let i = 0; i < out.length; i++) {
      const v = col.values[i];
      out[i] = Number.isNaN(v) ? null : canonicalNumber(v);
    }
    return out;
  }
  for (let i = 0; i < out.length; i++) {
    const c = col.codes[i];
    out[i] = c === MISSING_CODE ? null : col.levels[c];
  }
  return out;
}

/** The non-missing values of `values`, sorted ascending. */
export function sortedPresent(values: ArrayLike<number>): Float64Array {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) count++;
  const out = new Float64Array(count);
  let j = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) out[j++] = values[i];
  return out.sort();
}

/**
 * The q-quantile (0 <= q <= 1) of ascending `sorted` values with NumPy's default "linear"
 * method, including NumPy's two-sided interpolation formula so results agree to the last bit
 * in most cases. NaN for an empty input.
 */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const index = (n - 1) * q;
  const lo = Math.floor(index);
  const hi = Math.min(lo + 1, n - 1);
  const t = index - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  if (a === b) return a;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** The median of ascending `sorted` values: the mean of the middle two for even counts. */
/**
 * `medianSorted(sortedPresent(values))` without sorting: the middle order statistics by
 * selection (expected linear time), the same number a sort would give.
 */
export function medianPresent(values: ArrayLike<number>): number {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) count++;
  if (count === 0) return Number.NaN;
  const a = new Float64Array(count);
  let j = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) a[j++] = values[i];
  const mid = count >> 1;
  const upper = select(a, mid);
  if (count % 2 === 1) return upper;
  // The lower middle is the largest value left of `mid` after selection.
  let lower = a[0];
  for (let i = 1; i < mid; i++) if (a[i] > lower) lower = a[i];
  return (lower + upper) / 2;
}

/** Rearranges `a` so that a[k] is its k-th smallest value, smaller ones before it; returns a[k]. */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    // Median of three as pivot: sorted or reversed input stays linear.
    const m = (lo + hi) >>> 1;
    const p = Math.max(Math.min(a[lo], a[m]), Math.min(Math.max(a[lo], a[m]), a[hi]));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

export function medianSorted(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The two-sample Kolmogorov–Smirnov statistic: the largest distance between the empirical
 * distribution functions of two samples, D = sup_x |F_a(x) − F_b(x)| (scipy's `ks_2samp`
 * statistic). Missing values (NaN) are left out of both samples.
 */
import { presentSorted } from "./psi.ts";

/** D for two samples; NaN when either has no present values. */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return ksStatisticSorted(presentSorted(a), presentSorted(b));
}

/** D for two ascending samples without NaN (walks both once). */
export function ksStatisticSorted(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return Number.NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    // Step both ECDFs past the next value x (ties on either side move together).
    const x = Math.min(a[i], b[j]);
    while (i < n && a[i] === x) i++;
    while (j < m && b[j] === x) j++;
    const gap = Math.abs(i / n - j / m);
    if (gap > d) d = gap;
  }
  return d;
}

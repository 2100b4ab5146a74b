/**
 * Forward-chaining cross-validation folds for a time-based split, with scikit-learn's
 * `TimeSeriesSplit(n_splits=k)` semantics over the rows in time order: with n rows, each test
 * fold has floor(n / (k + 1)) rows, fold i tests the i-th such block of the last k blocks and
 * trains on every row before it (the first n - k·floor(n/(k+1)) rows are only ever trained on).
 * So no fold is scored on rows earlier than the rows it learnt from, as the final time split
 * is not. Rows are ordered by time, ties by row index, so equal times keep their file order.
 */
import { InsufficientDataError, SpecError } from "../errors.ts";
import { type Split, sortedIndices } from "./indices.ts";

export function timeSeriesFolds(times: Float64Array, k: number): Split[] {
  if (!(Number.isInteger(k) && k >= 2)) {
    throw new SpecError(`the number of folds must be a whole number >= 2, got ${k}; 5 is common`, {
      path: "search.folds",
    });
  }
  const n = times.length;
  if (n < k + 1) {
    throw new InsufficientDataError(
      `cannot make ${k} forward-chaining folds from ${n} rows (it takes at least ${k + 1}); use at most ${n - 1} folds or add rows`,
    );
  }
  const order = Int32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => times[a] - times[b] || a - b,
  );
  const size = Math.floor(n / (k + 1));
  const first = n - k * size;
  return Array.from({ length: k }, (_, f) => {
    const start = first + f * size;
    return {
      train: sortedIndices(order.subarray(0, start)),
      test: sortedIndices(order.subarray(start, start + size)),
    };
  });
}

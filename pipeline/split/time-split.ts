/**
 * Hold-out by time: the latest rows are the test set. The target size is
 * ceil(n * testFraction); rows sharing the boundary timestamp are never split across sides —
 * the whole tied group goes to whichever side brings the test size closer to the target
 * (to train on an exact draw), so the result depends only on the values.
 */

import { InsufficientDataError, MissingValueError } from "../errors.ts";
import { checkTestFraction, indicesWhere, type Split, testSize } from "./indices.ts";

export interface TimeSplitOptions {
  /** The time column's name, for error messages. */
  column?: string;
}

export function timeSplit(
  timeValues: Float64Array,
  testFraction: number,
  options: TimeSplitOptions = {},
): Split {
  checkTestFraction(testFraction);
  const n = timeValues.length;
  const column = options.column ?? "time";
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(timeValues[i])) {
      throw new MissingValueError(
        `time column "${column}" is missing at row ${i + 1}; a time split needs a time on every row — drop or fill those rows`,
        { column, row: i + 1 },
      );
    }
  }
  const target = testSize(n, testFraction);
  if (n < 2 || target >= n) {
    throw new InsufficientDataError(
      `cannot hold out ${target} of ${n} rows by time and keep rows to train on; add rows or lower testFraction`,
    );
  }
  const sorted = Float64Array.from(timeValues).sort();
  const boundary = sorted[n - target];
  // Test = strictly later than the boundary, or also the rows at the boundary.
  let later = 0;
  let atOrLater = 0;
  for (let i = 0; i < n; i++) {
    if (timeValues[i] > boundary) later++;
    if (timeValues[i] >= boundary) atOrLater++;
  }
  const candidates = [
    { inclusive: false, size: later },
    { inclusive: true, size: atOrLater },
  ].filter((o) => o.size > 0 && o.size < n);
  if (candidates.length === 0) {
    throw new InsufficientDataError(
      `all ${n} rows of time column "${column}" have the same time, so no later rows can be held out; use a random split`,
      { column },
    );
  }
  const best = candidates.reduce((a, b) =>
    Math.abs(b.size - target) < Math.abs(a.size - target) ? b : a,
  );
  const inTest = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const t = timeValues[i];
    if (best.inclusive ? t >= boundary : t > boundary) inTest[i] = 1;
  }
  return { train: indicesWhere(inTest, 0), test: indicesWhere(inTest, 1) };
}

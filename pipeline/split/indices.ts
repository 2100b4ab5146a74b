/** Small helpers shared by the splitters. */

import { SpecError } from "../errors.ts";

export interface Split {
  /** Row indices, ascending. */
  train: Int32Array;
  /** Row indices, ascending. */
  test: Int32Array;
}

/** Sorted Int32Array of `indices`. */
export function sortedIndices(indices: ArrayLike<number>): Int32Array {
  return Int32Array.from(indices).sort();
}

/** The positions where `mask` equals `want`, ascending. */
export function indicesWhere(mask: Uint8Array, want: 0 | 1): Int32Array {
  let count = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === want) count++;
  const out = new Int32Array(count);
  let j = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === want) out[j++] = i;
  return out;
}

export function checkTestFraction(testFraction: number): void {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new SpecError(
      `testFraction must be between 0 and 1 (exclusive), got ${testFraction}; 0.2 is a common choice`,
      { path: "split.testFraction" },
    );
  }
}

/** Test-set size like scikit-learn: ceil(n * testFraction). */
export function testSize(n: number, testFraction: number): number {
  return Math.ceil(n * testFraction);
}

/** Rows grouped by class code: members[c] lists the rows of class c in ascending order. */
export function groupByClass(codes: Int32Array): number[][] {
  const members: number[][] = [];
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (!(c >= 0)) {
      throw new RangeError(`class codes must be >= 0, got ${c} at index ${i}`);
    }
    while (members.length <= c) members.push([]);
    members[c].push(i);
  }
  return members;
}

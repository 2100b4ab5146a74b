/**
 * Seeded hold-out split. The test set has ceil(n * testFraction) rows, as in scikit-learn.
 *
 * Stratified: each class gets test rows in proportion to its size (largest remainders, ties
 * broken by a seeded order), and every class with at least 2 rows gets at least one row on each
 * side whenever the test size allows it; a class with a single row may land on either side.
 */

import { InsufficientDataError } from "../errors.ts";
import { createRng, deriveSeed, shuffle } from "../random.ts";
import {
  checkTestFraction,
  groupByClass,
  indicesWhere,
  type Split,
  sortedIndices,
  testSize,
} from "./indices.ts";

export interface TrainTestOptions {
  testFraction: number;
  seed: number;
  /** Class code per row; when given, the split is stratified by it. */
  stratify?: Int32Array;
}

export function trainTestSplit(n: number, options: TrainTestOptions): Split {
  const { testFraction, seed, stratify } = options;
  checkTestFraction(testFraction);
  const nTest = testSize(n, testFraction);
  if (n < 2 || nTest >= n) {
    throw new InsufficientDataError(
      `cannot hold out ${nTest} of ${n} rows and keep rows to train on; add rows or lower testFraction`,
    );
  }
  if (stratify === undefined) {
    const order = shuffle(
      Int32Array.from({ length: n }, (_, i) => i),
      createRng(seed),
    );
    return {
      train: sortedIndices(order.subarray(nTest)),
      test: sortedIndices(order.subarray(0, nTest)),
    };
  }
  if (stratify.length !== n) {
    throw new RangeError(`stratify has ${stratify.length} codes for ${n} rows`);
  }
  const members = groupByClass(stratify);
  const counts = members.map((m) => m.length);
  const allocation = allocateTest(counts, nTest, seed);
  const taken = new Uint8Array(n);
  members.forEach((rows, c) => {
    const picked = shuffle([...rows], createRng(deriveSeed(seed, c + 1)));
    for (let i = 0; i < allocation[c]; i++) taken[picked[i]] = 1;
  });
  return { train: indicesWhere(taken, 0), test: indicesWhere(taken, 1) };
}

/**
 * Test rows per class summing to `nTest`: proportional shares rounded by largest remainder,
 * kept within [1, count-1] for classes of 2+ rows when the total allows it.
 */
export function allocateTest(counts: number[], nTest: number, seed: number): number[] {
  const n = counts.reduce((a, b) => a + b, 0);
  const ideal = counts.map((c) => (c * nTest) / n);
  let lo = counts.map((c) => (c >= 2 ? 1 : 0));
  let hi = counts.map((c) => (c >= 2 ? c - 1 : c));
  if (sum(lo) > nTest) lo = counts.map(() => 0);
  if (sum(hi) < nTest) hi = [...counts];
  // A seeded priority breaks equal remainders, so no class is favoured by its code.
  const priority = shuffle(
    counts.map((_, i) => i),
    createRng(deriveSeed(seed, 0)),
  );
  const rank = new Array<number>(counts.length);
  priority.forEach((c, i) => {
    rank[c] = i;
  });
  const alloc = ideal.map((x, c) => Math.min(hi[c], Math.max(lo[c], Math.floor(x))));
  let total = sum(alloc);
  while (total < nTest) {
    let best = -1;
    for (let c = 0; c < counts.length; c++) {
      if (alloc[c] >= hi[c]) continue;
      if (best < 0 || better(ideal[c] - alloc[c], rank[c], ideal[best] - alloc[best], rank[best])) {
        best = c;
      }
    }
    alloc[best]++;
    total++;
  }
  while (total > nTest) {
    let best = -1;
    for (let c = 0; c < counts.length; c++) {
      if (alloc[c] <= lo[c]) continue;
      if (best < 0 || better(alloc[c] - ideal[c], rank[c], alloc[best] - ideal[best], rank[best])) {
        best = c;
      }
    }
    alloc[best]--;
    total--;
  }
  return alloc;
}

function better(gap: number, rank: number, bestGap: number, bestRank: number): boolean {
  return gap > bestGap || (gap === bestGap && rank < bestRank);
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/**
 * Seeded k-fold cross-validation. Every row is in exactly one test fold and fold sizes differ
 * by at most one. Stratified folds also keep each class's count per fold within one of each
 * other: each class's rows are dealt out evenly, and the classes' leftover rows continue a
 * single round-robin so that whole folds stay balanced too.
 */

import { InsufficientDataError, SpecError } from "../errors.ts";
import { createRng, deriveSeed, randInt, shuffle } from "../random.ts";
import { groupByClass, indicesWhere, type Split } from "./indices.ts";

export function kFold(n: number, k: number, seed: number): Split[] {
  checkK(k);
  if (n < k) {
    throw new InsufficientDataError(
      `cannot make ${k} folds from ${n} rows; use at most ${n} folds or add rows`,
    );
  }
  const order = shuffle(
    Int32Array.from({ length: n }, (_, i) => i),
    createRng(seed),
  );
  const fold = new Int32Array(n);
  // Like scikit-learn's KFold: the first n % k folds get one extra row.
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    for (let i = start; i < start + size; i++) fold[order[i]] = f;
    start += size;
  }
  return foldsToSplits(fold, k);
}

export interface StratifiedKFoldOptions {
  /** Class names by code, for error messages. */
  classes?: readonly string[];
}

export function stratifiedKFold(
  codes: Int32Array,
  k: number,
  seed: number,
  options: StratifiedKFoldOptions = {},
): Split[] {
  checkK(k);
  const members = groupByClass(codes);
  members.forEach((rows, c) => {
    if (rows.length > 0 && rows.length < k) {
      const name = options.classes?.[c] ?? `code ${c}`;
      throw new InsufficientDataError(
        `class "${name}" has only ${rows.length} rows, fewer than the ${k} folds requested; use at most ${rows.length} folds or add rows of that class`,
      );
    }
  });
  const fold = new Int32Array(codes.length);
  const rng = createRng(deriveSeed(seed, 0));
  let next = randInt(rng, k);
  members.forEach((rows, c) => {
    const order = shuffle([...rows], createRng(deriveSeed(seed, c + 1)));
    const base = Math.floor(order.length / k);
    let at = 0;
    for (let f = 0; f < k; f++) {
      for (let i = 0; i < base; i++) fold[order[at++]] = f;
    }
    while (at < order.length) {
      fold[order[at++]] = next;
      next = (next + 1) % k;
    }
  });
  return foldsToSplits(fold, k);
}

function foldsToSplits(fold: Int32Array, k: number): Split[] {
  return Array.from({ length: k }, (_, f) => {
    const inTest = new Uint8Array(fold.length);
    for (let i = 0; i < fold.length; i++) if (fold[i] === f) inTest[i] = 1;
    return { train: indicesWhere(inTest, 0), test: indicesWhere(inTest, 1) };
  });
}

function checkK(k: number): void {
  if (!(Number.isInteger(k) && k >= 2)) {
    throw new SpecError(`the number of folds must be a whole number >= 2, got ${k}; 5 is common`, {
      path: "cv.folds",
    });
  }
}

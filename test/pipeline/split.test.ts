import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InsufficientDataError, MissingValueError, SpecError } from "../../pipeline/errors.ts";
import type { Split } from "../../pipeline/split/indices.ts";
import { kFold, stratifiedKFold } from "../../pipeline/split/k-fold.ts";
import { timeSplit } from "../../pipeline/split/time-split.ts";
import { trainTestSplit } from "../../pipeline/split/train-test.ts";

function isSorted(xs: Int32Array): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i - 1] >= xs[i]) return false;
  return true;
}

/** Train and test are ascending, disjoint, and together exactly 0..n-1. */
function expectPartition(split: Split, n: number): void {
  expect(isSorted(split.train) && isSorted(split.test)).toBe(true);
  const all = [...split.train, ...split.test].sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
}

function countBy(codes: Int32Array, rows: Int32Array, c: number): number {
  let k = 0;
  for (const r of rows) if (codes[r] === c) k++;
  return k;
}

const fraction = fc.double({ min: 0.05, max: 0.6, noNaN: true });
const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 });
/** Class codes with 2..5 classes, each class of at least 1 row. */
const codesArb = fc
  .array(fc.integer({ min: 1, max: 30 }), { minLength: 2, maxLength: 5 })
  .chain((sizes) =>
    fc
      .shuffledSubarray(
        sizes.flatMap((s, c) => Array.from({ length: s }, () => c)),
        { minLength: sizes.reduce((a, b) => a + b, 0) },
      )
      .map((xs) => Int32Array.from(xs)),
  );

describe("trainTestSplit", () => {
  it("partitions the rows with ceil(n * testFraction) test rows", () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 300 }), fraction, seed, (n, f, s) => {
        const split = trainTestSplit(n, { testFraction: f, seed: s });
        expectPartition(split, n);
        expect(split.test.length).toBe(Math.ceil(n * f));
      }),
    );
  });

  it("gives the same split for the same seed and another for another seed", () => {
    const a = trainTestSplit(100, { testFraction: 0.3, seed: 1 });
    expect(trainTestSplit(100, { testFraction: 0.3, seed: 1 })).toEqual(a);
    expect(trainTestSplit(100, { testFraction: 0.3, seed: 2 }).test).not.toEqual(a.test);
  });

  it("stratified: partitions, is seeded, keeps classes of 2+ rows on both sides and near their share", () => {
    fc.assert(
      fc.property(codesArb, fraction, seed, (codes, f, s) => {
        const n = codes.length;
        fc.pre(Math.ceil(n * f) < n);
        const split = trainTestSplit(n, { testFraction: f, seed: s, stratify: codes });
        expect(trainTestSplit(n, { testFraction: f, seed: s, stratify: codes })).toEqual(split);
        expectPartition(split, n);
        const nTest = Math.ceil(n * f);
        expect(split.test.length).toBe(nTest);
        const classes = Math.max(...codes) + 1;
        const sizes = Array.from({ length: classes }, (_, c) =>
          countBy(codes, Int32Array.from(codes.keys()), c),
        );
        const guarded = sizes.filter((m) => m >= 2).length;
        const canGuard =
          guarded <= nTest && sizes.reduce((a, m) => a + (m >= 2 ? m - 1 : m), 0) >= nTest;
        for (let c = 0; c < classes; c++) {
          const inTest = countBy(codes, split.test, c);
          if (canGuard && sizes[c] >= 2) {
            // Every class of 2+ rows is on both sides...
            expect(inTest).toBeGreaterThanOrEqual(1);
            expect(inTest).toBeLessThanOrEqual(sizes[c] - 1);
          }
          // ...and no class is far from its proportional share.
          expect(Math.abs(inTest - (sizes[c] * nTest) / n)).toBeLessThan(classes + 1);
        }
      }),
    );
  });

  it("stratified: gives each class its share rounded up or down when no guard is needed", () => {
    const codes = Int32Array.from([
      ...Array(50).fill(0),
      ...Array(30).fill(1),
      ...Array(20).fill(2),
    ]);
    const split = trainTestSplit(100, { testFraction: 0.25, seed: 3, stratify: codes });
    const shares = [12.5, 7.5, 5];
    shares.forEach((share, c) => {
      expect(Math.abs(countBy(codes, split.test, c) - share)).toBeLessThan(1);
    });
  });

  it("stratified: puts a 2-row class on both sides even at a small test fraction", () => {
    const codes = Int32Array.from([...Array(40).fill(0), 1, 1]);
    const split = trainTestSplit(42, { testFraction: 0.1, seed: 9, stratify: codes });
    expect(countBy(codes, split.test, 1)).toBe(1);
    expect(countBy(codes, split.train, 1)).toBe(1);
  });

  it.each([
    [0, SpecError],
    [1, SpecError],
    [Number.NaN, SpecError],
  ])("rejects testFraction %s", (f, error) => {
    expect(() => trainTestSplit(10, { testFraction: f, seed: 1 })).toThrow(error);
  });

  it("refuses a split that would leave no training rows", () => {
    expect(() => trainTestSplit(1, { testFraction: 0.5, seed: 1 })).toThrow(InsufficientDataError);
  });
});

describe("kFold", () => {
  it("puts every row in exactly one test fold, fold sizes within one, determined by the seed", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 10 }),
        fc.integer({ min: 0, max: 200 }),
        seed,
        (k, extra, s) => {
          const n = k + extra;
          const folds = kFold(n, k, s);
          expect(folds).toHaveLength(k);
          for (const fold of folds) expectPartition(fold, n);
          const tests = folds.flatMap((f) => [...f.test]).sort((a, b) => a - b);
          expect(tests).toEqual(Array.from({ length: n }, (_, i) => i));
          const sizes = folds.map((f) => f.test.length);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
          expect(kFold(n, k, s)).toEqual(folds);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("tells the user to use fewer folds when rows are fewer than folds", () => {
    expect(() => kFold(3, 5, 1)).toThrow(InsufficientDataError);
    expect(() => kFold(3, 5, 1)).toThrow(/at most 3 folds/);
  });

  it.each([1, 2.5, 0])("rejects %s folds", (k) => {
    expect(() => kFold(10, k, 1)).toThrow(SpecError);
  });
});

describe("stratifiedKFold", () => {
  it("covers every row once and balances folds overall and per class", () => {
    fc.assert(
      fc.property(codesArb, fc.integer({ min: 2, max: 5 }), seed, (codes, k, s) => {
        const classes = Math.max(...codes) + 1;
        const sizes = Array.from(
          { length: classes },
          (_, c) => codes.filter((x) => x === c).length,
        );
        fc.pre(sizes.every((m) => m >= k));
        const folds = stratifiedKFold(codes, k, s);
        expect(folds).toHaveLength(k);
        for (const fold of folds) expectPartition(fold, codes.length);
        const tests = folds.flatMap((f) => [...f.test]).sort((a, b) => a - b);
        expect(tests).toEqual(Array.from(codes.keys()));
        const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
        expect(spread(folds.map((f) => f.test.length))).toBeLessThanOrEqual(1);
        for (let c = 0; c < classes; c++) {
          expect(spread(folds.map((f) => countBy(codes, f.test, c)))).toBeLessThanOrEqual(1);
        }
        expect(stratifiedKFold(codes, k, s)).toEqual(folds);
      }),
      { numRuns: 80 },
    );
  });

  it("names the class that has fewer rows than folds and suggests fewer folds", () => {
    const codes = Int32Array.from([0, 0, 0, 0, 1, 1]);
    expect(() => stratifiedKFold(codes, 3, 1, { classes: ["Adelie", "Gentoo"] })).toThrow(
      InsufficientDataError,
    );
    expect(() => stratifiedKFold(codes, 3, 1, { classes: ["Adelie", "Gentoo"] })).toThrow(
      /"Gentoo" has only 2 rows.*at most 2 folds/,
    );
  });
});

describe("timeSplit", () => {
  it("holds out the latest rows", () => {
    const times = Float64Array.from([5, 1, 4, 2, 3, 6, 0, 7, 9, 8]);
    const split = timeSplit(times, 0.3);
    expect(Array.from(split.test)).toEqual([0, 7, 8, 9].filter((i) => times[i] >= 7));
    expectPartition(split, 10);
  });

  it.each([
    // target 3; boundary time 2: test {3} (1 row) or {2,2,3} (3 rows) -> the exact one
    [[1, 1, 1, 1, 1, 1, 1, 2, 3, 3], 0.3, [7, 8, 9]],
    // target 4; boundary time 2: test {3} (1 row) or {2,2,2,2,3} (5 rows) -> the closer one
    [[1, 1, 1, 1, 1, 2, 2, 2, 2, 3], 0.4, [5, 6, 7, 8, 9]],
    // target 3; {3} (1 row) and {2,2,2,2,3} (5 rows) are equally far -> the boundary stays in train
    [[1, 1, 1, 1, 1, 2, 2, 2, 2, 3], 0.3, [9]],
  ])("keeps tied times on one side: %j at %s -> test %j", (ts, f, expected) => {
    expect(Array.from(timeSplit(Float64Array.from(ts), f).test)).toEqual(expected);
  });

  it("never splits a timestamp across sides", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 2, maxLength: 60 }),
        fraction,
        (ts, f) => {
          const times = Float64Array.from(ts);
          fc.pre(new Set(ts).size > 1 && Math.ceil(ts.length * f) < ts.length);
          const split = timeSplit(times, f);
          expectPartition(split, ts.length);
          const maxTrain = Math.max(...Array.from(split.train, (i) => times[i]));
          const minTest = Math.min(...Array.from(split.test, (i) => times[i]));
          expect(maxTrain).toBeLessThan(minTest);
        },
      ),
    );
  });

  it("names the row with a missing time", () => {
    const times = Float64Array.from([1, Number.NaN, 3]);
    expect(() => timeSplit(times, 0.3, { column: "ts" })).toThrow(MissingValueError);
    expect(() => timeSplit(times, 0.3, { column: "ts" })).toThrow(/"ts" is missing at row 2/);
  });

  it("refuses when every row has the same time", () => {
    expect(() => timeSplit(Float64Array.from([4, 4, 4]), 0.3)).toThrow(InsufficientDataError);
  });
});

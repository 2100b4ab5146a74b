import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Column, Frame } from "../../pipeline/data/frame.ts";
import { InsufficientDataError, MissingValueError, SpecError } from "../../pipeline/errors.ts";
import {
  HASH_SPLIT_SCHEME,
  hashSplit,
  hashTrainedOn,
  hashUnit,
  keyDigests,
} from "../../pipeline/split/hash-split.ts";
import type { Split } from "../../pipeline/split/indices.ts";
import { kFold, stratifiedKFold } from "../../pipeline/split/k-fold.ts";
import { rowKeys, sameSplitKey } from "../../pipeline/split/split-record.ts";
import { timeSeriesFolds } from "../../pipeline/split/time-series-folds.ts";
import { timeSplit } from "../../pipeline/split/time-split.ts";

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

/** Two ids' digests and draws at seed 42, as first shipped (scheme 1). */
const PINNED_DIGESTS = [2555565509, 291367126, 4159389616, 1294780651];
const PINNED_UNITS = [0.2784200966057815, 0.7820172771602125];

/** Distinct key texts, e.g. entity ids. */
const keysArb = fc.uniqueArray(fc.string({ maxLength: 12 }), { minLength: 2, maxLength: 200 });

function sideOf(split: Split, n: number): Uint8Array {
  const side = new Uint8Array(n);
  for (const r of split.test) side[r] = 1;
  return side;
}

describe("hashSplit", () => {
  it("partitions the rows, the same for the same seed", () => {
    fc.assert(
      fc.property(keysArb, fraction, seed, (keys, f, s) => {
        const digests = keyDigests(keys);
        let split: Split;
        try {
          split = hashSplit(digests, { testFraction: f, seed: s });
        } catch (err) {
          // Few rows can all land on one side; that is refused, never returned.
          expect(err).toBeInstanceOf(InsufficientDataError);
          return;
        }
        expectPartition(split, keys.length);
        expect(hashSplit(digests, { testFraction: f, seed: s })).toEqual(split);
      }),
    );
  });

  it("keeps every row's side when rows are added, removed or reordered", () => {
    fc.assert(
      fc.property(keysArb, keysArb, fraction, seed, (before, added, f, s) => {
        const after = [...new Set([...added, ...before.filter((_, i) => i % 3 !== 0)])].reverse();
        const side = (keys: string[]) =>
          new Map(
            keys.map((k, i) => [
              k,
              hashTrainedOn(keyDigests(keys), Int32Array.of(i), { testFraction: f, seed: s })[0],
            ]),
          );
        const was = side(before);
        for (const [key, now] of side(after)) {
          if (was.has(key)) expect(now).toBe(was.get(key));
        }
      }),
      { numRuns: 60 },
    );
  });

  it("gets each class's test share within 5 standard deviations of the fraction", () => {
    // Each row is an independent draw: a class of m rows gets Binomial(m, f) test rows.
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 200, max: 3000 }), { minLength: 1, maxLength: 4 }),
        fraction,
        seed,
        (sizes, f, s) => {
          const keys = sizes.flatMap((m, c) => Array.from({ length: m }, (_, i) => `c${c}-${i}`));
          const codes = Int32Array.from(sizes.flatMap((m, c) => Array(m).fill(c)));
          const split = hashSplit(keyDigests(keys), { testFraction: f, seed: s });
          sizes.forEach((m, c) => {
            const share = countBy(codes, split.test, c) / m;
            expect(Math.abs(share - f)).toBeLessThan(5 * Math.sqrt((f * (1 - f)) / m));
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it("draws another split for another seed", () => {
    const digests = keyDigests(Array.from({ length: 500 }, (_, i) => `id${i}`));
    const a = hashSplit(digests, { testFraction: 0.3, seed: 1 });
    const b = hashSplit(digests, { testFraction: 0.3, seed: 2 });
    expect(a.test).not.toEqual(b.test);
    // Two seeds' draws are unrelated: the overlap is about f² of the rows, not f.
    const overlap = [...a.test].filter((r) => sideOf(b, 500)[r] === 1).length;
    expect(overlap / 500).toBeLessThan(0.15);
  });

  it("is pinned: a changed hash must bump HASH_SPLIT_SCHEME, or older champions get misjudged", () => {
    const digests = keyDigests(["id\u0000r1", "id\u0000r2"]);
    expect(Array.from(digests)).toEqual(PINNED_DIGESTS);
    expect([hashUnit(digests, 0, 42), hashUnit(digests, 1, 42)]).toEqual(PINNED_UNITS);
    expect(HASH_SPLIT_SCHEME).toBe(2);
  });

  it.each([0, 1, Number.NaN])("rejects testFraction %s", (f) => {
    expect(() => hashSplit(keyDigests(["a", "b"]), { testFraction: f, seed: 1 })).toThrow(
      SpecError,
    );
  });

  it("refuses a split that leaves one side empty and says what to change", () => {
    expect(() => hashSplit(keyDigests(["only"]), { testFraction: 0.2, seed: 1 })).toThrow(
      /all 1 rows on the (train|test) side.*split\.seed/,
    );
  });
});

describe("rowKeys", () => {
  const frame = (order: string[]): Frame => {
    const columns: Record<string, Column> = {
      id: { kind: "categorical", name: "id", codes: Int32Array.of(0, 1), levels: ["a", "b"] },
      x: { kind: "numeric", name: "x", values: Float64Array.of(-0, Number.NaN) },
      y: { kind: "numeric", name: "y", values: Float64Array.of(1, 1) },
    };
    return { rowCount: 2, columns: order.map((n) => columns[n]) };
  };

  it("keys by the id column when there is one", () => {
    const { keys, key } = rowKeys(frame(["id", "x", "y"]), { idColumn: "id", target: "y" });
    expect(key).toEqual({ kind: "id", column: "id" });
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys[0]).toBe(rowKeys(frame(["x", "id"]), { idColumn: "id", target: "y" }).keys[0]);
  });

  it("keys by content without the target, whatever the column order", () => {
    const a = rowKeys(frame(["id", "x", "y"]), { idColumn: null, target: "y" });
    const b = rowKeys(frame(["y", "x", "id"]), { idColumn: null, target: "y" });
    expect(b).toEqual(a);
    expect(a.keys).toEqual([JSON.stringify(["a", "0"]), JSON.stringify(["b", null])]);
    expect(a.key).toMatchObject({ kind: "content", columnCount: 2 });
    const other = rowKeys(frame(["id", "x", "y"]), { idColumn: null, target: "x" });
    expect(sameSplitKey(a.key, other.key)).toBe(false);
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

describe("timeSeriesFolds", () => {
  const blocks = (folds: Split[]) => folds.map((f) => [[...f.train], [...f.test]]);

  it("matches scikit-learn's TimeSeriesSplit on rows already in time order", () => {
    // scikit-learn's documented example: 6 rows, n_splits=5.
    expect(blocks(timeSeriesFolds(Float64Array.of(1, 2, 3, 4, 5, 6), 5))).toEqual([
      [[0], [1]],
      [[0, 1], [2]],
      [[0, 1, 2], [3]],
      [[0, 1, 2, 3], [4]],
      [[0, 1, 2, 3, 4], [5]],
    ]);
    // 17 rows, 4 splits: test size 17 // 5 = 3, the first 5 rows only ever train.
    const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
    expect(blocks(timeSeriesFolds(Float64Array.from(range(0, 17)), 4))).toEqual([
      [range(0, 5), range(5, 8)],
      [range(0, 8), range(8, 11)],
      [range(0, 11), range(11, 14)],
      [range(0, 14), range(14, 17)],
    ]);
  });

  it("trains every fold on rows no later than its test rows, whatever the row order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 3, maxLength: 80 }),
        fc.integer({ min: 2, max: 6 }),
        (ts, k) => {
          fc.pre(ts.length >= k + 1);
          const times = Float64Array.from(ts);
          const folds = timeSeriesFolds(times, k);
          const size = Math.floor(ts.length / (k + 1));
          expect(folds).toHaveLength(k);
          folds.forEach((fold, f) => {
            expect(isSorted(fold.train) && isSorted(fold.test)).toBe(true);
            expect(fold.test).toHaveLength(size);
            expect(fold.train).toHaveLength(ts.length - (k - f) * size);
            const lastTrain = Math.max(...Array.from(fold.train, (r) => times[r]));
            const firstTest = Math.min(...Array.from(fold.test, (r) => times[r]));
            expect(lastTrain).toBeLessThanOrEqual(firstTest);
          });
        },
      ),
    );
  });

  it("tells the user to use fewer folds when rows are too few", () => {
    expect(() => timeSeriesFolds(Float64Array.of(1, 2, 3), 3)).toThrow(InsufficientDataError);
    expect(() => timeSeriesFolds(Float64Array.of(1, 2, 3), 3)).toThrow(/at most 2 folds/);
  });
});

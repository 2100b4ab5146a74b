import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FeatureMatrix, Target } from "../../pipeline/data/frame.ts";
import { gaussLegendre } from "../../pipeline/explain/fast-tree-shap.ts";
import { nodeCover, treeShap } from "../../pipeline/explain/tree-shap.ts";
import { treeShapReference } from "../../pipeline/explain/tree-shap-reference.ts";
import {
  type FlatForest,
  fitForest,
  type OrchardForestModel,
} from "../../pipeline/forest/index.ts";
import { createRng } from "../../pipeline/random.ts";

const matrix = (rows: number[][]): FeatureMatrix => ({
  rows: rows.length,
  cols: rows[0].length,
  values: Float64Array.from(rows.flat()),
  names: rows[0].map((_, i) => `x${i}`),
});

function expectSame(got: Float64Array, want: Float64Array, tolerance: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

describe("Gauss–Legendre quadrature on [0, 1]", () => {
  it.each([1, 2, 5, 10, 17, 30])("with %i points integrates u^k exactly for k < 2n", (n) => {
    const { u, w } = gaussLegendre(n);
    for (let k = 0; k < 2 * n; k++) {
      let sum = 0;
      for (let q = 0; q < n; q++) sum += w[q] * u[q] ** k;
      expect(Math.abs(sum - 1 / (k + 1))).toBeLessThan(1e-14);
    }
  });

  it("has ascending points inside (0, 1) and positive weights", () => {
    const { u, w } = gaussLegendre(12);
    for (let q = 0; q < 12; q++) {
      expect(u[q]).toBeGreaterThan(q === 0 ? 0 : u[q - 1]);
      expect(u[q]).toBeLessThan(1);
      expect(w[q]).toBeGreaterThan(0);
    }
  });
});

/**
 * A random deep tree in flat form: few features so each path splits on the same feature many
 * times (the unwinding case), thresholds on a coarse grid so rows tie, random missing routing,
 * and with `zeroCover` some leaves nobody reached.
 */
function randomForest(
  seed: number,
  F: number,
  trees: number,
  maxDepth: number,
  V: number,
  zeroCover: boolean,
): { flat: FlatForest; cover: Float64Array } {
  const rng = createRng(seed);
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const missingLeft: number[] = [];
  const values: number[] = [];
  const cover: number[] = [];
  const treeNodeOffset = [0];
  const treeLeafOffset = [0];
  for (let t = 0; t < trees; t++) {
    const nb = feature.length;
    let leaves = 0;
    const grow = (depth: number): number => {
      const id = feature.length;
      feature.push(-1);
      threshold.push(0);
      left.push(0);
      right.push(0);
      missingLeft.push(0);
      cover.push(0);
      if (depth >= maxDepth || (depth > 1 && rng() < 0.2)) {
        left[id] = leaves++;
        for (let o = 0; o < V; o++) values.push(Math.round(rng() * 100) / 10 - 3);
        cover[id] = zeroCover && rng() < 0.15 ? 0 : 1 + Math.floor(rng() * 9);
        return id;
      }
      feature[id] = Math.floor(rng() * F);
      threshold[id] = Math.round((rng() * 4 - 2) * 2) / 2;
      missingLeft[id] = rng() < 0.5 ? 1 : 0;
      const l = grow(depth + 1);
      const r = grow(depth + 1);
      left[id] = l - nb;
      right[id] = r - nb;
      cover[id] = cover[l] + cover[r];
      return id;
    };
    grow(0);
    if (cover[nb] === 0) cover[nb] = 1; // a root must be covered; its children keep their zeros
    treeNodeOffset.push(feature.length);
    treeLeafOffset.push(treeLeafOffset[t] + leaves);
  }
  const flat: FlatForest = {
    task: V > 1 ? "classification" : "regression",
    nFeatures: F,
    nClasses: V > 1 ? V : 0,
    treeNodeOffset: Int32Array.from(treeNodeOffset),
    treeLeafOffset: Int32Array.from(treeLeafOffset),
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    missingLeft: Uint8Array.from(missingLeft),
    values: Float64Array.from(values),
    featureImportance: new Float64Array(F),
    oobScore: null,
  };
  return { flat, cover: Float64Array.from(cover) };
}

function randomRows(seed: number, rows: number, F: number): FeatureMatrix {
  const rng = createRng(seed);
  return matrix(
    Array.from({ length: rows }, () =>
      Array.from({ length: F }, () =>
        rng() < 0.1 ? Number.NaN : Math.round((rng() * 5 - 2.5) * 2) / 2,
      ),
    ),
  );
}

describe("the fast kernel gives Algorithm 2's values", () => {
  it("on random deep trees with repeated features, missing values and uncovered nodes (1e-12)", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        (seed, F, depth, V, zeroCover) => {
          const { flat, cover } = randomForest(seed, F, 3, depth, V, zeroCover);
          const X = randomRows(seed + 1, 6, F);
          const fast = treeShap(flat, cover, X);
          const reference = treeShapReference(flat, cover, X);
          expectSame(fast.values, reference.values, 1e-12);
          expectSame(fast.expected, reference.expected, 0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("explains rows walked through a tree together exactly as each row alone (bit for bit)", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 2, max: 9 }),
        fc.integer({ min: 1, max: 3 }),
        (seed, F, depth, V) => {
          // uncovered nodes make some rows unreached where others go on: no row's state may
          // leak into another's
          const { flat, cover } = randomForest(seed, F, 2, depth, V, true);
          const X = randomRows(seed + 7, 9, F);
          const together = treeShap(flat, cover, X).values;
          const width = F * V;
          for (let r = 0; r < X.rows; r++) {
            const alone = treeShap(flat, cover, {
              ...X,
              rows: 1,
              values: X.values.slice(r * F, (r + 1) * F),
            }).values;
            expect(Array.from(together.subarray(r * width, (r + 1) * width))).toEqual(
              Array.from(alone),
            );
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it.each([
    ["binary", 2],
    ["three-class", 3],
    ["regression", 0],
  ] as const)(
    "on unpruned forests trained on 600 rows (%s), in-bag cover (1e-12)",
    async (_, classes) => {
      const rng = createRng(classes + 11);
      const rows = 600;
      const F = 5;
      const X = matrix(
        Array.from({ length: rows }, () =>
          Array.from({ length: F }, () => (rng() < 0.03 ? Number.NaN : rng() * 10)),
        ),
      );
      const at = (r: number, f: number) =>
        Number.isNaN(X.values[r * F + f]) ? 5 : X.values[r * F + f];
      const signal = (r: number) => at(r, 0) + (at(r, 1) * at(r, 2)) / 10 + rng() * 3;
      const y: Target =
        classes > 0
          ? {
              kind: "classification",
              classes: Array.from({ length: classes }, (_, c) => `c${c}`),
              codes: Int32Array.from({ length: rows }, (_, r) =>
                Math.min(classes - 1, Math.floor((signal(r) / 20) * classes)),
              ),
            }
          : {
              kind: "regression",
              values: Float64Array.from({ length: rows }, (_, r) => signal(r)),
            };
      const seed = 5;
      const model = (await fitForest(X, y, {
        trees: 12,
        maxDepth: null,
        minSamplesLeaf: 1,
        maxFeatures: "sqrt",
        bootstrap: true,
        seed,
      })) as OrchardForestModel;
      const cover = nodeCover(model.flat, X, { seed, bootstrap: true });
      const explained = matrix(
        Array.from({ length: 40 }, (_, r) => Array.from(X.values.subarray(r * F, (r + 1) * F))),
      );
      const fast = treeShap(model.flat, cover, explained);
      expectSame(fast.values, treeShapReference(model.flat, cover, explained).values, 1e-12);
    },
  );
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ClassTarget, FeatureMatrix, Target } from "../../pipeline/data/frame.ts";
import {
  BIN_SAMPLE_ROWS,
  binFeatures,
  binOf,
  quantileEdges,
} from "../../pipeline/forest/binning.ts";
import { type ForestParams, fitForest, OrchardForestModel } from "../../pipeline/forest/index.ts";
import { sortFloat64 } from "../../pipeline/forest/radix-sort.ts";
import { createRng } from "../../pipeline/random.ts";

function matrix(cols: number, values: number[]): FeatureMatrix {
  const rows = values.length / cols;
  return {
    values: Float64Array.from(values),
    rows,
    cols,
    names: Array.from({ length: cols }, (_, j) => `x${j}`),
  };
}

const labels = (codes: ArrayLike<number>): ClassTarget => ({
  kind: "classification",
  codes: Int32Array.from(codes),
  classes: ["no", "yes"],
});

const exact: ForestParams = {
  trees: 3,
  maxDepth: null,
  minSamplesLeaf: 1,
  maxFeatures: "all",
  bootstrap: false,
  seed: 5,
};

async function orchard(X: FeatureMatrix, y: Target, params: ForestParams) {
  const model = await fitForest(X, y, params);
  if (!(model instanceof OrchardForestModel)) throw new Error("expected an Orchard model");
  return model;
}

/** Depth of every node of tree t (root 0). */
function depths(model: OrchardForestModel, t: number): number[] {
  const { treeNodeOffset, feature, left, right } = model.flat;
  const nb = treeNodeOffset[t];
  const d = new Array(treeNodeOffset[t + 1] - nb).fill(0);
  for (let k = 0; k < d.length; k++) {
    if (feature[nb + k] >= 0) {
      d[left[nb + k]] = d[k] + 1;
      d[right[nb + k]] = d[k] + 1;
    }
  }
  return d;
}

/** Seeded rows: x0 uniform in [0, 10), x1, x2 noise; label noise makes deep trees. */
function noisy(rows: number, seed: number) {
  const rng = createRng(seed);
  const values: number[] = [];
  const codes: number[] = [];
  for (let r = 0; r < rows; r++) {
    const x0 = rng() * 10;
    values.push(x0, rng(), rng());
    codes.push(rng() < 0.2 ? (x0 < 5 ? 1 : 0) : x0 < 5 ? 0 : 1);
  }
  return { X: matrix(3, values), y: labels(codes) };
}

describe("Orchard trees", () => {
  it("grows a perfect stump on a perfectly separable feature", async () => {
    const x0 = [1, 2, 3, 4, 6, 7, 8, 9];
    const X = matrix(
      2,
      x0.flatMap((v, i) => [v, (i * 7) % 5]),
    );
    const y = labels(x0.map((v) => (v < 5 ? 0 : 1)));
    const model = await orchard(X, y, { ...exact, maxDepth: 1 });
    const { feature, threshold, treeNodeOffset } = model.flat;
    for (let t = 0; t < model.nTrees; t++) {
      const nb = treeNodeOffset[t];
      expect(Array.from(feature.subarray(nb, treeNodeOffset[t + 1]))).toEqual([0, -1, -1]);
      expect(threshold[nb]).toBe(5); // midpoint of 4 and 6
    }
    expect(Array.from(model.predict(X))).toEqual(Array.from(y.codes));
    expect(Array.from(model.predictProba(matrix(2, [4.9, 0, 5.1, 0])))).toEqual([1, 0, 0, 1]);
  });

  it.each([1, 2, 4])("never grows deeper than maxDepth = %i", async (maxDepth) => {
    const { X, y } = noisy(300, 11);
    const model = await orchard(X, y, { ...exact, maxDepth, bootstrap: true });
    for (let t = 0; t < model.nTrees; t++) {
      expect(Math.max(...depths(model, t))).toBe(maxDepth);
    }
  });

  it("grows to purity without maxDepth: every training row is predicted right", async () => {
    const { X, y } = noisy(300, 12);
    const model = await orchard(X, y, exact);
    expect(Array.from(model.predict(X))).toEqual(Array.from(y.codes));
  });

  it.each([
    [1, "classification"],
    [3, "classification"],
    [10, "classification"],
    [40, "classification"],
    [1, "regression"],
    [7, "regression"],
  ])("puts at least minSamplesLeaf = %i rows in every leaf (%s)", async (minLeaf, task) => {
    const noisyRows = noisy(400, 13);
    // some missing values too, so rows on the missing side are counted as well
    const X = {
      ...noisyRows.X,
      values: noisyRows.X.values.map((v, i) => (i % 11 === 0 ? Number.NaN : v)),
    };
    const y: Target =
      task === "classification"
        ? noisyRows.y
        : { kind: "regression", values: noisyRows.X.values.filter((_, i) => i % 3 === 1) };
    const model = await orchard(X, y, { ...exact, minSamplesLeaf: minLeaf });
    const leaves = model.apply(X);
    for (let t = 0; t < model.nTrees; t++) {
      const counts = new Map<number, number>();
      for (let r = 0; r < X.rows; r++) {
        const leaf = leaves[r * model.nTrees + t];
        counts.set(leaf, (counts.get(leaf) ?? 0) + 1);
      }
      const nLeaves = model.flat.treeLeafOffset[t + 1] - model.flat.treeLeafOffset[t];
      expect(counts.size).toBe(nLeaves);
      expect(Math.min(...counts.values())).toBeGreaterThanOrEqual(minLeaf);
    }
  });

  it.each([
    ["missing goes with the high values", (x: number) => Number.isNaN(x) || x > 5, 0],
    ["missing goes with the low values", (x: number) => Number.isNaN(x) || x <= 5, 1],
  ])("learns where missing values belong: %s", async (_what, isYes, missingLeft) => {
    const rng = createRng(3);
    const x0 = Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? Number.NaN : rng() * 10));
    const X = matrix(1, x0);
    const y = labels(x0.map((v) => (isYes(v) ? 1 : 0)));
    const model = await orchard(X, y, { ...exact, maxDepth: 1 });
    expect(model.flat.missingLeft[0]).toBe(missingLeft);
    expect(Array.from(model.predict(X))).toEqual(Array.from(y.codes));
    expect(model.predict(matrix(1, [Number.NaN]))[0]).toBe(1);
  });

  it("splits missing from present values when that is the only signal", async () => {
    const x0 = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? Number.NaN : i % 7));
    const X = matrix(1, x0);
    const y = labels(x0.map((v) => (Number.isNaN(v) ? 1 : 0)));
    const model = await orchard(X, y, { ...exact, maxDepth: 1 });
    expect(model.flat.threshold[0]).toBe(Number.POSITIVE_INFINITY);
    expect(Array.from(model.predict(X))).toEqual(Array.from(y.codes));
  });

  it("sends a missing value unseen in training to the heavier child", async () => {
    const x0 = Array.from({ length: 40 }, (_, i) => i);
    const X = matrix(1, x0);
    const y = labels(x0.map((v) => (v < 30 ? 0 : 1)));
    const model = await orchard(X, y, { ...exact, maxDepth: 1 });
    expect(model.predict(matrix(1, [Number.NaN]))[0]).toBe(0);
  });

  it("grows the same trees through the two-class fast path and the K-class path", async () => {
    // the same labels declared with an unused third class take the generic Gini path
    const { X, y } = noisy(500, 14);
    const three = { ...y, classes: ["no", "yes", "never"] };
    const params = { ...exact, trees: 4, bootstrap: true, maxFeatures: 2 };
    const a = await orchard(X, y, params);
    const b = await orchard(X, three, params);
    expect(b.flat.feature).toEqual(a.flat.feature);
    expect(b.flat.threshold).toEqual(a.flat.threshold);
    expect(b.flat.missingLeft).toEqual(a.flat.missingLeft);
    const pa = a.predictProba(X);
    const pb = b.predictProba(X);
    for (let r = 0; r < X.rows; r++) {
      expect([pb[3 * r], pb[3 * r + 1], pb[3 * r + 2]]).toEqual([pa[2 * r], pa[2 * r + 1], 0]);
    }
  });

  it("stores a leaf's class frequencies, weighted by the bootstrap", async () => {
    // identical rows cannot be split: the single leaf holds the class shares
    const X = matrix(1, [1, 1, 1, 1]);
    const model = await orchard(X, labels([0, 1, 1, 1]), { ...exact, trees: 1 });
    expect(Array.from(model.flat.values)).toEqual([0.25, 0.75]);
  });
});

describe("binning", () => {
  it("gives each distinct value its own bin when there are few", () => {
    const edges = quantileEdges(Float64Array.from([1, 1, 2, 3, 3, 3]), 255);
    expect(edges).toEqual([1.5, 2.5]);
  });

  it("caps the value bins at maxBins - 1 and keeps the missing bin apart", () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? Number.NaN : i));
    const data = binFeatures(matrix(1, values), 16, 1);
    expect(data.nValueBins[0]).toBeLessThanOrEqual(15);
    const missing = data.nValueBins[0];
    values.forEach((v, r) => {
      expect(data.binned[r] === missing).toBe(Number.isNaN(v));
    });
  });

  it("bins so that x <= edge[b] holds exactly for bins <= b", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 2, maxLength: 300 }),
        fc.integer({ min: 2, max: 256 }),
        (xs, maxBins) => {
          const data = binFeatures(matrix(1, xs), maxBins, 1);
          const { edges } = data;
          xs.forEach((x, r) => {
            const b = data.binned[r];
            for (let e = 0; e < edges.length; e++) expect(x <= edges[e]).toBe(b <= e);
          });
          expect(binOf(edges, 0, edges.length, Number.POSITIVE_INFINITY)).toBe(edges.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("bins more rows than it samples for the edges consistently with the edges", () => {
    const rows = BIN_SAMPLE_ROWS + 1000;
    const rng = createRng(4);
    const values = Array.from({ length: rows }, (_, i) => (i % 97 === 0 ? Number.NaN : rng() ** 3));
    const data = binFeatures(matrix(1, values), 64, 1);
    const { edges } = data;
    expect(edges.length).toBe(62);
    for (let r = 0; r < rows; r += 7) {
      const b = data.binned[r];
      if (Number.isNaN(values[r])) expect(b).toBe(data.nValueBins[0]);
      else
        expect(b).toBe(
          edges.findIndex((e) => values[r] <= e) === -1
            ? edges.length
            : edges.findIndex((e) => values[r] <= e),
        );
    }
  });

  it("radix-sorts doubles like a numeric comparison sort, moving a payload along", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true }), { maxLength: 500 }), (xs) => {
        // -0 and +0 compare equal, so compare them as 0
        const zero = (v: number) => (v === 0 ? 0 : v);
        const rowsOf = Int32Array.from(xs, (_, i) => i);
        const sorted = Array.from(sortFloat64(Float64Array.from(xs), rowsOf), zero);
        expect(sorted).toEqual([...xs].sort((a, b) => a - b).map(zero));
        expect(Array.from(rowsOf, (r) => zero(xs[r]))).toEqual(sorted);
      }),
    );
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FeatureMatrix, Target } from "../../pipeline/data/frame.ts";
import { expectedValue, nodeCover, treeShap } from "../../pipeline/explain/tree-shap.ts";
import { type FlatForest, fitForest, OrchardForestModel } from "../../pipeline/forest/index.ts";
import { createRng, deriveSeed } from "../../pipeline/random.ts";

/** A hand-written tree: a leaf `{ value, cover }` or a split `{ f, t, l, r }`. */
type Tree =
  | { value: number[]; cover: number }
  | { f: number; t: number; l: Tree; r: Tree; missingLeft?: boolean };

/** Flat arrays of hand-written trees (pre-order, children after parents) and their cover. */
function flatten(trees: Tree[], nFeatures: number, task: FlatForest["task"] = "regression") {
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const missingLeft: number[] = [];
  const values: number[] = [];
  const cover: number[] = [];
  const treeNodeOffset = [0];
  const treeLeafOffset = [0];
  for (const tree of trees) {
    const nb = feature.length;
    let leaves = 0;
    const visit = (node: Tree): [number, number] => {
      const id = feature.length;
      feature.push(-1);
      threshold.push(0);
      left.push(0);
      right.push(0);
      missingLeft.push(0);
      cover.push(0);
      if ("value" in node) {
        left[id] = leaves++;
        values.push(...node.value);
        cover[id] = node.cover;
        return [id - nb, node.cover];
      }
      feature[id] = node.f;
      threshold[id] = node.t;
      missingLeft[id] = node.missingLeft ? 1 : 0;
      const [l, cl] = visit(node.l);
      const [r, cr] = visit(node.r);
      left[id] = l;
      right[id] = r;
      cover[id] = cl + cr;
      return [id - nb, cl + cr];
    };
    visit(tree);
    treeNodeOffset.push(feature.length);
    treeLeafOffset.push(treeLeafOffset[treeLeafOffset.length - 1] + leaves);
  }
  const V = values.length / treeLeafOffset[treeLeafOffset.length - 1];
  const flat: FlatForest = {
    task,
    nFeatures,
    nClasses: task === "classification" ? V : 0,
    treeNodeOffset: Int32Array.from(treeNodeOffset),
    treeLeafOffset: Int32Array.from(treeLeafOffset),
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    missingLeft: Uint8Array.from(missingLeft),
    values: Float64Array.from(values),
    featureImportance: new Float64Array(nFeatures),
    oobScore: null,
  };
  return { flat, cover: Float64Array.from(cover) };
}

const matrix = (rows: number[][]): FeatureMatrix => ({
  rows: rows.length,
  cols: rows[0].length,
  values: Float64Array.from(rows.flat()),
  names: rows[0].map((_, i) => `x${i}`),
});

/** The forest's output for one row (all outputs). */
function predict(flat: FlatForest, x: number[]): number[] {
  const model = new OrchardForestModel(flat);
  const X = matrix([x]);
  return flat.task === "regression"
    ? Array.from(model.predict(X))
    : Array.from(model.predictProba(X));
}

/**
 * Brute-force Shapley values from their definition: every coalition S, with v(S) the tree's
 * conditional expectation (follow x on features in S, split by cover elsewhere).
 */
function bruteForce(flat: FlatForest, cover: Float64Array, x: number[], output = 0): number[] {
  const F = flat.nFeatures;
  const V = flat.task === "regression" ? 1 : flat.nClasses;
  const trees = flat.treeNodeOffset.length - 1;
  const v = (S: Set<number>) => {
    let total = 0;
    for (let t = 0; t < trees; t++) {
      const nb = flat.treeNodeOffset[t];
      const walk = (node: number): number => {
        const f = flat.feature[node];
        if (f < 0) return flat.values[(flat.treeLeafOffset[t] + flat.left[node]) * V + output];
        const l = nb + flat.left[node];
        const r = nb + flat.right[node];
        if (S.has(f)) {
          const xv = x[f];
          const goLeft =
            xv <= flat.threshold[node] || (Number.isNaN(xv) && flat.missingLeft[node] === 1);
          return walk(goLeft ? l : r);
        }
        return (cover[l] * walk(l) + cover[r] * walk(r)) / cover[node];
      };
      total += walk(nb);
    }
    return total / trees;
  };
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  const phi = new Array<number>(F).fill(0);
  for (let mask = 0; mask < 1 << F; mask++) {
    const S = new Set<number>();
    for (let f = 0; f < F; f++) if (mask & (1 << f)) S.add(f);
    for (let f = 0; f < F; f++) {
      if (S.has(f)) continue;
      const weight = (fact(S.size) * fact(F - S.size - 1)) / fact(F);
      phi[f] += weight * (v(new Set([...S, f])) - v(S));
    }
  }
  return phi;
}

const row = (shap: ReturnType<typeof treeShap>, r: number, output = 0) =>
  Array.from(
    { length: shap.features },
    (_, f) => shap.values[(r * shap.features + f) * shap.outputs + output],
  );

describe("TreeSHAP on trees worked out by hand", () => {
  // root x0 <= 0 (cover 10): left → x1 <= 0 (cover 6): A = 10 (2), B = 20 (4); right → C = 30 (4)
  const tree: Tree = {
    f: 0,
    t: 0,
    l: { f: 1, t: 0, l: { value: [10], cover: 2 }, r: { value: [20], cover: 4 } },
    r: { value: [30], cover: 4 },
  };
  const { flat, cover } = flatten([tree], 2);

  it("has the cover-weighted mean leaf as its expected value: (2·10 + 4·20 + 4·30) / 10 = 22", () => {
    expect(expectedValue(flat, cover)[0]).toBeCloseTo(22, 12);
  });

  it.each([
    // v(∅) = 22, v({x0}) = 100/6, v({x1}) = 0.6·10 + 0.4·30 = 18, v({x0, x1}) = 10
    [
      [-1, -1],
      [-20 / 3, -16 / 3],
    ],
    // lands in B: v({x0}) = 100/6, v({x1}) = 0.6·20 + 0.4·30 = 24, v(both) = 20
    [
      [-1, 1],
      [-14 / 3, 8 / 3],
    ],
    // lands in C: v({x0}) = 30, v({x1}) = 0.6·20 + 0.4·30 = 24, v(both) = 30; x1 still
    // gets a share, through the coalitions without x0
    [
      [1, 5],
      [7, 1],
    ],
  ])("explains %j as %j", (x, want) => {
    const got = row(treeShap(flat, cover, matrix([x])), 0);
    got.forEach((g, i) => {
      expect(g).toBeCloseTo(want[i], 12);
    });
  });

  it("gives the whole difference to the only feature of a stump: f(x) − E = 1 − 2", () => {
    const stump = flatten(
      [{ f: 0, t: 0.5, l: { value: [1], cover: 3 }, r: { value: [5], cover: 1 } }],
      1,
    );
    expect(row(treeShap(stump.flat, stump.cover, matrix([[0]])), 0)).toEqual([-1]);
  });

  it("averages the trees of a forest", () => {
    const two = flatten(
      [tree, { f: 1, t: 0, l: { value: [0], cover: 5 }, r: { value: [4], cover: 5 } }],
      2,
    );
    const got = row(treeShap(two.flat, two.cover, matrix([[-1, -1]])), 0);
    // second tree: stump on x1, E = 2, f = 0 → x1 gets −2
    expect(got[0]).toBeCloseTo(-20 / 3 / 2, 12);
    expect(got[1]).toBeCloseTo((-16 / 3 - 2) / 2, 12);
  });

  it("follows missing values the way the tree routes them", () => {
    const t: Tree = {
      f: 0,
      t: 0,
      missingLeft: true,
      l: { value: [1], cover: 1 },
      r: { value: [3], cover: 1 },
    };
    const { flat: f, cover: c } = flatten([t], 1);
    expect(row(treeShap(f, c, matrix([[Number.NaN]])), 0)).toEqual([-1]);
  });

  it("handles a feature split twice on one path (the unwinding case)", () => {
    const twice: Tree = {
      f: 0,
      t: 0,
      l: {
        f: 1,
        t: 0,
        l: { f: 0, t: -1, l: { value: [1], cover: 1 }, r: { value: [2], cover: 3 } },
        r: { value: [7], cover: 2 },
      },
      r: { f: 0, t: 1, l: { value: [4], cover: 3 }, r: { value: [9], cover: 1 } },
    };
    const { flat: f, cover: c } = flatten([twice], 2);
    for (const x of [
      [-2, -1],
      [-0.5, -1],
      [0.5, 3],
      [2, -1],
      [-0.5, 1],
    ]) {
      const got = row(treeShap(f, c, matrix([x])), 0);
      bruteForce(f, c, x).forEach((want, i) => {
        expect(got[i]).toBeCloseTo(want, 12);
      });
    }
  });

  it("rejects a cover of the wrong length", () => {
    expect(() => treeShap(flat, new Float64Array(2), matrix([[0, 0]]))).toThrow(/nodeCover/);
  });
});

/** A random tree over F features, depth ≤ maxDepth, covers from 1..9 at the leaves. */
function randomTree(seed: number, F: number, maxDepth: number, V: number): Tree {
  const rng = createRng(seed);
  const grow = (depth: number): Tree => {
    if (depth >= maxDepth || rng() < 0.25) {
      return {
        value: Array.from({ length: V }, () => Math.round(rng() * 100) / 10),
        cover: 1 + Math.floor(rng() * 9),
      };
    }
    return {
      f: Math.floor(rng() * F),
      t: Math.round((rng() * 4 - 2) * 4) / 4,
      missingLeft: rng() < 0.5,
      l: grow(depth + 1),
      r: grow(depth + 1),
    };
  };
  return grow(0);
}

describe("TreeSHAP properties", () => {
  const xs = (F: number) =>
    fc.array(fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }), fc.constant(Number.NaN)), {
      minLength: F,
      maxLength: F,
    });

  it("matches the Shapley values computed from their definition on random trees", () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 4 }), (seed, F) =>
        fc.assert(
          fc.property(xs(F), (x) => {
            const { flat, cover } = flatten(
              [randomTree(seed, F, 5, 1), randomTree(seed + 1, F, 4, 1)],
              F,
            );
            const got = row(treeShap(flat, cover, matrix([x])), 0);
            bruteForce(flat, cover, x).forEach((want, i) => {
              expect(got[i]).toBeCloseTo(want, 9);
            });
          }),
          { numRuns: 5 },
        ),
      ),
      { numRuns: 40 },
    );
  });

  it("is additive on random multi-output trees: expected + Σ contributions = prediction (1e-9)", () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 6 }), (seed, F) => {
        const trees = [0, 1, 2].map((i) => randomTree(seed + i, F, 8, 3));
        const { flat, cover } = flatten(trees, F, "classification");
        const x = Array.from({ length: F }, (_, i) => ((seed >> i) % 5) - 2);
        const shap = treeShap(flat, cover, matrix([x]));
        const want = predict(flat, x);
        for (let o = 0; o < 3; o++) {
          const sum = row(shap, 0, o).reduce((s, v) => s + v, shap.expected[o]);
          expect(Math.abs(sum - want[o])).toBeLessThan(1e-9);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("is additive on trained forests, with the cover counted from the training rows", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.boolean(), async (seed, classify) => {
        const rng = createRng(seed);
        const rows = 60;
        const F = 4;
        const X = matrix(
          Array.from({ length: rows }, () =>
            Array.from({ length: F }, () =>
              rng() < 0.05 ? Number.NaN : Math.round(rng() * 40) / 4,
            ),
          ),
        );
        const at = (r: number, f: number) =>
          Number.isNaN(X.values[r * F + f]) ? 3 : X.values[r * F + f];
        const signal = (r: number) => at(r, 0) + at(r, 1);
        const y: Target = classify
          ? {
              kind: "classification",
              classes: ["a", "b", "c"],
              codes: Int32Array.from({ length: rows }, (_, r) =>
                Math.min(2, Math.floor(signal(r) / 7)),
              ),
            }
          : {
              kind: "regression",
              values: Float64Array.from({ length: rows }, (_, r) => signal(r) + rng()),
            };
        fc.pre(y.kind === "regression" || new Set(y.codes).size >= 2);
        const model = (await fitForest(X, y, {
          trees: 8,
          maxDepth: null,
          minSamplesLeaf: 1,
          maxFeatures: "sqrt",
          bootstrap: true,
          seed,
        })) as OrchardForestModel;
        const cover = nodeCover(model.flat, X);
        const shap = treeShap(model.flat, cover, X);
        const out = classify ? model.predictProba(X) : model.predict(X);
        for (let r = 0; r < rows; r++) {
          for (let o = 0; o < shap.outputs; o++) {
            const sum = row(shap, r, o).reduce((s, v) => s + v, shap.expected[o]);
            expect(Math.abs(sum - out[r * shap.outputs + o])).toBeLessThan(1e-9);
          }
        }
      }),
      { numRuns: 15 },
    );
  });

  it("counts every training row at the root of every tree", async () => {
    const X = matrix(Array.from({ length: 20 }, (_, i) => [i, i % 3]));
    const y: Target = {
      kind: "regression",
      values: Float64Array.from({ length: 20 }, (_, i) => i * 2),
    };
    const model = (await fitForest(X, y, {
      trees: 3,
      maxDepth: 3,
      minSamplesLeaf: 1,
      maxFeatures: "all",
      bootstrap: true,
      seed: 1,
    })) as OrchardForestModel;
    const cover = nodeCover(model.flat, X);
    expect(Array.from(model.flat.treeNodeOffset.subarray(0, 3), (o) => cover[o])).toEqual([
      20, 20, 20,
    ]);
  });
});

describe("in-bag cover (shap's TreeExplainer on a scikit-learn forest)", () => {
  const seed = 11;
  const n = 16;

  /** A toy forest: 16 rows, 3 features, 5 bootstrapped trees of depth <= 3. */
  async function toy() {
    const rng = createRng(5);
    const X = matrix(
      Array.from({ length: n }, () => [
        Math.round(rng() * 8),
        Math.round(rng() * 4),
        rng() < 0.5 ? 0 : 1,
      ]),
    );
    const y = Float64Array.from(
      { length: n },
      (_, r) => X.values[r * 3] - 2 * X.values[r * 3 + 2] + rng(),
    );
    const model = (await fitForest(
      X,
      { kind: "regression", values: y },
      { trees: 5, maxDepth: 3, minSamplesLeaf: 1, maxFeatures: "all", bootstrap: true, seed },
    )) as OrchardForestModel;
    return { X, y, flat: model.flat };
  }

  /** Row r's in-bag count in tree t: the first n draws of the tree's stream pick its rows. */
  function inBag(t: number): number[] {
    const rng = createRng(deriveSeed(seed, t));
    const counts = new Array(n).fill(0);
    for (let i = 0; i < n; i++) counts[Math.floor(rng() * n)]++;
    return counts;
  }

  /** The in-bag weight of the rows reaching each node, walking every row down every tree. */
  function coverByDefinition(flat: FlatForest, X: FeatureMatrix): Float64Array {
    const cover = new Float64Array(flat.feature.length);
    for (let t = 0; t < 5; t++) {
      const nb = flat.treeNodeOffset[t];
      const counts = inBag(t);
      for (let r = 0; r < n; r++) {
        let node = nb;
        cover[node] += counts[r];
        while (flat.feature[node] >= 0) {
          const v = X.values[r * 3 + flat.feature[node]];
          node = nb + (v <= flat.threshold[node] ? flat.left[node] : flat.right[node]);
          cover[node] += counts[r];
        }
      }
    }
    return cover;
  }

  it("weighs each node by the in-bag counts of the tree's bootstrap sample", async () => {
    const { X, flat } = await toy();
    const cover = nodeCover(flat, X, { seed, bootstrap: true });
    expect(Array.from(cover)).toEqual(Array.from(coverByDefinition(flat, X)));
    // every row once is another cover, not the one shap would use
    expect(Array.from(nodeCover(flat, X))).not.toEqual(Array.from(cover));
  });

  it("has each tree's in-bag mean target as its expected value (shap's base value)", async () => {
    const { X, y, flat } = await toy();
    let want = 0;
    for (let t = 0; t < 5; t++) want += inBag(t).reduce((s, c, r) => s + c * y[r], 0) / n / 5;
    const expected = expectedValue(flat, nodeCover(flat, X, { seed, bootstrap: true }));
    expect(expected[0]).toBeCloseTo(want, 12);
  });

  it("matches brute-force Shapley values computed with the in-bag weights", async () => {
    const { X, flat } = await toy();
    const shap = treeShap(flat, nodeCover(flat, X, { seed, bootstrap: true }), X);
    const byDefinition = coverByDefinition(flat, X);
    for (let r = 0; r < n; r++) {
      const x = Array.from(X.values.subarray(r * 3, r * 3 + 3));
      bruteForce(flat, byDefinition, x).forEach((want, f) => {
        expect(row(shap, r)[f]).toBeCloseTo(want, 10);
      });
    }
  });

  it("counts every row once without bootstrap", async () => {
    const { X, flat } = await toy();
    expect(Array.from(nodeCover(flat, X, { seed, bootstrap: false }))).toEqual(
      Array.from(nodeCover(flat, X)),
    );
  });
});

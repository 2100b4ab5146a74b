import { describe, expect, it } from "vitest";
import { makeClassification, trainTestSplit } from "../../bench/make-classification.ts";
import type { FeatureMatrix, RegressionTarget } from "../../pipeline/data/frame.ts";
import { type ForestParams, fitForest } from "../../pipeline/forest/index.ts";
import { createRng } from "../../pipeline/random.ts";

const sklearnLike: ForestParams = {
  trees: 30,
  maxDepth: null,
  minSamplesLeaf: 1,
  maxFeatures: "sqrt",
  bootstrap: true,
  seed: 3,
};

function accuracy(predicted: Float64Array, codes: Int32Array): number {
  let correct = 0;
  for (let i = 0; i < codes.length; i++) if (predicted[i] === codes[i]) correct++;
  return correct / codes.length;
}

function r2(predicted: Float64Array, y: Float64Array): number {
  const mean = y.reduce((s, v) => s + v, 0) / y.length;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < y.length; i++) {
    res += (y[i] - predicted[i]) ** 2;
    tot += (y[i] - mean) ** 2;
  }
  return 1 - res / tot;
}

/** y = sin(x0) * 3 + x1² + small noise; x2 is pure noise. */
function friedmanLike(rows: number, seed: number): { X: FeatureMatrix; y: RegressionTarget } {
  const rng = createRng(seed);
  const values = new Float64Array(rows * 3);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const x0 = rng() * 6;
    const x1 = rng() * 2 - 1;
    values.set([x0, x1, rng()], r * 3);
    y[r] = 3 * Math.sin(x0) + x1 * x1 + 0.1 * (rng() - 0.5);
  }
  return {
    X: { values, rows, cols: 3, names: ["x0", "x1", "x2"] },
    y: { kind: "regression", values: y },
  };
}

describe("forest quality", () => {
  const data = makeClassification({
    rows: 1000,
    features: 8,
    informative: 3,
    redundant: 1,
    seed: 21,
  });
  const { train, test } = trainTestSplit(data, 0.25, 21);

  it("matches ml-random-forest's accuracy on an easy seeded problem", async () => {
    const params = { ...sklearnLike, trees: 15 };
    const orchard = await fitForest(train.X, train.y, params);
    const reference = await fitForest(train.X, train.y, params, { engine: "ml-random-forest" });
    const a = accuracy(orchard.predict(test.X), test.y.codes);
    const b = accuracy(reference.predict(test.X), test.y.codes);
    expect(b).toBeGreaterThan(0.75);
    expect(a).toBeGreaterThan(b - 0.03);
  });

  it("fits a nonlinear regression with a held-out R² above 0.95", async () => {
    const fit = friedmanLike(1500, 5);
    const held = friedmanLike(500, 6);
    const model = await fitForest(fit.X, fit.y, { ...sklearnLike, maxFeatures: "all" });
    expect(r2(model.predict(held.X), held.y.values)).toBeGreaterThan(0.95);
  });

  it("reports an out-of-bag accuracy close to the held-out accuracy", async () => {
    const model = await fitForest(train.X, train.y, sklearnLike);
    const heldOut = accuracy(model.predict(test.X), test.y.codes);
    expect(model.oobScore).not.toBeNull();
    expect(Math.abs(model.oobScore! - heldOut)).toBeLessThan(0.04);
  });

  it("reports an out-of-bag R² close to the held-out R² for regression", async () => {
    const fit = friedmanLike(1500, 7);
    const held = friedmanLike(500, 8);
    const model = await fitForest(fit.X, fit.y, { ...sklearnLike, maxFeatures: "all" });
    expect(Math.abs(model.oobScore! - r2(model.predict(held.X), held.y.values))).toBeLessThan(0.03);
  });

  it("ranks the informative feature first and normalizes importances to 1", async () => {
    const fit = friedmanLike(1000, 9);
    const model = await fitForest(fit.X, fit.y, { ...sklearnLike, maxFeatures: "all" });
    const imp = Array.from(model.featureImportance);
    expect(imp.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    expect(imp[0]).toBeGreaterThan(imp[1]);
    expect(imp[1]).toBeGreaterThan(imp[2]);
  });

  it("separates three classes", async () => {
    const rng = createRng(17);
    const rows = 600;
    const values = new Float64Array(rows * 2);
    const codes = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      codes[r] = r % 3;
      values[2 * r] = codes[r] * 2 + rng();
      values[2 * r + 1] = rng();
    }
    const X = { values, rows, cols: 2, names: ["signal", "noise"] };
    const y = { kind: "classification" as const, codes, classes: ["a", "b", "c"] };
    const model = await fitForest(X, y, { ...sklearnLike, trees: 10, minSamplesLeaf: 3 });
    expect(accuracy(model.predict(X), codes)).toBeGreaterThan(0.99);
    expect(model.featureImportance[0]).toBeGreaterThan(0.9);
  });

  it("gives class probabilities that sum to 1 per row", async () => {
    const model = await fitForest(train.X, train.y, { ...sklearnLike, trees: 5 });
    const p = model.predictProba(test.X);
    for (let r = 0; r < test.X.rows; r++) expect(p[2 * r] + p[2 * r + 1]).toBeCloseTo(1, 12);
  });

  it("has no OOB score without bootstrap", async () => {
    const model = await fitForest(train.X, train.y, { ...sklearnLike, trees: 3, bootstrap: false });
    expect(model.oobScore).toBeNull();
  });
});

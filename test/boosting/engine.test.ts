import { describe, expect, it } from "vitest";
import { makeClassification } from "../../bench/make-classification.ts";
import {
  type BoostingParams,
  defaultBoostingParams,
  deserializeBoosting,
  fitBoosting,
  serializeBoosting,
} from "../../pipeline/boosting/index.ts";
import { shouldStop, validationRows } from "../../pipeline/boosting/train.ts";
import type { FeatureMatrix, Target } from "../../pipeline/data/frame.ts";
import { ArtifactError, SpecError } from "../../pipeline/errors.ts";
import { boostingShap } from "../../pipeline/explain/boosting-shap.ts";
import { createRng } from "../../pipeline/random.ts";

const params = (over: Partial<BoostingParams> = {}): BoostingParams => ({
  ...defaultBoostingParams(7),
  iterations: 30,
  earlyStopping: false,
  ...over,
});

/** Three classes from two features, with a fifth of the x1 values missing. */
function threeClasses(rows: number, seed: number): { X: FeatureMatrix; y: Target } {
  const rng = createRng(seed);
  const values = new Float64Array(rows * 3);
  const codes = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const x0 = rng() * 4;
    const x1 = rng() * 4;
    codes[r] = x0 + x1 < 3 ? 0 : x0 > x1 ? 1 : 2;
    values.set([x0, rng() < 0.2 ? Number.NaN : x1, rng()], r * 3);
  }
  return {
    X: { values, rows, cols: 3, names: ["x0", "x1", "noise"] },
    y: { kind: "classification", codes, classes: ["a", "b", "c"] },
  };
}

function regression(rows: number, seed: number): { X: FeatureMatrix; y: Target } {
  const rng = createRng(seed);
  const values = new Float64Array(rows * 2);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const x0 = rng() * 6;
    values.set([x0, rng()], r * 2);
    y[r] = 3 * Math.sin(x0) + 0.1 * (rng() - 0.5);
  }
  return {
    X: { values, rows, cols: 2, names: ["x0", "x1"] },
    y: { kind: "regression", values: y },
  };
}

function accuracy(predicted: Float64Array, y: Target): number {
  if (y.kind !== "classification") throw new Error("classification only");
  let ok = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === y.codes[i]) ok++;
  return ok / predicted.length;
}

describe("histogram gradient boosting", () => {
  it("gives the same bytes with 1 and 2 worker threads (binary, feature and row subsampling, multiclass)", async () => {
    // sizes keep the root above the 65,536 (row, feature) pairs below which one thread sums
    const bin = makeClassification({ rows: 8000, features: 12, seed: 4 });
    const multi = threeClasses(25_000, 2);
    for (const [data, p] of [
      [bin, params()],
      [bin, params({ colsample: 0.75, iterations: 10 })],
      [multi, params({ subsample: 0.9, iterations: 8 })],
    ] as const) {
      const one = serializeBoosting(await fitBoosting(data.X, data.y, p, { workers: 1 }));
      const two = serializeBoosting(await fitBoosting(data.X, data.y, p, { workers: 2 }));
      expect(Buffer.from(two).equals(Buffer.from(one))).toBe(true);
    }
  }, 180_000);

  it("learns where missing values go, and predicts them as learned", async () => {
    // the label is "x0 is missing": only a split that sends missing values apart can learn it
    const rows = 2000;
    const rng = createRng(5);
    const values = new Float64Array(rows);
    const codes = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      codes[r] = rng() < 0.3 ? 1 : 0;
      values[r] = codes[r] === 1 ? Number.NaN : rng();
    }
    const X = { values, rows, cols: 1, names: ["x0"] };
    const y: Target = { kind: "classification", codes, classes: ["no", "yes"] };
    const model = await fitBoosting(X, y, params({ iterations: 5 }));
    expect(accuracy(model.predict(X), y)).toBe(1);
    const probe = { values: Float64Array.from([Number.NaN, 0.5]), rows: 2, cols: 1, names: ["x0"] };
    expect(Array.from(model.predict(probe))).toEqual([1, 0]);
  });

  it("fits multiclass with softmax: probabilities sum to 1, held-out accuracy high", async () => {
    const fit = threeClasses(3000, 1);
    const held = threeClasses(1000, 9);
    const model = await fitBoosting(fit.X, fit.y, params({ iterations: 60 }));
    expect(model.nOutputs).toBe(3);
    expect(model.nTrees).toBe(180);
    const proba = model.predictProba(held.X);
    for (let r = 0; r < held.X.rows; r++) {
      expect(proba[r * 3] + proba[r * 3 + 1] + proba[r * 3 + 2]).toBeCloseTo(1, 12);
    }
    expect(accuracy(model.predict(held.X), held.y)).toBeGreaterThan(0.9);
  });

  it.each(["squared_error", "absolute_error"] as const)(
    "fits a nonlinear regression with %s",
    async (loss) => {
      const fit = regression(2000, 3);
      const held = regression(500, 4);
      const model = await fitBoosting(fit.X, fit.y, params({ loss, iterations: 100 }));
      const p = model.predict(held.X);
      const v = (held.y as { values: Float64Array }).values;
      let se = 0;
      for (let i = 0; i < v.length; i++) se += (p[i] - v[i]) ** 2;
      expect(Math.sqrt(se / v.length)).toBeLessThan(0.2);
    },
  );

  it("stops early on the validation loss, recording the learning curve", async () => {
    // pure noise: the validation loss stops improving after a few rounds
    const rng = createRng(11);
    const rows = 3000;
    const values = Float64Array.from({ length: rows * 4 }, () => rng());
    const codes = Int32Array.from({ length: rows }, () => (rng() < 0.5 ? 1 : 0));
    const X = { values, rows, cols: 4, names: ["a", "b", "c", "d"] };
    const y: Target = { kind: "classification", codes, classes: ["0", "1"] };
    const model = await fitBoosting(X, y, params({ iterations: 500, earlyStopping: true }));
    expect(model.rounds).toBeLessThan(100);
    expect(model.flat.validationLoss.length).toBe(model.rounds + 1);
    expect(model.flat.trainLoss.length).toBe(model.rounds + 1);
    // training keeps fitting the noise while validation does not
    expect(model.flat.trainLoss[model.rounds]).toBeLessThan(model.flat.trainLoss[0]);
  });

  it("uses scikit-learn's stopping rule and a stratified seeded validation share", () => {
    expect(shouldStop([1, 0.9, 0.8], 2)).toBe(false);
    expect(shouldStop([1, 0.9, 0.9, 0.9], 2)).toBe(true);
    expect(shouldStop([1, 0.9, 0.95, 0.899], 2)).toBe(false);
    const codes = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const y: Target = { kind: "classification", codes, classes: ["0", "1"] };
    const val = validationRows(y, 0.1, 3);
    expect(val.length).toBe(100);
    expect(Array.from(val).filter((r) => codes[r] === 1).length).toBe(10);
    expect(Array.from(validationRows(y, 0.1, 3))).toEqual(Array.from(val));
    expect(Array.from(validationRows(y, 0.1, 4))).not.toEqual(Array.from(val));
  });

  it("round-trips through its artifact and refuses a corrupted one", async () => {
    const data = threeClasses(800, 6);
    const model = await fitBoosting(data.X, data.y, params({ iterations: 8 }));
    const bytes = serializeBoosting(model);
    const back = deserializeBoosting(bytes);
    expect(Array.from(back.predictProba(data.X))).toEqual(Array.from(model.predictProba(data.X)));
    expect(serializeBoosting(back)).toEqual(bytes);
    const bad = bytes.slice();
    bad[100] ^= 1;
    expect(() => deserializeBoosting(bad)).toThrow(ArtifactError);
  });

  it("explains the raw score exactly: expected value + contributions = raw score", async () => {
    for (const data of [threeClasses(600, 8), regression(600, 8)]) {
      const model = await fitBoosting(data.X, data.y, params({ iterations: 15 }));
      const rows = { ...data.X, rows: 20, values: data.X.values.subarray(0, 20 * data.X.cols) };
      const shap = boostingShap(model, rows);
      const raw = model.rawScore(rows);
      const K = shap.outputs;
      for (let r = 0; r < 20; r++) {
        for (let k = 0; k < K; k++) {
          let sum = shap.expected[k];
          for (let f = 0; f < shap.features; f++)
            sum += shap.values[(r * shap.features + f) * K + k];
          expect(sum).toBeCloseTo(raw[r * K + k], 9);
        }
      }
    }
  });

  it("refuses bad parameters naming the spec key", async () => {
    const data = regression(100, 1);
    await expect(fitBoosting(data.X, data.y, params({ learningRate: 0 }))).rejects.toThrow(
      /model\.learningRate/,
    );
    await expect(fitBoosting(data.X, data.y, params({ maxLeaves: 1 }))).rejects.toThrow(SpecError);
  });
});

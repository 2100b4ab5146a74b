/**
 * The forest engine's fixes towards scikit-learn's RandomForest (see pipeline/forest/README.md
 * for what still differs). Each test states the behaviour a scikit-learn user expects.
 */
import { describe, expect, it } from "vitest";
import type { FeatureMatrix, Target } from "../../pipeline/data/frame.ts";
import { type ForestParams, fitForest, OrchardForestModel } from "../../pipeline/forest/index.ts";
import { createRng } from "../../pipeline/random.ts";

function matrix(cols: number, values: number[]): FeatureMatrix {
  return {
    values: Float64Array.from(values),
    rows: values.length / cols,
    cols,
    names: Array.from({ length: cols }, (_, j) => `x${j}`),
  };
}

async function orchard(X: FeatureMatrix, y: Target, params: ForestParams) {
  const model = await fitForest(X, y, params);
  if (!(model instanceof OrchardForestModel)) throw new Error("expected an Orchard model");
  return model;
}

function r2(actual: Float64Array, predicted: Float64Array): number {
  const mean = actual.reduce((s, v) => s + v, 0) / actual.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < actual.length; i++) {
    ssRes += (actual[i] - predicted[i]) ** 2;
    ssTot += (actual[i] - mean) ** 2;
  }
  return 1 - ssRes / ssTot;
}

const forest: ForestParams = {
  trees: 20,
  maxDepth: null,
  minSamplesLeaf: 1,
  maxFeatures: "all",
  bootstrap: true,
  seed: 3,
};

describe("regression targets with a large offset", () => {
  /** y = a smooth signal of x0 plus noise, x1 noise; the last quarter held out. */
  function data(offset: number) {
    const rng = createRng(17);
    const values: number[] = [];
    const y: number[] = [];
    for (let r = 0; r < 800; r++) {
      const x0 = rng() * 6;
      values.push(x0, rng());
      y.push(offset + 3 * Math.sin(x0) + 0.3 * rng());
    }
    return { X: matrix(2, values), y: Float64Array.from(y) };
  }

  it.each([1.7e9, -3e12])(
    "fits the signal plus %d as well as the signal alone (held-out R² within 0.005)",
    async (offset) => {
      const scores = await Promise.all(
        [0, offset].map(async (o) => {
          const { X, y } = data(o);
          const rows = (a: number, b: number): FeatureMatrix => ({
            ...X,
            rows: b - a,
            values: X.values.subarray(a * 2, b * 2),
          });
          const model = await orchard(
            rows(0, 600),
            { kind: "regression", values: y.subarray(0, 600) },
            forest,
          );
          return r2(y.subarray(600), model.predict(rows(600, 800)));
        }),
      );
      expect(scores[0]).toBeGreaterThan(0.9);
      expect(Math.abs(scores[1] - scores[0])).toBeLessThan(0.005);
    },
  );
});

import { describe, expect, it } from "vitest";
import type { FeatureMatrix, Target } from "../../pipeline/data/frame.ts";
import { treeShapParallel } from "../../pipeline/explain/shap-parallel.ts";
import { nodeCover, treeShap } from "../../pipeline/explain/tree-shap.ts";
import { fitForest, type OrchardForestModel } from "../../pipeline/forest/index.ts";
import { createRng } from "../../pipeline/random.ts";

const ROWS = 500;
const F = 6;
const rng = createRng(3);
const X: FeatureMatrix = {
  rows: ROWS,
  cols: F,
  values: Float64Array.from({ length: ROWS * F }, () => (rng() < 0.02 ? Number.NaN : rng() * 10)),
  names: Array.from({ length: F }, (_, i) => `x${i}`),
};
const y: Target = {
  kind: "classification",
  classes: ["a", "b", "c"],
  codes: Int32Array.from({ length: ROWS }, (_, r) => {
    const v = (X.values[r * F] || 0) + (X.values[r * F + 1] || 0) + rng() * 4;
    return v < 8 ? 0 : v < 12 ? 1 : 2;
  }),
};
const explained: FeatureMatrix = { ...X, rows: 25, values: X.values.slice(0, 25 * F) };

async function forest() {
  const seed = 9;
  const model = (await fitForest(X, y, {
    trees: 9,
    maxDepth: null,
    minSamplesLeaf: 1,
    maxFeatures: "sqrt",
    bootstrap: true,
    seed,
  })) as OrchardForestModel;
  return { flat: model.flat, cover: nodeCover(model.flat, X, { seed, bootstrap: true }) };
}

describe("TreeSHAP on worker threads", () => {
  it("gives the single-thread values bit for bit, for any number of threads", async () => {
    const { flat, cover } = await forest();
    const one = treeShap(flat, cover, explained);
    const runs = [
      await treeShapParallel(flat, cover, explained, 3, { force: true }),
      // only workers compute: the values did come from worker threads
      await treeShapParallel(flat, cover, explained, 2, { callerComputes: false }),
    ];
    for (const run of runs) {
      expect(Array.from(run.values)).toEqual(Array.from(one.values));
      expect(Array.from(run.expected)).toEqual(Array.from(one.expected));
    }
  });

  it("stays in the calling thread for a small job, with the same values", async () => {
    const { flat, cover } = await forest();
    const got = await treeShapParallel(flat, cover, explained, 2);
    expect(Array.from(got.values)).toEqual(Array.from(treeShap(flat, cover, explained).values));
  });

  it("rejects a cover of another forest before starting workers", async () => {
    const { flat } = await forest();
    await expect(
      treeShapParallel(flat, new Float64Array(3), explained, 2, { force: true }),
    ).rejects.toThrow(/nodeCover/);
  });
});

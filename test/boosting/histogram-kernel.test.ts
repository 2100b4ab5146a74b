/**
 * The WebAssembly histogram kernel against the JavaScript loop it replaces: same sums to the
 * bit, for a contiguous run of features and for a feature list, with and without hessians,
 * over a node's scattered rows.
 */
import { describe, expect, it } from "vitest";
import {
  createArena,
  histogramLength,
  LocalHistogramSource,
  sumHistograms,
} from "../../pipeline/boosting/histogram.ts";
import { histogramKernels } from "../../pipeline/boosting/histogram-wasm.ts";
import { binFeatures } from "../../pipeline/forest/binning.ts";
import { createRng } from "../../pipeline/random.ts";

const rows = 3000;
const cols = 7;
const rng = createRng(11);
const values = new Float64Array(rows * cols);
for (let i = 0; i < values.length; i++) {
  // a missing value now and then, so the missing bin is summed too
  values[i] = rng() < 0.05 ? Number.NaN : Math.floor(rng() * 1000) / 7;
}
const data = binFeatures({ values, rows, cols, names: [] }, 256, 1, false);

describe("the WebAssembly histogram kernel", () => {
  it.each([
    { features: [0, 1, 2, 3, 4, 5, 6], k0: 0, k1: 7, constH: false },
    { features: [0, 1, 2, 3, 4, 5, 6], k0: 2, k1: 5, constH: true },
    { features: [0, 2, 3, 6], k0: 0, k1: 4, constH: false },
    { features: [1, 4, 5], k0: 1, k1: 3, constH: true },
  ])(
    "sums the same bits as the JavaScript loop ($features [$k0, $k1), constant hessian $constH)",
    ({ features, k0, k1, constH }) => {
      // two outputs, summing the second: the kernel must find output 1's gradients
      const arena = createArena(data, 2, false)!;
      const { views } = arena;
      const kernels = { fns: histogramKernels(arena.memory, false), layout: arena.layout };
      // every other third row or so, ascending: a node's scattered rows
      let m = 0;
      for (let r = 0; r < rows; r++) if (rng() < 0.4) views.rows[m++] = r;
      for (let i = 0; i < 2 * rows; i++) {
        views.gradients[i] = rng() - 0.5;
        views.hessians[i] = rng() * 0.25;
      }
      const feats = Int32Array.from(features);
      views.features.set(feats);
      const start = 5;
      sumHistograms(data, views, views.scratch, start, m, feats, k0, k1, constH, 1, kernels);
      const reference = new Float64Array(histogramLength(cols));
      sumHistograms(data, views, reference, start, m, feats, k0, k1, constH, 1, null);
      expect(reference.some((v) => v !== 0)).toBe(true);
      expect(Array.from(views.scratch)).toEqual(Array.from(reference));
    },
  );

  it("backs the in-thread source, which copies the node's features out of its scratch", () => {
    const wasm = new LocalHistogramSource(data, 1);
    const js = new LocalHistogramSource(data, 1, false);
    for (const s of [wasm, js]) {
      for (let i = 0; i < rows; i++) {
        s.rows[i] = i;
        s.gradients[i] = Math.sin(i);
        s.hessians[i] = 0.1 + Math.cos(i) ** 2;
      }
    }
    const features = Int32Array.from([1, 3, 4]);
    const a = new Float64Array(histogramLength(cols)).fill(7);
    const b = new Float64Array(histogramLength(cols)).fill(7);
    wasm.build(a, 10, rows - 10, features, false, 0);
    js.build(b, 10, rows - 10, features, false, 0);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

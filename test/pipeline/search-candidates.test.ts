import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SpecError } from "../../pipeline/errors.ts";
import { expandCandidates, MAX_CANDIDATES } from "../../pipeline/search/candidates.ts";
import type { ModelParams } from "../../pipeline/spec/types.ts";

const model: ModelParams = {
  trees: 100,
  maxDepth: null,
  minSamplesLeaf: 1,
  maxFeatures: "sqrt",
  bootstrap: true,
};

describe("expandCandidates", () => {
  it("gives the model itself when there is no search", () => {
    expect(expandCandidates(model, { strategy: "none", grid: {}, iterations: 10 }, 1)).toEqual([
      { id: "c000", params: model },
    ]);
  });

  it("takes the cartesian product of the grid in a stable order over the model defaults", () => {
    const out = expandCandidates(
      model,
      { strategy: "grid", grid: { trees: [10, 50], maxDepth: [3, null] }, iterations: 10 },
      1,
    );
    expect(out.map((c) => [c.params.maxDepth, c.params.trees])).toEqual([
      [3, 10],
      [3, 50],
      [null, 10],
      [null, 50],
    ]);
    expect(out.map((c) => c.id)).toEqual(["c000", "c001", "c002", "c003"]);
    expect(out.every((c) => c.params.maxFeatures === "sqrt" && c.params.minSamplesLeaf === 1)).toBe(
      true,
    );
  });

  it("samples distinct grid points for random search, the same ones for the same seed", () => {
    const grid = { trees: [10, 20, 30, 40], minSamplesLeaf: [1, 2, 3, 4, 5] };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer(), (iterations, seed) => {
        const search = { strategy: "random" as const, grid, iterations };
        const a = expandCandidates(model, search, seed);
        expect(a).toEqual(expandCandidates(model, search, seed));
        expect(a.length).toBe(Math.min(iterations, 20));
        const keys = new Set(a.map((c) => `${c.params.trees}/${c.params.minSamplesLeaf}`));
        expect(keys.size).toBe(a.length);
      }),
    );
  });

  it("refuses a grid larger than one run can fan out over", () => {
    const big = Array.from({ length: 30 }, (_, i) => i + 1);
    expect(() =>
      expandCandidates(
        model,
        { strategy: "grid", grid: { trees: big, minSamplesLeaf: big }, iterations: 10 },
        1,
      ),
    ).toThrow(SpecError);
    expect(30 * 30).toBeGreaterThan(MAX_CANDIDATES);
  });
});

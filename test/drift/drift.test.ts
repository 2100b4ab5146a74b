import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Frame } from "../../pipeline/data/frame.ts";
import { buildBaseline } from "../../pipeline/drift/baseline.ts";
import { compareWithBaseline } from "../../pipeline/drift/compare.ts";
import { ksStatistic } from "../../pipeline/drift/ks.ts";
import {
  binOf,
  numericBinCounts,
  psiFromCounts,
  quantileSorted,
} from "../../pipeline/drift/psi.ts";

const frame = (columns: Frame["columns"]): Frame => ({
  rowCount: columns[0].kind === "numeric" ? columns[0].values.length : columns[0].codes.length,
  columns,
});
const num = (name: string, xs: number[]) => ({
  kind: "numeric" as const,
  name,
  values: Float64Array.from(xs),
});
const cat = (name: string, xs: (string | null)[]) => {
  const levels = [...new Set(xs.filter((x): x is string => x !== null))];
  return {
    kind: "categorical" as const,
    name,
    levels,
    codes: Int32Array.from(xs, (x) => (x === null ? -1 : levels.indexOf(x))),
  };
};

describe("PSI pieces", () => {
  it.each([
    [[1, 2, 3, 4], 0.5, 2.5],
    [[1, 2, 3, 4], 0.1, 1.3],
    [[5], 0.9, 5],
    [[0, 10], 0.25, 2.5],
  ])("quantile of %j at %d is %d (numpy linear)", (xs, q, want) => {
    expect(quantileSorted(xs, q)).toBeCloseTo(want, 12);
  });

  it.each([
    [-1, 0],
    [1, 0],
    [1.5, 1],
    [2, 1],
    [3, 2],
    [9, 3],
  ])("puts %d in bin %d of edges (1, 2, 3): right-closed bins", (v, bin) => {
    expect(binOf([1, 2, 3], v)).toBe(bin);
  });

  it("counts missing values in a last bin of their own", () => {
    expect(numericBinCounts([1, 2], [0, 1, 1.5, Number.NaN, 7, Number.NaN])).toEqual([2, 1, 1, 2]);
  });

  it("works out a small PSI by hand", () => {
    // shares 0.5/0.5 against 0.25/0.75: (0.25-0.5)ln(0.5) + (0.75-0.5)ln(1.5)
    const want = -0.25 * Math.log(0.5) + 0.25 * Math.log(1.5);
    expect(psiFromCounts([10, 10], [1, 3])).toBeCloseTo(want, 14);
  });

  it("floors an empty bin's share at 1e-4 instead of dividing by zero", () => {
    const want = (0.5 - 1e-4) * Math.log(0.5 / 1e-4) + (0.5 - 1) * Math.log(0.5);
    expect(psiFromCounts([0, 4], [2, 2])).toBeCloseTo(want, 12);
  });

  it("rejects count vectors over different bins", () => {
    expect(() => psiFromCounts([1, 2], [1, 2, 3])).toThrow(/same bins/);
  });

  it("is zero for the same shares and never negative", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(50), { minLength: 2, maxLength: 12 }),
        fc.array(fc.nat(50), { minLength: 12, maxLength: 12 }),
        (e, a) => {
          fc.pre(e.some((x) => x > 0));
          expect(
            psiFromCounts(
              e,
              e.map((x) => x * 3),
            ),
          ).toBeCloseTo(0, 12);
          const b = a.slice(0, e.length);
          fc.pre(b.some((x) => x > 0));
          expect(psiFromCounts(e, b)).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

describe("KS statistic", () => {
  it("is 1 for separated samples and 0 for the same sample", () => {
    expect(ksStatistic([1, 2, 3], [4, 5])).toBe(1);
    expect(ksStatistic([1, 2, 2, 3], [3, 2, 1, 2])).toBe(0);
  });

  it("is symmetric and within [0, 1]", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 40 }),
        (a, b) => {
          const d = ksStatistic(a, b);
          expect(d).toBe(ksStatistic(b, a));
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it("leaves missing values out", () => {
    expect(ksStatistic([1, Number.NaN, 2], [1, 2, Number.NaN])).toBe(0);
  });
});

describe("compareWithBaseline", () => {
  const base = frame([
    num(
      "x",
      Array.from({ length: 100 }, (_, i) => i),
    ),
    cat(
      "c",
      Array.from({ length: 100 }, (_, i) => (i % 2 ? "a" : "b")),
    ),
    num(
      "id",
      Array.from({ length: 100 }, (_, i) => i),
    ),
  ]);
  const baseline = buildBaseline(base, { seed: 3, exclude: ["id"] });

  it("finds no drift in the baseline's own data", () => {
    const drift = compareWithBaseline(baseline, base, ["x", "c"], 0.2);
    expect(drift.drifted).toBe(false);
    expect(drift.maxPsi).toBeCloseTo(0, 12);
    expect(drift.features.map((f) => f.status)).toEqual(["stable", "stable"]);
  });

  it("flags a shifted numeric feature and keeps the highest PSI first", () => {
    const shifted = frame([
      num(
        "x",
        Array.from({ length: 100 }, (_, i) => i + 60),
      ),
      cat(
        "c",
        Array.from({ length: 100 }, (_, i) => (i % 2 ? "a" : "b")),
      ),
    ]);
    const drift = compareWithBaseline(baseline, shifted, ["c", "x"], 0.2);
    expect(drift.features[0]).toMatchObject({ feature: "x", status: "drifted" });
    expect(drift.features[0].ks).toBeCloseTo(0.6, 12);
    expect(drift.driftedFeatures).toEqual(["x"]);
    expect(drift.maxPsi).toBe(drift.features[0].psi);
  });

  it("counts levels the baseline never saw", () => {
    const current = frame([cat("c", ["a", "z", "z", "y", null]), num("x", [1, 2, 3, 4, 5])]);
    const f = compareWithBaseline(baseline, current, ["c"], 0.2).features[0];
    expect(f.unseenLevels.sort()).toEqual(["y", "z"]);
    expect(f.unseenRows).toBe(3);
    expect(f.missingShare).toBeCloseTo(0.2, 12);
    expect(f.status).toBe("drifted");
  });

  it.each([
    ["absent", frame([num("x", [1, 2])]), "c"],
    ["kind-changed", frame([num("c", [1, 2])]), "c"],
    ["not-in-baseline", frame([num("id", [1, 2])]), "id"],
  ])("reports a feature that cannot be compared as %s and drifted", (status, current, name) => {
    const drift = compareWithBaseline(baseline, current, [name], 0.2);
    expect(drift.features[0]).toMatchObject({ status, psi: null });
    expect(drift.drifted).toBe(true);
  });

  it("samples large numeric columns for KS with the seed, deterministically", () => {
    const big = frame([
      num(
        "x",
        Array.from({ length: 20 }, (_, i) => (i * 7) % 20),
      ),
    ]);
    const a = buildBaseline(big, { seed: 5, sampleSize: 8 });
    const b = buildBaseline(big, { seed: 5, sampleSize: 8 });
    const sample = (a.columns.x as { sample: number[] }).sample;
    expect(sample).toHaveLength(8);
    expect(sample).toEqual([...sample].sort((p, q) => p - q));
    expect(b.columns.x).toEqual(a.columns.x);
  });
});

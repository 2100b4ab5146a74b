import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Frame, Target } from "../../pipeline/data/frame.ts";
import { createRng, shuffle } from "../../pipeline/random.ts";
import {
  type CvResult,
  crossValidate,
  rankCandidates,
} from "../../pipeline/train/cross-validate.ts";

const params = {
  trees: 10,
  maxDepth: null,
  minSamplesLeaf: 1,
  maxFeatures: "all",
  bootstrap: true,
} as const;

function result(
  candidateId: string,
  mean: number,
  std = 0,
  metric: CvResult["metric"] = "r2",
): CvResult {
  return { candidateId, params, metric, scores: [mean], mean, std };
}

describe("rankCandidates", () => {
  it.each(["r2", "rmse"] as const)(
    "ranks a NaN mean last for %s, whichever way is better",
    (metric) => {
      const ranked = rankCandidates([
        result("c000", Number.NaN, 0, metric),
        result("c001", 0.5, 0, metric),
        result("c002", 0.7, 0, metric),
      ]);
      expect(ranked.map((r) => r.candidateId).at(-1)).toBe("c000");
      expect(ranked[0].candidateId).toBe(metric === "r2" ? "c002" : "c001");
    },
  );

  it("puts every NaN mean after every number and orders the numbers by the metric", () => {
    const mean = fc.oneof(fc.constant(Number.NaN), fc.double({ min: -1, max: 1, noNaN: true }));
    fc.assert(
      fc.property(fc.array(mean, { minLength: 1, maxLength: 12 }), (means) => {
        const ranked = rankCandidates(
          means.map((m, i) => result(`c${String(i).padStart(3, "0")}`, m)),
        );
        const seen = ranked.map((r) => r.mean ?? Number.NaN);
        const firstNaN = seen.findIndex((m) => Number.isNaN(m));
        if (firstNaN >= 0) expect(seen.slice(firstNaN).every(Number.isNaN)).toBe(true);
        const numbers = seen.filter((m) => !Number.isNaN(m));
        expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
        expect(ranked.map((r) => r.rank)).toEqual(means.map((_, i) => i + 1));
      }),
    );
  });
});

describe("crossValidate on a time split", () => {
  // y rises with time and x is the time: shuffled folds interpolate between neighbours, while
  // folds that chain forward must extrapolate to later rows, as the final time split does.
  const n = 120;
  const rng = createRng(5);
  const order = shuffle(
    Array.from({ length: n }, (_, i) => i),
    rng,
  );
  const times = Float64Array.from(order, (t) => 1_700_000_000_000 + t * 86_400_000);
  const frame: Frame = {
    rowCount: n,
    columns: [{ kind: "numeric", name: "x", values: Float64Array.from(order) }],
  };
  const target: Target = { kind: "regression", values: Float64Array.from(order, (t) => t) };
  const setup = {
    features: { numeric: ["x"], categorical: [] },
    preprocessing: {
      impute: { numeric: "median", categorical: "most_frequent" },
      scale: "none",
      onehot: {},
      clipOutliers: false,
    } as const,
    engine: "orchard" as const,
    seed: 1,
  };
  const candidate = { id: "c000", params: { ...params, trees: 20 } };

  it("scores folds that only train on earlier rows", async () => {
    const shuffled = await crossValidate(frame, target, candidate, setup, {
      folds: 4,
      metric: "rmse",
    });
    const forward = await crossValidate(frame, target, candidate, setup, {
      folds: 4,
      metric: "rmse",
      times,
    });
    expect(shuffled.mean).toBeLessThan(5);
    // Each forward fold's 24 rows lie beyond every training row: the error is about their span.
    expect(forward.mean).toBeGreaterThan(10);
    expect(forward.scores).toHaveLength(4);
  });
});

describe("a search with nothing to compare", () => {
  it("does not cross-validate with strategy none unless folds are set, and does when they are", async () => {
    const { parseSpec } = await import("../../pipeline/spec/parse-spec.ts");
    const base = "name: p\nsource:\n  uri: d.csv\ntarget: y\ntask: classification\n";
    expect(parseSpec(base, { file: "p.yaml" }).search.folds).toBeNull();
    expect(parseSpec(`${base}search:\n  folds: 3\n`, { file: "p.yaml" }).search.folds).toBe(3);
    expect(
      parseSpec(`${base}search:\n  strategy: grid\n  grid:\n    trees: [10, 20]\n`, {
        file: "p.yaml",
      }).search.folds,
    ).toBe(5);
  });

  it("fits nothing and scores null without folds, and such a candidate ranks after scored ones", async () => {
    const frame = { rowCount: 0, columns: [] } as unknown as Parameters<typeof crossValidate>[0];
    const target = { kind: "regression", values: new Float64Array(0) } as unknown as Parameters<
      typeof crossValidate
    >[1];
    const candidate = { id: "c0", params: {} } as unknown as Parameters<typeof crossValidate>[2];
    const setup = { seed: 1 } as unknown as Parameters<typeof crossValidate>[3];
    const result = await crossValidate(frame, target, candidate, setup, {
      folds: null,
      metric: "rmse",
    });
    expect(result).toMatchObject({ candidateId: "c0", scores: [], mean: null, std: null });
    const ranked = rankCandidates([result, { ...result, candidateId: "c1", mean: 2, std: 0 }]);
    expect(ranked.map((r) => r.candidateId)).toEqual(["c1", "c0"]);
  });
});

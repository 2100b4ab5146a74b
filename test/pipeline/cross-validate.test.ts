import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CvResult, rankCandidates } from "../../pipeline/train/cross-validate.ts";

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
        const seen = ranked.map((r) => r.mean);
        const firstNaN = seen.findIndex((m) => Number.isNaN(m));
        if (firstNaN >= 0) expect(seen.slice(firstNaN).every(Number.isNaN)).toBe(true);
        const numbers = seen.filter((m) => !Number.isNaN(m));
        expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
        expect(ranked.map((r) => r.rank)).toEqual(means.map((_, i) => i + 1));
      }),
    );
  });
});

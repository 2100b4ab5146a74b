/**
 * Issue 19's must-show for items 4 and 5, on the pure decisions: the A/B test promotes a
 * better challenger and not an equal one (two-proportion test for accuracy, bootstrap for
 * other metrics), and Thompson sampling, replayed on arms with a known better one, has far
 * less regret than a fixed 50/50 split and sends most traffic to the better arm.
 */
import { describe, expect, it } from "vitest";
import { decideAccuracy, decideBootstrap, normalCdf } from "../../pipeline/monitor/ab-test.ts";
import { allocation, newArms, replay, update } from "../../pipeline/monitor/bandit.ts";
import { createRng } from "../../pipeline/random.ts";

describe("A/B decision", () => {
  it("normalCdf matches known values", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.6448536)).toBeCloseTo(0.95, 6);
    expect(normalCdf(-1.959964)).toBeCloseTo(0.025, 6);
  });

  it("promotes a challenger with better accuracy, with its numbers", () => {
    const d = decideAccuracy({ correct: 800, n: 1000 }, { correct: 860, n: 1000 });
    expect(d.outcome).toBe("promote");
    // pooled p = 0.83, se = sqrt(0.83·0.17·0.002) = 0.016799; z = 0.06 / se
    expect(d.z).toBeCloseTo(0.06 / Math.sqrt(0.83 * 0.17 * 0.002), 9);
    expect(d.pValue).toBeLessThan(0.001);
  });

  it("does not promote an equal challenger, nor a slightly better one below the confidence", () => {
    expect(decideAccuracy({ correct: 800, n: 1000 }, { correct: 800, n: 1000 }).outcome).toBe(
      "rollback",
    );
    expect(decideAccuracy({ correct: 800, n: 1000 }, { correct: 810, n: 1000 }).outcome).toBe(
      "rollback",
    );
  });

  it("goes on while an arm has too few labels", () => {
    expect(decideAccuracy({ correct: 8, n: 10 }, { correct: 10, n: 10 }).outcome).toBe("continue");
  });

  it("by bootstrap: a challenger with lower error is promoted, an equal one is not", () => {
    const rng = createRng(7);
    const errors = (scale: number) => Array.from({ length: 400 }, () => scale * (rng() + rng()));
    const mae = {
      name: "mae",
      direction: "lower" as const,
      of: (rows: readonly number[]) => rows.reduce((a, b) => a + b, 0) / rows.length,
    };
    const champion = errors(1);
    expect(decideBootstrap(champion, errors(0.8), mae).outcome).toBe("promote");
    const same = decideBootstrap(champion, [...champion], mae);
    expect(same.outcome).toBe("rollback");
    expect(Math.abs(same.difference)).toBe(0);
  });
});

describe("Thompson sampling", () => {
  it("replayed on a known better arm, beats a fixed 50/50 split on regret", () => {
    const rates = [0.7, 0.8];
    const requests = 5000;
    const thompson = replay(rates, requests, { seed: 1, batch: 50 });
    const fixed = replay(rates, requests, { seed: 1, fixed: [0.5, 0.5] });
    // A fixed split's expected regret is 0.5 · 0.1 per request: 250 over 5,000.
    expect(fixed.regret).toBeCloseTo(0.05 * fixed.pulls[0] * 2, -2);
    expect(thompson.regret).toBeLessThan(fixed.regret / 3);
    expect(thompson.pulls[1] / requests).toBeGreaterThan(0.85);
    expect(thompson.reward).toBeGreaterThan(fixed.reward);
  });

  it("with four arms finds the best one; the same seed gives the same choices", () => {
    const rates = [0.6, 0.62, 0.75, 0.58];
    const a = replay(rates, 4000, { seed: 3, batch: 20 });
    const b = replay(rates, 4000, { seed: 3, batch: 20 });
    expect(a).toEqual(b);
    expect(a.pulls.indexOf(Math.max(...a.pulls))).toBe(2);
  });

  it("turns the posteriors into traffic weights that sum to 1 and favour the better arm", () => {
    const arms = newArms(["v1", "v2"]);
    for (let i = 0; i < 100; i++) {
      update(arms, 0, i % 10 < 6 ? 1 : 0);
      update(arms, 1, i % 10 < 8 ? 1 : 0);
    }
    const w = allocation(arms, 11);
    expect(w[0] + w[1]).toBeCloseTo(1, 12);
    expect(w[1]).toBeGreaterThan(0.9);
    expect(() => newArms(["v1"])).toThrow(RangeError);
    expect(() => newArms(["v1", "v2", "v3", "v4", "v5"])).toThrow(/1 to 3 challengers/);
  });
});

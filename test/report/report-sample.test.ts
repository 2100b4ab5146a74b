import { describe, expect, it } from "vitest";
import { seededSample } from "../../pipeline/report/sample.ts";

describe("seededSample", () => {
  it("draws k distinct indices of 0..n-1 in ascending order", () => {
    const s = seededSample(1000, 200, 7, 1);
    expect(s.length).toBe(200);
    for (let i = 1; i < s.length; i++) expect(s[i]).toBeGreaterThan(s[i - 1]);
    expect(s[0]).toBeGreaterThanOrEqual(0);
    expect(s[s.length - 1]).toBeLessThan(1000);
  });

  it("is the same for the same seed and stream, and another for another seed or stream", () => {
    const a = Array.from(seededSample(5000, 50, 7, 1));
    expect(Array.from(seededSample(5000, 50, 7, 1))).toEqual(a);
    expect(Array.from(seededSample(5000, 50, 8, 1))).not.toEqual(a);
    expect(Array.from(seededSample(5000, 50, 7, 2))).not.toEqual(a);
  });

  it("takes every row when there are no more than k", () => {
    expect(Array.from(seededSample(5, 200, 7, 1))).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(seededSample(5, 5, 7, 1))).toEqual([0, 1, 2, 3, 4]);
  });

  it("gives every row the same chance k/n (2,000 seeds, 4 standard deviations)", () => {
    const n = 50;
    const k = 10;
    const seeds = 2000;
    const hits = new Array<number>(n).fill(0);
    for (let seed = 0; seed < seeds; seed++) for (const i of seededSample(n, k, seed, 1)) hits[i]++;
    const p = k / n;
    const sd = Math.sqrt(seeds * p * (1 - p));
    for (const h of hits) expect(Math.abs(h - seeds * p)).toBeLessThan(4 * sd);
  });
});

import { describe, expect, it } from "vitest";
import { CachedFeatureReads } from "../../pipeline/serving/online-features.ts";
import { MemoryFeatureStore } from "../../pipeline/store-memory.ts";

async function setup(maxAgeMs: number) {
  const store = new MemoryFeatureStore();
  await store.putLatest("view:v", [{ id: "a", values: { x: 1 } }], { version: "1" });
  const reads: string[][] = [];
  const counting = {
    getLatest: (set: string, ids: string[], options?: Parameters<typeof store.getLatest>[2]) => {
      reads.push(ids);
      return store.getLatest(set, ids, options);
    },
  };
  let clock = 0;
  const cached = new CachedFeatureReads(counting, maxAgeMs, () => clock);
  return { store, cached, reads, tick: (ms: number) => (clock += ms) };
}

describe("CachedFeatureReads", () => {
  it("reads each entity once per window, absent ones too, and again after it", async () => {
    const s = await setup(1000);
    expect((await s.cached.getLatest("view:v", ["a", "b"])).get("a")?.values).toEqual({ x: 1 });
    s.tick(999);
    const again = await s.cached.getLatest("view:v", ["a", "b"]);
    expect([...again.keys()]).toEqual(["a"]);
    expect(s.reads).toEqual([["a", "b"]]);
    await s.store.putLatest("view:v", [{ id: "a", values: { x: 2 } }], { version: "2" });
    s.tick(1);
    expect((await s.cached.getLatest("view:v", ["a"])).get("a")?.values).toEqual({ x: 2 });
    expect(s.reads).toEqual([["a", "b"], ["a"]]);
  });

  it("reads through every time with 0", async () => {
    const s = await setup(0);
    await s.cached.getLatest("view:v", ["a"]);
    await s.cached.getLatest("view:v", ["a"]);
    expect(s.reads).toHaveLength(2);
  });
});

describe("CachedFeatureReads under concurrency", () => {
  it("shares one read among concurrent requests for the same entity", async () => {
    const s = await setup(1000);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => s.cached.getLatest("view:v", ["a"])),
    );
    expect(results.every((r) => r.get("a")?.values.x === 1)).toBe(true);
    expect(s.reads).toEqual([["a"]]);
  });
});

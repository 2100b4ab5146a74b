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
    s.tick(499);
    const again = await s.cached.getLatest("view:v", ["a", "b"]);
    expect([...again.keys()]).toEqual(["a"]);
    expect(s.reads).toEqual([["a", "b"]]);
    await s.store.putLatest("view:v", [{ id: "a", values: { x: 2 } }], { version: "2" });
    s.tick(501);
    expect((await s.cached.getLatest("view:v", ["a"])).get("a")?.values).toEqual({ x: 2 });
    expect(s.reads).toEqual([["a", "b"], ["a"]]);
  });

  it("renews an entry past half its age in the background: the request is answered from the cache, the next sees the new row", async () => {
    const s = await setup(1000);
    await s.cached.getLatest("view:v", ["a"]);
    await s.store.putLatest("view:v", [{ id: "a", values: { x: 2 } }], { version: "2" });
    s.tick(600);
    // Answered from the entry (read at 0), which the same call renews.
    expect((await s.cached.getLatest("view:v", ["a"])).get("a")?.values).toEqual({ x: 1 });
    expect(s.reads).toEqual([["a"], ["a"]]);
    // Past the first read's age: the renewed entry (read at 600) answers, with no new read.
    s.tick(500);
    expect((await s.cached.getLatest("view:v", ["a"])).get("a")?.values).toEqual({ x: 2 });
    expect(s.reads).toEqual([["a"], ["a"]]);
  });

  it("under steady traffic, no request waits for the store: entries are renewed before they expire", async () => {
    const store = new MemoryFeatureStore();
    await store.putLatest("view:v", [{ id: "a", values: { x: 1 } }], { version: "1" });
    // A store that answers only when the test lets it (a read taking a while).
    const gates: (() => void)[] = [];
    let reads = 0;
    const slow = {
      getLatest: async (...args: Parameters<typeof store.getLatest>) => {
        reads++;
        await new Promise<void>((open) => gates.push(open));
        return store.getLatest(...args);
      },
    };
    let clock = 0;
    const cached = new CachedFeatureReads(slow, 1000, () => clock);
    const first = cached.getLatest("view:v", ["a"]);
    gates.shift()?.();
    await first;
    for (let i = 0; i < 50; i++) {
      clock += 100;
      const answer = await Promise.race([
        cached.getLatest("view:v", ["a"]).then((m) => m.get("a")?.values.x),
        new Promise((r) => setTimeout(() => r("waited for the store"), 50)),
      ]);
      expect(answer, `request at ${clock} ms`).toBe(1);
      // The store answers any renewal before the next request (within 100 ms).
      for (const open of gates.splice(0)) open();
      await new Promise((r) => setImmediate(r));
    }
    // About one renewal per half window.
    expect(reads).toBeGreaterThan(5);
    expect(reads).toBeLessThan(15);
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

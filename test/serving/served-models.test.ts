/**
 * Which model answers: the champion, cached per version and re-read at most every refreshMs;
 * during a canary, the candidate for its exact share of requests while the baseline is still
 * the champion.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { ModelBundle } from "../../pipeline/model/bundle.ts";
import type { CapturedRequest } from "../../pipeline/monitor/capture.ts";
import { handleRequest } from "../../pipeline/serving/handle.ts";
import { ServedModels } from "../../pipeline/serving/served-models.ts";
import {
  activeCanary,
  encodeTraffic,
  routesToCandidate,
  type TrafficRecord,
  trafficKey,
} from "../../pipeline/serving/traffic.ts";
import { memoryServing, PIPELINE, post, trainBundle } from "./fixtures.ts";

let a: ModelBundle;
let b: ModelBundle;

beforeAll(async () => {
  a = await trainBundle("classification", 1);
  b = await trainBundle("classification", 2);
});

function traffic(record: Partial<TrafficRecord>): Uint8Array {
  return encodeTraffic({
    pipeline: PIPELINE,
    baseline: "v1",
    candidate: "v2",
    weight: 0.25,
    startedAt: "2026-01-01T00:00:00.000Z",
    ...record,
  });
}

describe("champion cache", () => {
  it("picks up a promotion once the refresh window has passed, not before", async () => {
    const stores = memoryServing();
    await stores.promote(a);
    let now = 0;
    const served = new ServedModels({
      pipeline: PIPELINE,
      ...stores,
      refreshMs: 1000,
      now: () => now,
    });
    expect((await served.next()).version).toBe("v1");
    await stores.promote(b);
    now = 999;
    expect((await served.next()).version).toBe("v1");
    now = 1000;
    expect((await served.next()).version).toBe("v2");
  });

  it("loads each bundle once per version, however many requests", async () => {
    const stores = memoryServing();
    await stores.promote(a);
    let gets = 0;
    const get = stores.artifacts.get.bind(stores.artifacts);
    stores.artifacts.get = async (uri) => {
      if (uri.endsWith(".orchmodel")) gets++;
      return get(uri);
    };
    const served = new ServedModels({ pipeline: PIPELINE, ...stores, refreshMs: 0 });
    await Promise.all(Array.from({ length: 20 }, () => served.next()));
    expect(gets).toBe(1);
  });

  it("shares one registry read between concurrent requests", async () => {
    const stores = memoryServing();
    await stores.promote(a);
    let reads = 0;
    const getChampion = stores.registry.getChampion.bind(stores.registry);
    stores.registry.getChampion = async (p) => {
      reads++;
      return getChampion(p);
    };
    const served = new ServedModels({ pipeline: PIPELINE, ...stores, refreshMs: 60_000 });
    await Promise.all(Array.from({ length: 50 }, () => served.next()));
    expect(reads).toBe(1);
  });

  it("keeps serving the cached model when a refresh fails, and says so", async () => {
    const stores = memoryServing();
    await stores.promote(a);
    const errors: unknown[] = [];
    const served = new ServedModels({
      pipeline: PIPELINE,
      ...stores,
      refreshMs: 0,
      onRefreshError: (e) => errors.push(e),
    });
    await served.next();
    stores.registry.getChampion = async () => {
      throw new Error("throttled");
    };
    expect((await served.next()).version).toBe("v1");
    expect(errors).toHaveLength(1);
  });
});

describe("canary routing", () => {
  it.each([
    [0.25, 100, 25],
    [0.1, 100, 10],
    [0.5, 7, 3],
    [1, 10, 10],
  ])("weight %d sends the candidate %i requests' share (%i)", async (weight, n, expected) => {
    const stores = memoryServing();
    await stores.promote(a);
    await stores.register(b);
    await stores.artifacts.put("artifacts", trafficKey(PIPELINE), traffic({ weight }));
    const served = new ServedModels({ pipeline: PIPELINE, ...stores, refreshMs: 60_000 });
    const versions: string[] = [];
    for (let i = 0; i < n; i++) versions.push((await served.next()).version);
    expect(versions.filter((v) => v === "v2")).toHaveLength(expected);
    expect(served.describe()).toEqual({ champion: "v1", canary: { version: "v2", weight } });
  });

  it("answers canary requests with the candidate's own model", async () => {
    const stores = memoryServing();
    await stores.promote(a);
    await stores.register(b);
    await stores.artifacts.put("artifacts", trafficKey(PIPELINE), traffic({ weight: 1 }));
    const served = new ServedModels({ pipeline: PIPELINE, ...stores, refreshMs: 0 });
    const model = await served.next();
    expect(model).toMatchObject({ version: "v2", canary: true });
    expect(model.bundle.header.lineage.seed).toBe(2);
  });

  it.each<[string, Partial<TrafficRecord>]>([
    ["the baseline is no longer the champion", { baseline: "v9" }],
    ["the candidate already is the champion", { baseline: "v1", candidate: "v1" }],
    ["the canary was cleared", { candidate: null }],
    ["the weight is zero", { weight: 0 }],
  ])("ignores the traffic record when %s", async (_, record) => {
    const stores = memoryServing();
    await stores.promote(a);
    await stores.register(b);
    await stores.artifacts.put("artifacts", trafficKey(PIPELINE), traffic(record));
    const served = new ServedModels({ pipeline: PIPELINE, ...stores, refreshMs: 0 });
    for (let i = 0; i < 10; i++) expect((await served.next()).version).toBe("v1");
  });

  it("the split is exact over every prefix of requests, to within one (property of the rule)", () => {
    for (const w of [0.01, 0.05, 0.1, 0.33, 0.5, 0.9]) {
      let count = 0;
      for (let n = 0; n < 1000; n++) {
        if (routesToCandidate(n, w)) count++;
        expect(Math.abs(count - (n + 1) * w)).toBeLessThan(1);
      }
    }
  });

  it("activeCanary needs a record, a candidate and the recorded baseline", () => {
    const record = JSON.parse(new TextDecoder().decode(traffic({}))) as TrafficRecord;
    expect(activeCanary(record, "v1")).toEqual({ version: "v2", weight: 0.25 });
    expect(activeCanary(record, null)).toBeNull();
    expect(activeCanary(null, "v1")).toBeNull();
  });
});

describe("A/B and bandit arms", () => {
  const arms = (weights: number[]) =>
    traffic({
      strategy: "bandit",
      arms: weights.map((weight, i) => ({ version: `v${i + 1}`, weight })),
    });

  it("routes a request by its id: the same id always gets the same version, shares hold", async () => {
    const stores = memoryServing();
    await stores.promote(a);
    await stores.register(b);
    await stores.register(await trainBundle("classification", 3));
    await stores.artifacts.put("artifacts", trafficKey(PIPELINE), arms([0.2, 0.3, 0.5]));
    const served = new ServedModels({ pipeline: PIPELINE, ...stores, refreshMs: 60_000 });
    const first: string[] = [];
    for (let i = 0; i < 3000; i++) first.push((await served.next(`r-${i}`)).version);
    for (let i = 0; i < 300; i++) expect((await served.next(`r-${i}`)).version).toBe(first[i]);
    const share = (v: string) => first.filter((x) => x === v).length / first.length;
    expect(share("v1")).toBeCloseTo(0.2, 1);
    expect(share("v2")).toBeCloseTo(0.3, 1);
    expect(share("v3")).toBeCloseTo(0.5, 1);
    expect(served.describe()).toEqual({
      champion: "v1",
      canary: null,
      strategy: "bandit",
      arms: [
        { version: "v1", weight: 0.2 },
        { version: "v2", weight: 0.3 },
        { version: "v3", weight: 0.5 },
      ],
    });
    const model = await served.next("r-0");
    expect(model.canary).toBe(model.version !== "v1");
  });

  it("over HTTP: a retry with the same x-request-id is answered by the same arm, and captured so", async () => {
    const stores = memoryServing();
    await stores.promote(a);
    await stores.register(b);
    await stores.artifacts.put("artifacts", trafficKey(PIPELINE), arms([0.5, 0.5]));
    const served = new ServedModels({ pipeline: PIPELINE, ...stores, refreshMs: 60_000 });
    const captured: CapturedRequest[] = [];
    const options = { capture: (c: CapturedRequest) => captured.push(c) };
    const versions = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const send = () =>
        handleRequest(
          post({ rows: [{ x: 1, colour: "red" }] }, { "x-request-id": `id-${i}` }),
          served,
          options,
        );
      const [first, retry] = [await send(), await send()];
      const version = (r: typeof first) => JSON.parse(String(r.response.body)).modelVersion;
      expect(version(retry)).toBe(version(first));
      versions.add(version(first));
    }
    expect(versions).toEqual(new Set(["v1", "v2"]));
    expect(captured.filter((c) => c.requestId === "id-7").map((c) => c.modelVersion)).toHaveLength(
      2,
    );
    const health = await handleRequest(
      { method: "GET", path: "/health", headers: {}, body: new Uint8Array() },
      served,
    );
    expect(JSON.parse(String(health.response.body))).toMatchObject({
      strategy: "bandit",
      arms: [{ version: "v1" }, { version: "v2" }],
    });
  });

  it("gives an arm missing from the registry's share to the champion", async () => {
    const stores = memoryServing();
    await stores.promote(a);
    await stores.artifacts.put("artifacts", trafficKey(PIPELINE), arms([0.5, 0.5]));
    const served = new ServedModels({ pipeline: PIPELINE, ...stores, refreshMs: 0 });
    for (let i = 0; i < 20; i++) {
      expect(await served.next(`r-${i}`)).toMatchObject({ version: "v1", canary: false });
    }
  });
});

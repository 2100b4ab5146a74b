/**
 * Behaviour tables shared by every implementation of the storage interfaces: the in-memory
 * ones and the SDK adapters against s3rver/dynalite run the same cases, so they cannot drift.
 * Cases share one store per implementation and keep apart by unique prefixes, feature sets and
 * pipeline names.
 */

import { createHash } from "node:crypto";
import { expect } from "vitest";
import {
  ArtifactNotFoundError,
  ModelVersionNotFoundError,
  TypeMismatchError,
} from "../../pipeline/errors.ts";
import type {
  ArtifactStore,
  FeatureRowInput,
  FeatureStore,
  ModelRegistry,
  ModelVersionInput,
} from "../../pipeline/store.ts";
import { patternBytes } from "./local-services.ts";

export interface StoreCase<S> {
  name: string;
  run(store: S): Promise<void>;
}

const text = (s: string) => new TextEncoder().encode(s);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------

export const artifactStoreCases: StoreCase<ArtifactStore>[] = [
  {
    name: "putContent keys the bytes by their SHA-256 under the prefix",
    async run(store) {
      const bytes = text("id,label\n1,a\n");
      const out = await store.putContent("raw", "iris", bytes, "csv");
      expect(out.key).toBe(`iris/${sha(bytes)}.csv`);
      expect(out.sha256).toBe(sha(bytes));
      expect(out.size).toBe(bytes.byteLength);
      expect(out.uri).toBe(store.uriFor("raw", out.key));
      expect(out.created).toBe(true);
    },
  },
  {
    name: "putContent of the same bytes gives the same key and created=false the second time",
    async run(store) {
      const bytes = text("same bytes twice");
      const first = await store.putContent("raw", "twice", bytes, "txt");
      const second = await store.putContent("raw", "twice", bytes.slice(), "txt");
      expect(second).toEqual({ ...first, created: false });
      expect(await store.get(second.uri)).toEqual(bytes);
    },
  },
  {
    name: "different bytes under one prefix get different keys",
    async run(store) {
      const a = await store.putContent("features", "diff", text("a"), "json");
      const b = await store.putContent("features", "diff", text("b"), "json");
      expect(a.key).not.toBe(b.key);
      expect(await store.get(a.uri)).toEqual(text("a"));
      expect(await store.get(b.uri)).toEqual(text("b"));
    },
  },
  {
    name: "areas are separate buckets: the same bytes are created once in each",
    async run(store) {
      const bytes = text("per-area");
      const raw = await store.putContent("raw", "areas", bytes, "bin");
      const art = await store.putContent("artifacts", "areas", bytes, "bin");
      expect(art.key).toBe(raw.key);
      expect(art.uri).not.toBe(raw.uri);
      expect([raw.created, art.created]).toEqual([true, true]);
    },
  },
  {
    name: "slashes around the prefix and a dot before the extension are normalised",
    async run(store) {
      const bytes = text("normalised");
      const out = await store.putContent("raw", "/a/b/", bytes, ".json");
      expect(out.key).toBe(`a/b/${sha(bytes)}.json`);
    },
  },
  {
    name: "changing the caller's buffer after a write does not change what is stored",
    async run(store) {
      const bytes = text("immutable");
      const out = await store.putContent("raw", "mutate", bytes, "txt");
      bytes.fill(0);
      expect(await store.get(out.uri)).toEqual(text("immutable"));
    },
  },
  {
    name: "put writes a named key and overwrites it",
    async run(store) {
      const first = await store.put("artifacts", "reports/run-1/report.json", text('{"v":1}'));
      const second = await store.put("artifacts", "reports/run-1/report.json", text('{"v":2}'));
      expect(second.uri).toBe(first.uri);
      expect(second.key).toBe("reports/run-1/report.json");
      expect(second.sha256).toBe(sha(text('{"v":2}')));
      expect(await store.get(first.uri)).toEqual(text('{"v":2}'));
    },
  },
  {
    name: "exists is false before a write and true after it",
    async run(store) {
      const uri = store.uriFor("artifacts", "exists/model.json");
      expect(await store.exists(uri)).toBe(false);
      await store.put("artifacts", "exists/model.json", text("{}"));
      expect(await store.exists(uri)).toBe(true);
    },
  },
  {
    name: "get of a missing URI throws ArtifactNotFoundError naming the URI",
    async run(store) {
      const uri = store.uriFor("raw", "missing/nothing-here.csv");
      const err = await store.get(uri).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArtifactNotFoundError);
      expect((err as Error).message).toContain(uri);
    },
  },
  {
    name: "get of a string that is not an s3:// URI throws ArtifactNotFoundError naming it",
    async run(store) {
      const err = await store.get("/tmp/model.json").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArtifactNotFoundError);
      expect((err as Error).message).toContain("/tmp/model.json");
    },
  },
  ...[0, 1, 5 * MiB - 1, 5 * MiB + 1, 11 * MiB + 3].map(
    (size): StoreCase<ArtifactStore> => ({
      name: `${size} bytes round-trip byte-exact`,
      async run(store) {
        const bytes = patternBytes(size, size + 1);
        const out = await store.putContent("raw", "sizes", bytes, "bin");
        expect(out.size).toBe(size);
        const back = await store.get(out.uri);
        expect(back.byteLength).toBe(size);
        expect(sha(back)).toBe(sha(bytes));
      },
    }),
  ),
];

// ---------------------------------------------------------------------------------------------

const rowsOf = (n: number, tag: string): FeatureRowInput[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `entity-${i}`,
    values: { x: i * 0.5, label: `${tag}-${i}`, missing: null },
  }));

const T0 = new Date("2030-01-01T00:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

export const featureStoreCases: StoreCase<FeatureStore>[] = [
  {
    name: "getLatest returns the last row written per entity and keeps the others",
    async run(store) {
      await store.putLatest("latest", rowsOf(2, "old"), { version: "f1", now: T0 });
      await store.putLatest("latest", [{ id: "entity-0", values: { x: 9 } }], {
        version: "f2",
        now: at(10),
      });
      const got = await store.getLatest("latest", ["entity-0", "entity-1"], { now: at(20) });
      expect(got.get("entity-0")).toEqual({
        id: "entity-0",
        values: { x: 9 },
        version: "f2",
        updatedAt: at(10).toISOString(),
      });
      expect(got.get("entity-1")?.values).toEqual({ x: 0.5, label: "old-1", missing: null });
      expect(got.get("entity-1")?.version).toBe("f1");
    },
  },
  {
    name: "ids without a row are absent from the result",
    async run(store) {
      await store.putLatest("absent", rowsOf(1, "a"), { version: "f1" });
      const got = await store.getLatest("absent", ["entity-0", "nobody", "entity-0"]);
      expect([...got.keys()]).toEqual(["entity-0"]);
    },
  },
  {
    name: "a repeated id within one write keeps its last row",
    async run(store) {
      await store.putLatest(
        "repeat",
        [
          { id: "e", values: { v: 1 } },
          { id: "e", values: { v: 2 } },
        ],
        { version: "f1" },
      );
      expect((await store.getLatest("repeat", ["e"])).get("e")?.values).toEqual({ v: 2 });
    },
  },
  {
    name: "feature sets do not see each other's rows",
    async run(store) {
      await store.putLatest("set-a", [{ id: "e", values: { v: "a" } }], { version: "f1" });
      await store.putLatest("set-b", [{ id: "e", values: { v: "b" } }], { version: "f1" });
      expect((await store.getLatest("set-a", ["e"])).get("e")?.values).toEqual({ v: "a" });
      expect((await store.getLatest("set-b", ["e"])).get("e")?.values).toEqual({ v: "b" });
    },
  },
  ...[1, 25, 26, 100, 101, 260].map(
    (n): StoreCase<FeatureStore> => ({
      name: `${n} rows are written and read back in batches`,
      async run(store) {
        const rows = rowsOf(n, `n${n}`);
        await store.putLatest(`batch-${n}`, rows, { version: "f1" });
        const ids = [...rows.map((r) => r.id), "unknown-1", "unknown-2"];
        const got = await store.getLatest(`batch-${n}`, ids);
        expect(got.size).toBe(n);
        for (const row of rows) expect(got.get(row.id)?.values).toEqual(row.values);
      },
    }),
  ),
  ...(
    [
      [0, true],
      [59, true],
      [60, false],
      [86_400, false],
    ] as const
  ).map(
    ([seconds, present]): StoreCase<FeatureStore> => ({
      name: `a row with a 60 s TTL read ${seconds} s after the write is ${present ? "present" : "absent"}`,
      async run(store) {
        const set = `ttl-${seconds}`;
        await store.putLatest(set, rowsOf(1, "t"), { version: "f1", ttlSeconds: 60, now: T0 });
        const got = await store.getLatest(set, ["entity-0"], { now: at(seconds) });
        expect(got.has("entity-0")).toBe(present);
        if (present) expect(got.get("entity-0")?.expiresAt).toBe(T0.getTime() / 1000 + 60);
      },
    }),
  ),
  {
    name: "a row written without a TTL never expires, even over an earlier row with one",
    async run(store) {
      await store.putLatest("no-ttl", rowsOf(1, "t"), { version: "f1", ttlSeconds: 1, now: T0 });
      await store.putLatest("no-ttl", rowsOf(1, "t"), { version: "f2", now: T0 });
      const got = await store.getLatest("no-ttl", ["entity-0"], { now: at(10 * 365 * 86_400) });
      expect(got.get("entity-0")?.version).toBe("f2");
      expect(got.get("entity-0")?.expiresAt).toBeUndefined();
    },
  },
  {
    name: "numbers, strings (empty too) and nulls round-trip exactly",
    async run(store) {
      const values = { int: 42, neg: -3.25, tiny: 1e-12, zero: 0, s: "x y", empty: "", nil: null };
      await store.putLatest("types", [{ id: "e", values }], { version: "f1" });
      expect((await store.getLatest("types", ["e"])).get("e")?.values).toEqual(values);
    },
  },
  ...[Number.NaN, Number.POSITIVE_INFINITY, undefined as unknown as number].map(
    (bad): StoreCase<FeatureStore> => ({
      name: `a value of ${String(bad)} is refused with TypeMismatchError naming the column`,
      async run(store) {
        const err = await store
          .putLatest("bad", [{ id: "e", values: { ok: 1, broken: bad } }], { version: "f1" })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TypeMismatchError);
        expect((err as TypeMismatchError).location.column).toBe("broken");
        expect((await store.getLatest("bad", ["e"])).size).toBe(0);
      },
    }),
  ),
];

// ---------------------------------------------------------------------------------------------

export const sampleRecord = (auc: number): ModelVersionInput => ({
  modelUri: `s3://orchard-artifacts/models/${auc}.json`,
  metrics: { auc, accuracy: 0.8125 },
  params: { maxDepth: 6, trees: 100, features: ["a", "b"], nested: { bootstrap: true } },
  lineage: {
    dataSha256: "d".repeat(64),
    specSha256: "5".repeat(64),
    seed: 42,
    orchardVersion: "0.1.0",
    createdAt: "2030-01-01T00:00:00.000Z",
  },
  status: "candidate",
});

async function registerMany(registry: ModelRegistry, pipeline: string, n: number) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await registry.registerVersion(pipeline, sampleRecord(i)));
  return out;
}

export const modelRegistryCases: StoreCase<ModelRegistry>[] = [
  {
    name: "versions are numbered v1, v2, v3 in registration order",
    async run(registry) {
      const versions = await registerMany(registry, "seq", 3);
      expect(versions.map((v) => [v.version, v.sequence])).toEqual([
        ["v1", 1],
        ["v2", 2],
        ["v3", 3],
      ]);
    },
  },
  {
    name: "10 concurrent registrations get distinct consecutive ids",
    async run(registry) {
      const versions = await Promise.all(
        Array.from({ length: 10 }, (_, i) => registry.registerVersion("conc", sampleRecord(i))),
      );
      const sequences = versions.map((v) => v.sequence).sort((a, b) => a - b);
      expect(sequences).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect((await registry.listVersions("conc")).length).toBe(10);
    },
  },
  {
    name: "a version reads back with its record, lineage and an empty history",
    async run(registry) {
      const record = sampleRecord(0.91);
      const registered = await registry.registerVersion("read", record);
      const read = await registry.getVersion("read", registered.version);
      expect(read).toEqual(registered);
      expect(read).toMatchObject({ ...record, pipeline: "read", promotions: [] });
    },
  },
  ...["v99", "v0", "1", "x", ""].map(
    (id): StoreCase<ModelRegistry> => ({
      name: `getVersion of "${id}" (not registered) is null`,
      async run(registry) {
        await registry.registerVersion("unknown-id", sampleRecord(0.5));
        expect(await registry.getVersion("unknown-id", id)).toBeNull();
      },
    }),
  ),
  {
    name: "listVersions lists newest first across pages",
    async run(registry) {
      await registerMany(registry, "list", 7);
      const listed = await registry.listVersions("list");
      expect(listed.map((v) => v.version)).toEqual(["v7", "v6", "v5", "v4", "v3", "v2", "v1"]);
      expect(await registry.listVersions("list-none")).toEqual([]);
    },
  },
  {
    name: "a pipeline without promotions has no champion",
    async run(registry) {
      await registerMany(registry, "no-champ", 1);
      expect(await registry.getChampion("no-champ")).toBeNull();
    },
  },
  {
    name: "the first promotion (expecting no champion) wins and records who, when and previous",
    async run(registry) {
      await registerMany(registry, "first", 1);
      const now = new Date("2030-02-01T12:00:00Z");
      const out = await registry.promote("first", "v1", { expectedChampion: null, by: "ci", now });
      expect(out).toEqual({ promoted: true, champion: "v1" });
      const champion = await registry.getChampion("first");
      expect(champion?.version).toBe("v1");
      expect(champion?.promotions).toEqual([{ at: now.toISOString(), by: "ci", previous: null }]);
    },
  },
  {
    name: "a promotion that expects the current champion replaces it and records the previous",
    async run(registry) {
      await registerMany(registry, "replace", 2);
      await registry.promote("replace", "v1", { expectedChampion: null });
      const out = await registry.promote("replace", "v2", { expectedChampion: "v1" });
      expect(out).toEqual({ promoted: true, champion: "v2" });
      expect((await registry.getChampion("replace"))?.promotions.map((p) => p.previous)).toEqual([
        "v1",
      ]);
    },
  },
  {
    name: "a promotion with a stale expected champion loses, saying why, and changes nothing",
    async run(registry) {
      await registerMany(registry, "stale", 3);
      await registry.promote("stale", "v1", { expectedChampion: null });
      await registry.promote("stale", "v2", { expectedChampion: "v1" });
      const out = await registry.promote("stale", "v3", { expectedChampion: "v1" });
      expect(out.promoted).toBe(false);
      expect(out.champion).toBe("v2");
      expect(out.reason).toMatch(/v3.*v1.*v2/);
      expect((await registry.getChampion("stale"))?.version).toBe("v2");
      expect((await registry.getVersion("stale", "v3"))?.promotions).toEqual([]);
    },
  },
  {
    name: "a promotion expecting a champion when there is none loses with champion null",
    async run(registry) {
      await registerMany(registry, "none", 1);
      const out = await registry.promote("none", "v1", { expectedChampion: "v7" });
      expect(out).toMatchObject({ promoted: false, champion: null });
      expect(await registry.getChampion("none")).toBeNull();
    },
  },
  ...(
    [
      [2, null],
      [5, null],
      [2, "v1"],
      [5, "v1"],
    ] as const
  ).map(
    ([n, from]): StoreCase<ModelRegistry> => ({
      name: `${n} concurrent promotions from ${from ?? "no champion"}: exactly one wins`,
      async run(registry) {
        const pipeline = `race-${n}-${from ?? "none"}`;
        await registerMany(registry, pipeline, n + 1);
        if (from) await registry.promote(pipeline, from, { expectedChampion: null });
        const contenders = Array.from({ length: n }, (_, i) => `v${i + 2}`);
        const results = await Promise.all(
          contenders.map((v) => registry.promote(pipeline, v, { expectedChampion: from })),
        );
        const winners = results.filter((r) => r.promoted);
        expect(winners.length).toBe(1);
        const winner = winners[0].champion;
        expect(results.map((r) => r.champion)).toEqual(contenders.map(() => winner));
        for (const loser of results.filter((r) => !r.promoted)) expect(loser.reason).toBeTruthy();
        expect((await registry.getChampion(pipeline))?.version).toBe(winner);
        const histories = await Promise.all(
          contenders.map(async (v) => (await registry.getVersion(pipeline, v))?.promotions.length),
        );
        expect(histories.reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(1);
      },
    }),
  ),
  {
    name: "promoting the current champion again changes nothing and says so",
    async run(registry) {
      await registerMany(registry, "again", 1);
      await registry.promote("again", "v1", { expectedChampion: null });
      const out = await registry.promote("again", "v1", { expectedChampion: "v1" });
      expect(out).toMatchObject({ promoted: false, champion: "v1" });
      expect(out.reason).toContain("already");
      expect((await registry.getVersion("again", "v1"))?.promotions.length).toBe(1);
    },
  },
  {
    name: "promoting an unregistered version throws ModelVersionNotFoundError naming it",
    async run(registry) {
      await registerMany(registry, "ghost", 1);
      const err = await registry
        .promote("ghost", "v5", { expectedChampion: null })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelVersionNotFoundError);
      expect((err as Error).message).toContain("v5");
      expect(await registry.getChampion("ghost")).toBeNull();
    },
  },
  {
    name: "pipelines have their own version numbers and champions",
    async run(registry) {
      await registerMany(registry, "iso-a", 2);
      const b = await registry.registerVersion("iso-b", sampleRecord(0.7));
      expect(b.version).toBe("v1");
      await registry.promote("iso-a", "v2", { expectedChampion: null });
      expect(await registry.getChampion("iso-b")).toBeNull();
      expect((await registry.listVersions("iso-b")).map((v) => v.version)).toEqual(["v1"]);
    },
  },
  {
    name: "a non-finite metric is refused with TypeMismatchError and nothing is registered",
    async run(registry) {
      const record = { ...sampleRecord(0.5), metrics: { auc: Number.NaN } };
      const err = await registry.registerVersion("bad-metric", record).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TypeMismatchError);
      expect((err as Error).message).toContain("auc");
      expect(await registry.listVersions("bad-metric")).toEqual([]);
    },
  },
];

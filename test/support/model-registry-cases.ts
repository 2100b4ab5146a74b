/**
 * Behaviour table shared by every ModelRegistry implementation: the in-memory one and the
 * SDK adapter against dynalite run the same cases, so they cannot drift. Cases share one
 * store per implementation and keep apart by unique pipeline names.
 */

import { expect } from "vitest";
import { ModelVersionNotFoundError, TypeMismatchError } from "../../pipeline/errors.ts";
import type { ModelRegistry, ModelVersionInput } from "../../pipeline/store.ts";
import type { StoreCase } from "./store-case.ts";

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
  {
    name: "recording a rolled-back canary sets status rolled-back and keeps the record",
    async run(registry) {
      const { version } = await registry.registerVersion("canary-rb", {
        ...sampleRecord(0.8),
        status: "approved",
      });
      const record = {
        outcome: "rolled-back" as const,
        at: "2030-01-02T00:00:00.000Z",
        reason: "error rate 0.05 over maxErrorRate 0.01",
        metrics: { errorRate: 0.05, shift: null, requests: 200 },
      };
      const updated = await registry.recordCanary("canary-rb", version, record);
      expect(updated.status).toBe("rolled-back");
      expect(updated.canary).toEqual(record);
      const read = await registry.getVersion("canary-rb", version);
      expect(read?.status).toBe("rolled-back");
      expect(read?.canary).toEqual(record);
      expect(read?.metrics).toEqual(sampleRecord(0.8).metrics);
    },
  },
  {
    name: "recording a promoted canary keeps the version's status",
    async run(registry) {
      const { version } = await registry.registerVersion("canary-ok", {
        ...sampleRecord(0.8),
        status: "approved",
      });
      const record = { outcome: "promoted" as const, at: "2030-01-02T00:00:00.000Z", reason: "ok" };
      await registry.recordCanary("canary-ok", version, record);
      const read = await registry.getVersion("canary-ok", version);
      expect(read?.status).toBe("approved");
      expect(read?.canary).toEqual(record);
    },
  },
  {
    name: "an inconclusive canary also leaves the version rolled back",
    async run(registry) {
      const { version } = await registry.registerVersion("canary-inc", {
        ...sampleRecord(0.8),
        status: "approved",
      });
      await registry.recordCanary("canary-inc", version, {
        outcome: "inconclusive",
        at: "2030-01-02T00:00:00.000Z",
        reason: "too few requests",
      });
      const read = await registry.getVersion("canary-inc", version);
      expect([read?.status, read?.canary?.outcome]).toEqual(["rolled-back", "inconclusive"]);
    },
  },
  {
    name: "recording a canary of an unknown version is ModelVersionNotFoundError and creates nothing",
    async run(registry) {
      const err = await registry
        .recordCanary("canary-ghost", "v3", {
          outcome: "rolled-back",
          at: "2030-01-02T00:00:00.000Z",
          reason: "x",
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelVersionNotFoundError);
      expect((err as Error).message).toContain("v3");
      expect(await registry.getVersion("canary-ghost", "v3")).toBeNull();
      expect(await registry.listVersions("canary-ghost")).toEqual([]);
    },
  },
];

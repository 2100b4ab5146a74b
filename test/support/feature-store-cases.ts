/**
 * Behaviour table shared by every FeatureStore implementation: the in-memory one and the
 * SDK adapter against dynalite run the same cases, so they cannot drift. Cases share one
 * store per implementation and keep apart by unique feature set names.
 */

import { expect } from "vitest";
import { TypeMismatchError } from "../../pipeline/errors.ts";
import type { FeatureRowInput, FeatureStore } from "../../pipeline/store.ts";
import type { StoreCase } from "./store-case.ts";

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
    name: "a per-row expiresAt wins over ttlSeconds, and includeExpired returns expired rows",
    async run(store) {
      const expiresAt = T0.getTime() / 1000 + 5;
      await store.putLatest("per-row", [{ id: "e", values: { v: 1 }, expiresAt }], {
        version: "f1",
        ttlSeconds: 3600,
        now: T0,
      });
      expect((await store.getLatest("per-row", ["e"], { now: at(4) })).get("e")?.expiresAt).toBe(
        expiresAt,
      );
      expect((await store.getLatest("per-row", ["e"], { now: at(5) })).has("e")).toBe(false);
      const expired = await store.getLatest("per-row", ["e"], { now: at(5), includeExpired: true });
      expect(expired.get("e")?.values).toEqual({ v: 1 });
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

/**
 * Behaviour table shared by every ArtifactStore implementation: the in-memory one and the
 * SDK adapter against s3rver run the same cases, so they cannot drift. Cases share one
 * store per implementation and keep apart by unique prefixes.
 */

import { createHash } from "node:crypto";
import { expect } from "vitest";
import { ArtifactNotFoundError } from "../../pipeline/errors.ts";
import type { ArtifactStore } from "../../pipeline/store.ts";
import { patternBytes } from "./local-services.ts";
import type { StoreCase } from "./store-case.ts";

const text = (s: string) => new TextEncoder().encode(s);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const MiB = 1024 * 1024;

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

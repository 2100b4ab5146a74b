import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeClassification } from "../../bench/make-classification.ts";
import type { Target } from "../../pipeline/data/frame.ts";
import { ArtifactError } from "../../pipeline/errors.ts";
import { type ForestParams, fitForest, serializeForest } from "../../pipeline/forest/index.ts";
import {
  assembleShards,
  deserializeShard,
  growShard,
  serializeShard,
  shardRanges,
} from "../../pipeline/forest/shards.ts";

const params: ForestParams = {
  trees: 12,
  maxDepth: null,
  minSamplesLeaf: 1,
  maxFeatures: "sqrt",
  bootstrap: true,
  seed: 7,
};

const data = makeClassification({ rows: 400, features: 6, seed: 3 });
// a few missing values, so missing-value routing is part of what must match
const X = { ...data.X, values: data.X.values.map((v, i) => (i % 17 === 0 ? Number.NaN : v)) };

/** Each shard goes through its artifact bytes, as between two Lambdas. */
function sharded(x: typeof X, y: Target, p: ForestParams, k: number): Uint8Array {
  const shards = shardRanges(p.trees, k).map((range) =>
    deserializeShard(serializeShard(growShard(x, y, p, range))),
  );
  return serializeForest(assembleShards(x, y, p, shards));
}

async function single(x: typeof X, y: Target, p: ForestParams): Promise<Uint8Array> {
  return serializeForest(await fitForest(x, y, p));
}

describe("sharded forest fit (model.shards)", () => {
  it("gives the bytes of a single-process fit, classification with missing values", async () => {
    const one = await single(X, data.y, params);
    const three = sharded(X, data.y, params, 3);
    expect(Buffer.from(three).equals(Buffer.from(one))).toBe(true);
  });

  it("gives the bytes of a single-process fit, regression", async () => {
    const y: Target = {
      kind: "regression",
      values: Float64Array.from({ length: X.rows }, (_, r) => data.X.values[r * X.cols] * 3 + r),
    };
    const p = { ...params, maxFeatures: "all" as const, maxDepth: 6 };
    expect(Buffer.from(sharded(X, y, p, 4)).equals(Buffer.from(await single(X, y, p)))).toBe(true);
  });

  it("gives the bytes of a single-process fit for any seed, tree count, shard count, bootstrap", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        async (seed, trees, k, bootstrap) => {
          const p = { ...params, seed, trees, bootstrap };
          const one = await single(X, data.y, p);
          expect(Buffer.from(sharded(X, data.y, p, k)).equals(Buffer.from(one))).toBe(true);
        },
      ),
      { numRuns: 8 },
    );
  });

  it("differs from single-process bytes when a shard's out-of-bag votes are left out", async () => {
    // proves the comparison can fail: the OOB score is part of the bytes
    const shards = shardRanges(params.trees, 2).map((r) => growShard(X, data.y, params, r));
    const withoutOob = serializeForest(
      assembleShards(X, data.y, { ...params, bootstrap: false }, shards),
    );
    expect(Buffer.from(withoutOob).equals(Buffer.from(await single(X, data.y, params)))).toBe(
      false,
    );
  });

  it.each([
    [10, 3, [0, 3, 6, 10]],
    [5, 8, [0, 1, 2, 3, 4, 5]],
    [100, 1, [0, 100]],
  ])("splits %i trees into %i contiguous ranges", (trees, k, bounds) => {
    const ranges = shardRanges(trees, k);
    expect(ranges.map((r) => r.from)).toEqual(bounds.slice(0, -1));
    expect(ranges.map((r) => r.to)).toEqual(bounds.slice(1));
  });

  it("refuses a missing shard, shards out of order and a corrupt artifact", () => {
    const [a, b, c] = shardRanges(params.trees, 3).map((r) => growShard(X, data.y, params, r));
    expect(() => assembleShards(X, data.y, params, [a, b])).toThrow(/a shard is missing/);
    expect(() => assembleShards(X, data.y, params, [a, c, b])).toThrow(ArtifactError);
    const bytes = serializeShard(a);
    bytes[20] ^= 0xff;
    expect(() => deserializeShard(bytes, "s3://x/shard")).toThrow(/s3:\/\/x\/shard .*checksum/);
  });

  it("refuses a shard grown with another seed", () => {
    const [a, b] = shardRanges(params.trees, 2).map((r) =>
      growShard(X, data.y, { ...params, seed: r.from === 0 ? 7 : 8 }, r),
    );
    expect(() => assembleShards(X, data.y, params, [a, b])).toThrow(/does not fit this forest/);
  });
});

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { makeClassification } from "../../bench/make-classification.ts";
import { ArtifactError } from "../../pipeline/errors.ts";
import {
  deserializeForest,
  type ForestParams,
  fitForest,
  serializeForest,
} from "../../pipeline/forest/index.ts";
import { FOREST_FORMAT_VERSION } from "../../pipeline/forest/serialize.ts";
import { trainOrchardForest } from "../../pipeline/forest/train-orchard.ts";

const params: ForestParams = {
  trees: 6,
  maxDepth: null,
  minSamplesLeaf: 1,
  maxFeatures: "sqrt",
  bootstrap: true,
  seed: 1,
};

const small = makeClassification({ rows: 300, features: 6, seed: 9 });

function withNaN(values: Float64Array, every: number): Float64Array {
  return values.map((v, i) => (i % every === 0 ? Number.NaN : v));
}

describe("forest serialization", () => {
  it("gives the same bytes for the same seed in-thread and on 2 worker threads", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom<ForestParams["maxFeatures"]>("sqrt", "all", 0.5),
        fc.boolean(),
        async (seed, trees, maxFeatures, bootstrap) => {
          const p = { ...params, seed, trees, maxFeatures, bootstrap };
          const one = serializeForest(await fitForest(small.X, small.y, p, { workers: 1 }));
          // only worker threads grow trees here, racing for them
          const two = serializeForest(
            await trainOrchardForest(small.X, small.y, p, 2, { callerGrows: false }),
          );
          expect(Buffer.from(two).equals(Buffer.from(one))).toBe(true);
        },
      ),
      { numRuns: 5 },
    );
  });

  it("gives the same bytes when the calling thread shares the work (workers: 2)", async () => {
    const one = serializeForest(await fitForest(small.X, small.y, params, { workers: 1 }));
    const two = serializeForest(await fitForest(small.X, small.y, params, { workers: 2 }));
    expect(Buffer.from(two).equals(Buffer.from(one))).toBe(true);
  });

  it("gives different bytes for a different seed", async () => {
    const a = serializeForest(await fitForest(small.X, small.y, params));
    const b = serializeForest(await fitForest(small.X, small.y, { ...params, seed: 2 }));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it.each([
    ["classification", false],
    ["classification with missing values", true],
  ])("round-trips a %s model to identical predictions", async (_what, missing) => {
    const X = missing ? { ...small.X, values: withNaN(small.X.values, 7) } : small.X;
    const model = await fitForest(X, small.y, params);
    const back = deserializeForest(serializeForest(model));
    expect(back.predictProba(X)).toEqual(model.predictProba(X));
    expect(back.predict(X)).toEqual(model.predict(X));
    expect(back.featureImportance).toEqual(model.featureImportance);
    expect(back.oobScore).toBe(model.oobScore);
    expect([back.engine, back.task, back.nFeatures, back.nClasses]).toEqual([
      "orchard",
      "classification",
      6,
      2,
    ]);
  });

  it("round-trips a regressor without an OOB score", async () => {
    const y = { kind: "regression" as const, values: small.X.values.filter((_, i) => i % 6 === 0) };
    const model = await fitForest(small.X, y, { ...params, bootstrap: false, maxFeatures: "all" });
    const back = deserializeForest(serializeForest(model));
    expect(back.predict(small.X)).toEqual(model.predict(small.X));
    expect(back.oobScore).toBeNull();
    expect(back.task).toBe("regression");
  });

  it("round-trips an ml-random-forest model inside the same envelope", async () => {
    const model = await fitForest(
      small.X,
      small.y,
      { ...params, trees: 3 },
      {
        engine: "ml-random-forest",
      },
    );
    const back = deserializeForest(serializeForest(model));
    expect(back.engine).toBe("ml-random-forest");
    expect(back.predict(small.X)).toEqual(model.predict(small.X));
  });

  describe("rejects damaged artifacts with ArtifactError", () => {
    let bytes: Uint8Array = new Uint8Array(0);
    beforeAll(async () => {
      bytes = serializeForest(await fitForest(small.X, small.y, params));
    });

    it("any single flipped byte", () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: bytes.length - 1 }),
          fc.integer({ min: 1, max: 255 }),
          (at, mask) => {
            const bad = bytes.slice();
            bad[at] ^= mask;
            expect(() => deserializeForest(bad)).toThrow(ArtifactError);
          },
        ),
        { numRuns: 200 },
      );
    });

    it("any truncation", () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), (length) => {
          expect(() => deserializeForest(bytes.slice(0, length))).toThrow(ArtifactError);
        }),
        { numRuns: 100 },
      );
    });

    it.each([
      ["wrong magic", (b: Uint8Array) => b.set([0x50, 0x4b, 3, 4], 0), /magic/],
      [
        "another format version",
        (b: Uint8Array) => new DataView(b.buffer).setUint16(4, FOREST_FORMAT_VERSION + 1, true),
        /version 2/,
      ],
      ["trailing bytes", null, /bytes where the header implies/],
    ])("%s", (_what, damage, message) => {
      const bad = damage ? bytes.slice() : new Uint8Array([...bytes, 0]);
      damage?.(bad);
      expect(() => deserializeForest(bad)).toThrow(ArtifactError);
      expect(() => deserializeForest(bad)).toThrow(message);
    });
  });
});

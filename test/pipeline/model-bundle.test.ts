import { describe, expect, it } from "vitest";
import type { Frame } from "../../pipeline/data/frame.ts";
import { ArtifactError, MissingColumnError, TypeMismatchError } from "../../pipeline/errors.ts";
import {
  createBundle,
  loadBundle,
  type ModelBundle,
  serializeBundle,
} from "../../pipeline/model/bundle.ts";
import { fitModel } from "../../pipeline/train/fit.ts";

/** Twelve rows: class "big" exactly when x > 5, with a categorical that carries no signal. */
const frame: Frame = {
  rowCount: 12,
  columns: [
    {
      kind: "numeric",
      name: "x",
      values: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 2, 9]),
    },
    {
      kind: "categorical",
      name: "colour",
      codes: Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, -1, 0]),
      levels: ["blue", "red"],
    },
  ],
};
const target = {
  kind: "classification" as const,
  codes: Int32Array.from([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0]),
  classes: ["big", "small"],
};

async function bundle(): Promise<ModelBundle> {
  const model = await fitModel(
    frame,
    target,
    { trees: 10, maxDepth: null, minSamplesLeaf: 1, maxFeatures: "all", bootstrap: false },
    {
      features: { numeric: ["x"], categorical: ["colour"] },
      preprocessing: {
        impute: { numeric: "median", categorical: "most_frequent" },
        scale: "standard",
        onehot: {},
        clipOutliers: false,
      },
      engine: "orchard",
      seed: 7,
    },
  );
  return createBundle(model, {
    schema: {
      task: "classification",
      target: "size",
      classes: target.classes,
      features: { numeric: ["x"], categorical: ["colour"] },
    },
    params: { trees: 10, maxDepth: null, minSamplesLeaf: 1, maxFeatures: "all", bootstrap: false },
    metrics: { accuracy: 1, f1_macro: 1, f1_weighted: 1, precision_macro: 1, recall_macro: 1 },
    lineage: {
      pipeline: "sizes",
      dataSha256: "d".repeat(64),
      specSha256: "s".repeat(64),
      seed: 7,
      orchardVersion: "0.1.0",
      createdAt: "2026-01-01T00:00:00.000Z",
    },
  });
}

describe("model bundle", () => {
  it("gives byte-identical bytes for the same inputs", async () => {
    expect(serializeBundle(await bundle())).toEqual(serializeBundle(await bundle()));
  });

  it("round-trips: the loaded bundle predicts raw rows like the original, with labels", async () => {
    const original = await bundle();
    const loaded = loadBundle(serializeBundle(original));
    const rows = [
      { x: 1.5, colour: "red" },
      { x: "9.5", colour: "green" }, // numeric text, unseen category
      { x: null, colour: null }, // missing values are imputed
    ];
    expect(loaded.predict(rows)).toEqual(original.predict(rows));
    expect(
      loaded
        .predict(rows)
        .slice(0, 2)
        .map((p) => p.prediction),
    ).toEqual(["small", "big"]);
    expect(loaded.header.featureImportance[0].feature).toBe("x");
  });

  it.each([
    [
      "a row without a feature column",
      [{ x: 1 }],
      MissingColumnError,
      /row 1 has no column "colour"/,
    ],
    [
      "text in a numeric column",
      [
        { x: 1, colour: "red" },
        { x: "tall", colour: "red" },
      ],
      TypeMismatchError,
      /row 2, column "x"/,
    ],
    ["an object as a category", [{ x: 1, colour: { a: 1 } }], TypeMismatchError, /column "colour"/],
  ])("rejects %s naming row and column", async (_, rows, ErrorClass, message) => {
    const b = await bundle();
    expect(() => b.predict(rows as never)).toThrow(ErrorClass);
    expect(() => b.predict(rows as never)).toThrow(message);
  });

  it.each([
    ["other bytes", (bytes: Uint8Array) => bytes.map(() => 0), /not an Orchard model/],
    [
      "a future format version",
      (bytes: Uint8Array) => {
        const copy = bytes.slice();
        new DataView(copy.buffer).setUint32(8, 99, true);
        return copy;
      },
      /format version 99/,
    ],
    ["a truncated header", (bytes: Uint8Array) => bytes.slice(0, 40), /truncated/],
    ["a truncated forest", (bytes: Uint8Array) => bytes.slice(0, bytes.length - 10), /./],
  ])("refuses %s with an ArtifactError", async (_, corrupt, message) => {
    const bytes = corrupt(serializeBundle(await bundle()));
    expect(() => loadBundle(bytes)).toThrow(ArtifactError);
    expect(() => loadBundle(bytes)).toThrow(message);
  });
});

import { describe, expect, it } from "vitest";
import type { Frame, Target } from "../../pipeline/data/frame.ts";
import { coverFromBytes, coverKey, coverToBytes } from "../../pipeline/explain/cover-artifact.ts";
import {
  explainRows,
  meanAbsContributions,
  rawFeatureOf,
} from "../../pipeline/explain/explain-rows.ts";
import { nodeCover } from "../../pipeline/explain/tree-shap.ts";
import type { OrchardForestModel } from "../../pipeline/forest/index.ts";
import { createBundle } from "../../pipeline/model/bundle.ts";
import type { RawRow } from "../../pipeline/model/schema.ts";
import { createRng } from "../../pipeline/random.ts";
import { fitModel } from "../../pipeline/train/fit.ts";

const ROWS = 120;
const rng = createRng(7);
const raw: RawRow[] = Array.from({ length: ROWS }, (_, i) => ({
  size: Math.round(rng() * 100) / 10,
  noise: rng() < 0.1 ? null : Math.round(rng() * 100) / 10,
  island: ["Biscoe", "Dream", "Torgersen"][i % 3],
}));
const frame: Frame = {
  rowCount: ROWS,
  columns: [
    { kind: "numeric", name: "size", values: Float64Array.from(raw, (r) => r.size as number) },
    {
      kind: "numeric",
      name: "noise",
      values: Float64Array.from(raw, (r) => (r.noise === null ? Number.NaN : (r.noise as number))),
    },
    {
      kind: "categorical",
      name: "island",
      levels: ["Biscoe", "Dream", "Torgersen"],
      codes: Int32Array.from(raw, (_, i) => i % 3),
    },
  ],
};
const features = { numeric: ["size", "noise"], categorical: ["island"] };
const setup = {
  features,
  preprocessing: {
    impute: {
      numeric: "median" as const,
      categorical: "most_frequent" as const,
      numericFillValue: 0,
      categoricalFillValue: "missing_value",
    },
    scale: "standard" as const,
    onehot: { maxCategories: 100 },
    clipOutliers: false as const,
  },
  engine: "orchard" as const,
  seed: 3,
};
const params = {
  trees: 20,
  maxDepth: 6,
  minSamplesLeaf: 1,
  maxFeatures: "all" as const,
  bootstrap: true,
};

async function bundleFor(target: Target) {
  const model = await fitModel(frame, target, params, setup);
  const classes = target.kind === "classification" ? target.classes : null;
  const bundle = createBundle(model, {
    schema: { task: target.kind, target: "y", classes, features },
    params,
    metrics: {} as never,
    lineage: {
      pipeline: "p",
      dataSha256: "d",
      specSha256: "s",
      seed: 3,
      orchardVersion: "0",
      createdAt: "2024-01-01T00:00:00.000Z",
    },
  });
  const cover = nodeCover(
    (bundle.forest as OrchardForestModel).flat,
    model.preprocessor.transform(frame),
  );
  return { bundle, cover };
}

const classTarget: Target = {
  kind: "classification",
  classes: ["big", "small"],
  codes: Int32Array.from(raw, (r, i) => ((r.size as number) > 5 || i % 3 === 0 ? 0 : 1)),
};
const valueTarget: Target = {
  kind: "regression",
  values: Float64Array.from(raw, (r, i) => (r.size as number) * 2 + (i % 3)),
};

describe("explanations per raw feature", () => {
  it("maps one-hot columns back to their categorical feature", () => {
    expect(
      rawFeatureOf(["size", "island=Biscoe", "island=__other__", "a=b=c"], {
        numeric: ["size"],
        categorical: ["island", "a", "a=b"],
      }),
    ).toEqual(["size", "island", "island", "a=b"]);
  });

  it("adds up to the predicted class probability (1e-9) and names the raw features", async () => {
    const { bundle, cover } = await bundleFor(classTarget);
    const rows = raw.slice(0, 30);
    const predictions = bundle.predict(rows);
    const explained = explainRows(bundle, cover, rows);
    explained.forEach((e, r) => {
      expect(e.class).toBe(predictions[r].prediction);
      expect(Object.keys(e.contributions)).toEqual(["size", "noise", "island"]);
      const sum = Object.values(e.contributions).reduce((s, v) => s + v, e.expectedValue);
      expect(Math.abs(sum - predictions[r].probabilities![e.class!])).toBeLessThan(1e-9);
    });
  });

  it("adds up to the regression prediction (1e-9)", async () => {
    const { bundle, cover } = await bundleFor(valueTarget);
    const rows = raw.slice(40, 70);
    const predictions = bundle.predict(rows);
    explainRows(bundle, cover, rows).forEach((e, r) => {
      expect(e.class).toBeNull();
      const sum = Object.values(e.contributions).reduce((s, v) => s + v, e.expectedValue);
      expect(Math.abs(sum - (predictions[r].prediction as number))).toBeLessThan(1e-9);
    });
  });

  it("ranks the feature the target was built from first", async () => {
    const { bundle, cover } = await bundleFor(valueTarget);
    const ranked = meanAbsContributions(bundle, cover, frame);
    expect(ranked[0].feature).toBe("size");
    expect(ranked.map((r) => r.feature).sort()).toEqual(["island", "noise", "size"]);
  });
});

describe("cover artifact", () => {
  const uri = `s3://b/p/models/${"ab".repeat(32)}.orchard-model`;

  it("is keyed by the model hash under a name that is not read as content-addressed", () => {
    expect(coverKey("p", uri)).toBe(`p/explainers/model-${"ab".repeat(32)}.cover`);
  });

  it("refuses a model URI that is not content-addressed", () => {
    expect(() => coverKey("p", "s3://b/p/models/latest.bin")).toThrow(/content-addressed/);
  });

  it("round-trips and checks the node count", async () => {
    const { bundle, cover } = await bundleFor(valueTarget);
    const flat = (bundle.forest as OrchardForestModel).flat;
    expect(coverFromBytes(coverToBytes(cover), flat, "x")).toEqual(cover);
    expect(() => coverFromBytes(new Uint8Array(16), flat, "cover.bin")).toThrow(
      /cover.bin holds 2/,
    );
  });
});

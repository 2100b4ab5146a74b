/**
 * `model.type: gradient-boosting` from the spec to the bundle: defaults, refused keys of the
 * other family, candidates, fitModel's dispatch, bundle version 2 (forest bundles keep
 * version 1 and their bytes), and explanations of a boosted bundle.
 */
import { describe, expect, it } from "vitest";
import { BoostedModel } from "../../pipeline/boosting/index.ts";
import type { Frame } from "../../pipeline/data/frame.ts";
import { SpecError } from "../../pipeline/errors.ts";
import { explainRows } from "../../pipeline/explain/explain-rows.ts";
import {
  BUNDLE_VERSION,
  createBundle,
  FAMILY_BUNDLE_VERSION,
  loadBundle,
  serializeBundle,
} from "../../pipeline/model/bundle.ts";
import { createRng } from "../../pipeline/random.ts";
import { expandCandidates } from "../../pipeline/search/candidates.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";
import type { ModelParams } from "../../pipeline/spec/types.ts";
import { fitModel } from "../../pipeline/train/fit.ts";

const spec = (model: string, task = "classification") =>
  `name: p\nsource:\n  uri: data.csv\ntarget: y\ntask: ${task}\nmodel:\n${model}`;

function specError(text: string): SpecError {
  try {
    parseSpec(text, { file: "p.yaml" });
  } catch (err) {
    if (err instanceof SpecError) return err;
    throw err;
  }
  throw new Error("expected a SpecError");
}

describe("model.type: gradient-boosting in the spec", () => {
  it("fills scikit-learn HistGradientBoosting's defaults", () => {
    const s = parseSpec(spec("  type: gradient-boosting\n"), { file: "p.yaml" });
    expect(s.model.type).toBe("gradient-boosting");
    expect(s.model.minSamplesLeaf).toBe(20);
    expect(s.model.maxDepth).toBeNull();
    expect(s.model.boosting).toEqual({
      learningRate: 0.1,
      iterations: 100,
      maxLeaves: 31,
      l2: 0,
      subsample: 1,
      colsample: 1,
      earlyStopping: "auto",
      validationFraction: 0.1,
      patience: 10,
      loss: "squared_error",
    });
  });

  it("keeps a forest spec as it was (no boosting keys, no type in candidates)", () => {
    const s = parseSpec(spec("  trees: 10\n"), { file: "p.yaml" });
    expect(s.model.boosting).toBeUndefined();
    const [c] = expandCandidates(s.model, s.search, s.seed);
    expect(c.params).toEqual({
      trees: 10,
      maxDepth: null,
      minSamplesLeaf: 1,
      maxFeatures: "sqrt",
      bootstrap: true,
    });
  });

  it("carries the family and its parameters into the candidates", () => {
    const s = parseSpec(
      `${spec("  type: gradient-boosting\n  iterations: 50\n  maxLeaves: null\n")}search:\n  strategy: grid\n  grid:\n    maxDepth: [3, 6]\n`,
      { file: "p.yaml" },
    );
    const cs = expandCandidates(s.model, s.search, s.seed);
    expect(
      cs.map((c) => [c.params.type, c.params.maxDepth, c.params.boosting?.iterations]),
    ).toEqual([
      ["gradient-boosting", 3, 50],
      ["gradient-boosting", 6, 50],
    ]);
    expect(cs[0].params.boosting?.maxLeaves).toBeNull();
  });

  it.each([
    [
      "  type: gradient-boosting\n  trees: 10\n",
      /model\.trees.*not a key of model\.type gradient-boosting/s,
    ],
    ["  learningRate: 0.1\n", /model\.learningRate.*not a key of model\.type random-forest/s],
    ["  type: logistic-regression\n  maxDepth: 3\n", /model\.maxDepth.*not a key/s],
    ["  type: linear-regression\n", /linear-regression needs task: regression/],
    ["  type: gradient-boosting\n  loss: absolute_error\n", /model\.loss.*for regression/s],
    ["  type: gradient-boosting\n  learningRate: 2\n", /model\.learningRate/],
  ])("refuses %j", (model, message) => {
    expect(specError(spec(model)).message).toMatch(message);
  });

  it("searches across families: each takes its own keys and defaults, duplicates dropped", () => {
    const s = parseSpec(
      `${spec("  trees: 50\n")}search:\n  strategy: grid\n  grid:\n    type: [random-forest, gradient-boosting, logistic-regression]\n    maxDepth: [3, null]\n    learningRate: [0.05, 0.1]\n    C: [0.5, 1]\n`,
      { file: "p.yaml" },
    );
    const cs = expandCandidates(s.model, s.search, s.seed);
    const summary = cs.map((c) => {
      const p = c.params;
      if (p.type === "gradient-boosting") return `gb d${p.maxDepth} lr${p.boosting?.learningRate}`;
      if (p.type === "logistic-regression") return `lr C${p.linear?.C}`;
      return `rf d${p.maxDepth} t${p.trees}`;
    });
    expect(summary.sort()).toEqual(
      [
        "gb d3 lr0.05",
        "gb d3 lr0.1",
        "gb dnull lr0.05",
        "gb dnull lr0.1",
        "lr C0.5",
        "lr C1",
        "rf d3 t50",
        "rf dnull t50",
      ].sort(),
    );
    expect(cs.map((c) => c.id)).toEqual([
      "c000",
      "c001",
      "c002",
      "c003",
      "c004",
      "c005",
      "c006",
      "c007",
    ]);
    const gb = cs.find((c) => c.params.type === "gradient-boosting");
    expect(gb?.params.minSamplesLeaf).toBe(20);
  });

  it.each([
    ["    type: [linear-regression]\n", /search\.grid\.type\[0\].*needs task: regression/s],
    ["    learningRate: [0.1]\n", /search\.grid\.learningRate.*not a parameter of random-forest/s],
  ])("refuses the grid %j", (grid, message) => {
    const text = `${spec("  trees: 50\n")}search:\n  strategy: grid\n  grid:\n${grid}`;
    expect(specError(text).message).toMatch(message);
  });

  it("accepts absolute error for regression", () => {
    const s = parseSpec(spec("  type: gradient-boosting\n  loss: absolute_error\n", "regression"), {
      file: "p.yaml",
    });
    expect(s.model.boosting?.loss).toBe("absolute_error");
  });
});

/** 300 rows: class "hi" when x + noise > 0, a categorical carrying a little signal. */
function frameOf(rows: number): { frame: Frame; codes: Int32Array } {
  const rng = createRng(3);
  const x = new Float64Array(rows);
  const c = new Int32Array(rows);
  const codes = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    x[r] = rng() * 2 - 1;
    c[r] = rng() < 0.5 ? 0 : 1;
    codes[r] = x[r] + 0.3 * c[r] + 0.2 * (rng() - 0.5) > 0.1 ? 0 : 1;
  }
  x[5] = Number.NaN;
  return {
    frame: {
      rowCount: rows,
      columns: [
        { kind: "numeric", name: "x", values: x },
        { kind: "categorical", name: "colour", codes: c, levels: ["blue", "red"] },
      ],
    },
    codes,
  };
}

const boostingParams: ModelParams = {
  trees: 100,
  maxDepth: null,
  minSamplesLeaf: 5,
  maxFeatures: "sqrt",
  bootstrap: true,
  type: "gradient-boosting",
  boosting: {
    learningRate: 0.1,
    iterations: 20,
    maxLeaves: 8,
    l2: 0,
    subsample: 1,
    colsample: 1,
    earlyStopping: false,
    validationFraction: 0.1,
    patience: 10,
    loss: "squared_error",
  },
};

async function boostedBundle() {
  const { frame, codes } = frameOf(300);
  const model = await fitModel(
    frame,
    { kind: "classification", codes, classes: ["hi", "lo"] },
    boostingParams,
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
      target: "y",
      classes: ["hi", "lo"],
      features: { numeric: ["x"], categorical: ["colour"] },
    },
    params: boostingParams,
    metrics: { accuracy: 1, f1_macro: 1, f1_weighted: 1, precision_macro: 1, recall_macro: 1 },
    lineage: {
      pipeline: "p",
      dataSha256: "d".repeat(64),
      specSha256: "s".repeat(64),
      seed: 7,
      orchardVersion: "0.1.0",
      createdAt: "2026-01-01T00:00:00.000Z",
    },
  });
}

describe("a gradient-boosting model bundle", () => {
  it("is fitted by fitModel, written as bundle version 2 and loads back to the same predictions", async () => {
    const bundle = await boostedBundle();
    expect(bundle.forest).toBeInstanceOf(BoostedModel);
    expect(bundle.header.modelType).toBe("gradient-boosting");
    const bytes = serializeBundle(bundle);
    expect(new DataView(bytes.buffer).getUint32(8, true)).toBe(FAMILY_BUNDLE_VERSION);
    expect(BUNDLE_VERSION).toBe(1);
    expect(serializeBundle(await boostedBundle())).toEqual(bytes);
    const loaded = loadBundle(bytes);
    expect(loaded.forest).toBeInstanceOf(BoostedModel);
    const rows = [
      { x: -0.8, colour: "red" },
      { x: 0.9, colour: "blue" },
      { x: null, colour: "green" },
    ];
    expect(loaded.predict(rows)).toEqual(bundle.predict(rows));
    expect(loaded.predict(rows).map((p) => p.prediction)).toEqual(["lo", "hi", expect.any(String)]);
  });

  it("explains rows additively in raw score, without a stored cover", async () => {
    const bundle = await boostedBundle();
    const rows = [
      { x: -0.8, colour: "red" },
      { x: 0.9, colour: "blue" },
    ];
    const explained = explainRows(bundle, new Float64Array(0), rows);
    const proba = bundle.predict(rows);
    explained.forEach((e, i) => {
      expect(e.class).toBe("lo");
      const sum = e.expectedValue + e.contributions.x + e.contributions.colour;
      expect(sum).toBeCloseTo(e.output, 10);
      // the output is the log-odds of "lo"
      const p = proba[i].probabilities?.lo ?? Number.NaN;
      expect(e.output).toBeCloseTo(Math.log(p / (1 - p)), 9);
    });
  });
});

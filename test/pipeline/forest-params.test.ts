import { describe, expect, it } from "vitest";
import type { ClassTarget, FeatureMatrix, Target } from "../../pipeline/data/frame.ts";
import {
  DataFormatError,
  InsufficientDataError,
  MissingColumnError,
  SpecError,
  TargetError,
} from "../../pipeline/errors.ts";
import {
  defaultForestParams,
  type ForestParams,
  fitForest,
  resolveMaxFeatures,
  validateForestParams,
} from "../../pipeline/forest/index.ts";

const base = defaultForestParams("classification", 1);

function matrix(rows: number[][]): FeatureMatrix {
  const cols = rows[0]?.length ?? 0;
  return {
    values: Float64Array.from(rows.flat()),
    rows: rows.length,
    cols,
    names: Array.from({ length: cols }, (_, j) => `x${j}`),
  };
}

const labels = (codes: number[], classes = ["a", "b"]): ClassTarget => ({
  kind: "classification",
  codes: Int32Array.from(codes),
  classes,
});

describe("forest params", () => {
  it.each<[string, Partial<ForestParams>]>([
    ["model.trees", { trees: 0 }],
    ["model.trees", { trees: 2.5 }],
    ["model.maxDepth", { maxDepth: 0 }],
    ["model.maxDepth", { maxDepth: 1.5 }],
    ["model.minSamplesLeaf", { minSamplesLeaf: 0 }],
    ["model.maxFeatures", { maxFeatures: 0 }],
    ["model.maxFeatures", { maxFeatures: -0.5 }],
    ["model.maxFeatures", { maxFeatures: 2.5 }],
    ["model.maxFeatures", { maxFeatures: "half" as never }],
    ["model.maxFeatures", { maxFeatures: 5 }],
    ["model.bootstrap", { bootstrap: "yes" as never }],
    ["model.seed", { seed: -1 }],
    ["model.seed", { seed: 1.5 }],
    ["model.maxBins", { maxBins: 1 }],
    ["model.maxBins", { maxBins: 257 }],
  ])("rejects %s = %j with a SpecError naming the path", (path, change) => {
    const run = () => validateForestParams({ ...base, ...change }, 4);
    expect(run).toThrow(SpecError);
    try {
      run();
    } catch (err) {
      expect((err as SpecError).location.path).toBe(path);
      expect((err as Error).message).toContain(path);
    }
  });

  it.each<[Partial<ForestParams>]>([
    [{}],
    [{ maxDepth: 3 }],
    [{ maxFeatures: "log2" }],
    [{ maxFeatures: "all" }],
    [{ maxFeatures: 1 }],
    [{ maxFeatures: 0.25 }],
    [{ maxFeatures: 4 }],
    [{ maxBins: 2 }],
    [{ seed: 0xffffffff }],
  ])("accepts %j", (change) => {
    expect(() => validateForestParams({ ...base, ...change }, 4)).not.toThrow();
  });

  it.each<[ForestParams["maxFeatures"], number, number]>([
    ["sqrt", 20, 4],
    ["sqrt", 3, 1],
    ["log2", 20, 4],
    ["log2", 1, 1],
    ["all", 7, 7],
    [1, 7, 1],
    [0.999, 7, 6],
    [0.5, 7, 3],
    [0.01, 7, 1],
    [3, 7, 3],
  ])("maxFeatures %j of %i features is %i (scikit-learn rounding)", (mf, n, expected) => {
    expect(resolveMaxFeatures(mf, n)).toBe(expected);
  });

  it("defaults follow scikit-learn: sqrt for classifiers, all features for regressors", () => {
    expect(defaultForestParams("classification").maxFeatures).toBe("sqrt");
    expect(defaultForestParams("regression").maxFeatures).toBe("all");
  });
});

describe("fitForest input checks", () => {
  const X = matrix([[1], [2], [3], [4]]);
  const small = { ...base, trees: 2 };

  it.each<[string, FeatureMatrix, Target, new (...a: never[]) => Error]>([
    ["one row", matrix([[1]]), labels([0]), InsufficientDataError],
    ["values not rows x cols", { ...X, rows: 5 }, labels([0, 1, 0, 1, 0]), DataFormatError],
    ["label count differs", X, labels([0, 1, 0]), TargetError],
    ["a missing label", X, labels([0, 1, -1, 1]), TargetError],
    ["a code outside the classes", X, labels([0, 1, 2, 1]), TargetError],
    ["a single class", X, labels([1, 1, 1, 1]), TargetError],
    [
      "a non-finite regression target",
      X,
      { kind: "regression", values: Float64Array.from([1, Number.NaN, 2, 3]) },
      TargetError,
    ],
  ])("rejects %s", async (_what, x, y, errorClass) => {
    await expect(fitForest(x, y, small)).rejects.toThrow(errorClass);
  });

  it("names the 1-based row of a missing label", async () => {
    await expect(fitForest(X, labels([0, 1, -1, 1]), small)).rejects.toThrow(/row 3/);
  });

  it.each([0, 1.5, -2])("rejects workers = %s", async (workers) => {
    await expect(fitForest(X, labels([0, 1, 0, 1]), small, { workers })).rejects.toThrow(SpecError);
  });

  it("rejects an unknown engine", async () => {
    await expect(
      fitForest(X, labels([0, 1, 0, 1]), small, { engine: "xgboost" as never }),
    ).rejects.toThrow(SpecError);
  });

  it("refuses to predict a matrix of another width", async () => {
    const model = await fitForest(X, labels([0, 0, 1, 1]), small);
    expect(() => model.predict(matrix([[1, 2]]))).toThrow(MissingColumnError);
  });

  it("refuses class probabilities from a regressor", async () => {
    const y: Target = { kind: "regression", values: Float64Array.from([1, 2, 3, 4]) };
    const model = await fitForest(X, y, { ...small, maxFeatures: "all" });
    expect(() => model.predictProba(X)).toThrow(SpecError);
  });
});

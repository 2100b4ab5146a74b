import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Column, Frame } from "../../pipeline/data/frame.ts";
import {
  ArtifactError,
  InsufficientDataError,
  MissingColumnError,
  SpecError,
  TypeMismatchError,
} from "../../pipeline/errors.ts";
import {
  fitPreprocessor,
  loadPreprocessor,
  type PreprocessingOptions,
  type PreprocessorState,
} from "../../pipeline/features/preprocessor.ts";

function num(name: string, values: number[]): Column {
  return { kind: "numeric", name, values: Float64Array.from(values) };
}

/** Categorical column with the given level dictionary; null cells are missing. */
function cat(name: string, cells: (string | null)[], levels?: string[]): Column {
  const dict = levels ?? [...new Set(cells.filter((c): c is string => c !== null))];
  return {
    kind: "categorical",
    name,
    levels: dict,
    codes: Int32Array.from(cells, (c) => (c === null ? -1 : dict.indexOf(c))),
  };
}

function frame(...columns: Column[]): Frame {
  const first = columns[0];
  return { rowCount: first.kind === "numeric" ? first.values.length : first.codes.length, columns };
}

const OPTIONS: PreprocessingOptions = {
  impute: { numeric: "median", categorical: "none" },
  scale: "standard",
  onehot: {},
  clipOutliers: { iqrMultiplier: 1.5 },
};

const TRAIN = frame(
  num("bill", [39.1, 39.5, Number.NaN, 46.5, 50.0, 45.2]),
  cat("island", ["Biscoe", "Dream", "Biscoe", null, "Torgersen", "Dream"]),
  num("mass", [3750, 3800, 3250, 5700, 5400, Number.NaN]),
);
const FEATURES = { numeric: ["mass", "bill"], categorical: ["island"] };

function rowsOf(m: { values: Float64Array; cols: number }): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < m.values.length / m.cols; r++) {
    out.push(Array.from(m.values.subarray(r * m.cols, (r + 1) * m.cols)));
  }
  return out;
}

describe("preprocessor", () => {
  it("names outputs: numeric features in declared order, then one-hot levels sorted", () => {
    const pre = fitPreprocessor(TRAIN, FEATURES, OPTIONS);
    expect(pre.outputNames).toEqual([
      "mass",
      "bill",
      "island=Biscoe",
      "island=Dream",
      "island=Torgersen",
    ]);
    expect(pre.transform(TRAIN).names).toEqual(pre.outputNames);
  });

  it("reads columns by name and levels by text, whatever the frame's order and dictionary", () => {
    const pre = fitPreprocessor(TRAIN, FEATURES, OPTIONS);
    const island = ["Dream", "Torgersen", "Biscoe"];
    const a = frame(
      num("bill", [40, 41, 42]),
      cat("island", island),
      num("mass", [4000, 4100, 4200]),
    );
    const b = frame(
      cat("extra", ["x", "y", "z"]),
      num("mass", [4000, 4100, 4200]),
      cat("island", island, ["Torgersen", "Unused", "Biscoe", "Dream"]),
      num("bill", [40, 41, 42]),
    );
    expect(pre.transform(b).values).toEqual(pre.transform(a).values);
  });

  it.each([
    ["an unseen level", "Atlantis"],
    ["a missing value", null],
  ])("encodes %s as all zeros", (_, value) => {
    const pre = fitPreprocessor(TRAIN, FEATURES, OPTIONS);
    const m = pre.transform(frame(num("bill", [40]), cat("island", [value]), num("mass", [4000])));
    expect(rowsOf(m)[0].slice(2)).toEqual([0, 0, 0]);
  });

  it("one-hot encodes a seen level with a single 1 in its column", () => {
    const pre = fitPreprocessor(TRAIN, FEATURES, OPTIONS);
    const m = pre.transform(
      frame(num("bill", [40]), cat("island", ["Dream"]), num("mass", [4000])),
    );
    expect(rowsOf(m)[0].slice(2)).toEqual([0, 1, 0]);
  });

  it("folds levels beyond maxCategories into an __other__ column", () => {
    const pre = fitPreprocessor(TRAIN, FEATURES, { ...OPTIONS, onehot: { maxCategories: 1 } });
    // Biscoe and Dream both occur twice: like sklearn, the later level in sorted order is kept.
    expect(pre.outputNames.slice(2)).toEqual(["island=Dream", "island=__other__"]);
    const m = pre.transform(
      frame(
        num("bill", [1, 1, 1]),
        cat("island", ["Torgersen", "Dream", "Atlantis"]),
        num("mass", [1, 1, 1]),
      ),
    );
    expect(rowsOf(m).map((r) => r.slice(2))).toEqual([
      [0, 1],
      [1, 0],
      [0, 0],
    ]);
  });

  it("learns everything from the fit frame only", () => {
    const pre = fitPreprocessor(TRAIN, FEATURES, {
      ...OPTIONS,
      clipOutliers: false,
      scale: "none",
    });
    const m = pre.transform(
      frame(num("bill", [Number.NaN]), cat("island", ["Dream"]), num("mass", [Number.NaN])),
    );
    // Medians of the train values, not of the transformed frame.
    expect(rowsOf(m)[0].slice(0, 2)).toEqual([3800, 45.2]);
  });

  it("clips before imputing and scaling", () => {
    const train = frame(num("x", [1, 2, 3, 4, 100]));
    const pre = fitPreprocessor(
      train,
      { numeric: ["x"], categorical: [] },
      {
        ...OPTIONS,
        scale: "none",
        clipOutliers: { iqrMultiplier: 0 },
      },
    );
    expect(Array.from(pre.transform(frame(num("x", [-5, 2.5, 50]))).values)).toEqual([2, 2.5, 4]);
  });

  it("names a missing column in a MissingColumnError", () => {
    const pre = fitPreprocessor(TRAIN, FEATURES, OPTIONS);
    const without = frame(num("mass", [1]), cat("island", ["Dream"]));
    expect(() => pre.transform(without)).toThrow(MissingColumnError);
    expect(() => pre.transform(without)).toThrow(/"bill"/);
  });

  it("accepts a numeric feature read as text when every value is a number", () => {
    const pre = fitPreprocessor(TRAIN, FEATURES, OPTIONS);
    const asNumbers = frame(
      num("bill", [40, 41]),
      cat("island", ["Dream", "Biscoe"]),
      num("mass", [4000, 4100]),
    );
    const asText = frame(
      cat("bill", ["40", "41.0"]),
      cat("island", ["Dream", "Biscoe"]),
      num("mass", [4000, 4100]),
    );
    expect(pre.transform(asText).values).toEqual(pre.transform(asNumbers).values);
  });

  it("rejects text in a numeric feature with the row and column", () => {
    const pre = fitPreprocessor(TRAIN, FEATURES, OPTIONS);
    const bad = frame(
      cat("bill", ["40", "n/a"]),
      cat("island", ["Dream", "Biscoe"]),
      num("mass", [1, 2]),
    );
    expect(() => pre.transform(bad)).toThrow(TypeMismatchError);
    expect(() => pre.transform(bad)).toThrow(/"n\/a" at row 2/);
  });

  it.each([
    ["a feature listed twice", { numeric: ["bill"], categorical: ["bill"] }, OPTIONS],
    ["maxCategories 0", FEATURES, { ...OPTIONS, onehot: { maxCategories: 0 } }],
    ["a negative IQR multiplier", FEATURES, { ...OPTIONS, clipOutliers: { iqrMultiplier: -1 } }],
    [
      "an infinite fill value for numeric constant imputation",
      FEATURES,
      {
        ...OPTIONS,
        impute: { numeric: "constant", categorical: "none", numericFillValue: Infinity },
      },
    ],
  ] as const)("rejects %s with a SpecError", (_, features, options) => {
    expect(() => fitPreprocessor(TRAIN, features, options as PreprocessingOptions)).toThrow(
      SpecError,
    );
  });

  it("refuses to fit on zero rows", () => {
    expect(() =>
      fitPreprocessor({ rowCount: 0, columns: [] }, { numeric: [], categorical: [] }, OPTIONS),
    ).toThrow(InsufficientDataError);
  });
});

describe("preprocessor artifact", () => {
  const state = () => fitPreprocessor(TRAIN, FEATURES, OPTIONS).toJSON();

  it.each([
    [
      "another version",
      (s: PreprocessorState) => ({ ...s, version: 2 }),
      /version 2 is not supported/,
    ],
    ["another format", (s: PreprocessorState) => ({ ...s, format: "model" }), /not a preprocessor/],
    [
      "a corrupt field",
      (s: PreprocessorState) => ({ ...s, numeric: [{ ...s.numeric[0], fill: "lots" }] }),
      /numeric\.0\.fill/,
    ],
    [
      "a duplicated level",
      (s: PreprocessorState) => ({
        ...s,
        categorical: [{ ...s.categorical[0], infrequent: ["Dream"] }],
      }),
      /lists a level twice/,
    ],
  ])("rejects %s with an ArtifactError", (_, mutate, message) => {
    const bad = mutate(state()) as unknown as PreprocessorState;
    expect(() => loadPreprocessor(bad)).toThrow(ArtifactError);
    expect(() => loadPreprocessor(bad)).toThrow(message);
  });

  it("reloads to the same state", () => {
    const s = state();
    expect(loadPreprocessor(JSON.parse(JSON.stringify(s))).toJSON()).toEqual(s);
  });

  const optionsArb: fc.Arbitrary<PreprocessingOptions> = fc.record({
    impute: fc.record({
      numeric: fc.constantFrom("mean", "median", "constant", "none"),
      categorical: fc.constantFrom("most_frequent", "constant", "none"),
      numericFillValue: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), {
        nil: undefined,
      }),
      categoricalFillValue: fc.option(fc.string(), { nil: undefined }),
    }),
    scale: fc.constantFrom("standard", "robust", "none"),
    onehot: fc.record({
      maxCategories: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    }),
    clipOutliers: fc.oneof(
      fc.constant(false as const),
      fc.record({ iqrMultiplier: fc.double({ min: 0, max: 3, noNaN: true }) }),
    ),
  });
  const levels = ["a", "b", "c", "d", "e"];
  const rowsArb = fc.array(
    fc.record({
      // Any double, with the values JSON cannot hold (NaN = missing, ±Infinity, -0) often.
      x: fc.oneof(
        { arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity, -0), weight: 1 },
        { arbitrary: fc.double(), weight: 3 },
      ),
      y: fc.oneof(
        { arbitrary: fc.constantFrom(Number.NaN, -0), weight: 1 },
        { arbitrary: fc.double({ min: -1e6, max: 1e6 }), weight: 4 },
      ),
      k: fc.option(fc.constantFrom(...levels), { nil: null }),
    }),
    { minLength: 1, maxLength: 30 },
  );
  const toFrame = (rows: { x: number; y: number; k: string | null }[]) =>
    frame(
      num(
        "x",
        rows.map((r) => r.x),
      ),
      num(
        "y",
        rows.map((r) => r.y),
      ),
      cat(
        "k",
        rows.map((r) => r.k),
        levels,
      ),
    );

  it("transforms identically after a JSON round trip", () => {
    fc.assert(
      fc.property(optionsArb, rowsArb, rowsArb, (options, trainRows, testRows) => {
        const pre = fitPreprocessor(
          toFrame(trainRows),
          { numeric: ["x", "y"], categorical: ["k"] },
          options,
        );
        const loaded = loadPreprocessor(JSON.parse(JSON.stringify(pre.toJSON())));
        const a = pre.transform(toFrame(testRows)).values;
        const b = loaded.transform(toFrame(testRows)).values;
        expect(b.length).toBe(a.length);
        for (let i = 0; i < a.length; i++)
          expect(Object.is(a[i], b[i]), `cell ${i}: ${a[i]} vs ${b[i]}`).toBe(true);
        expect(loaded.outputNames).toEqual(pre.outputNames);
      }),
      { numRuns: 200 },
    );
  });
});

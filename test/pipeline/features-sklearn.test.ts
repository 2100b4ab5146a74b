/**
 * Orchard's transformers against scikit-learn 's fitted parameters and outputs, read from
 * test/fixtures/sklearn/features.json (made by make_features.py in the same folder).
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Column, Frame } from "../../pipeline/data/frame.ts";
import { applyClipper, fitClipper } from "../../pipeline/features/clipper.ts";
import {
  applyCategoricalImputer,
  applyNumericImputer,
  fitCategoricalImputer,
  fitNumericImputer,
} from "../../pipeline/features/imputer.ts";
import { fitOneHot, oneHotNames } from "../../pipeline/features/one-hot.ts";
import {
  fitPreprocessor,
  type PreprocessingOptions,
} from "../../pipeline/features/preprocessor.ts";
import { applyScaler, fitScaler } from "../../pipeline/features/scaler.ts";
import { encodeTarget } from "../../pipeline/features/target.ts";

type Cell = number | string | null;
type Fixture = {
  train: Record<string, Cell[]>;
  test: Record<string, Cell[]>;
  numeric: string[];
  categorical: string[];
  numericImputer: {
    strategy: "mean" | "median" | "constant";
    fillValue: number | null;
    columns: string[];
    statistics: number[];
    transformed: (number | null)[][];
  }[];
  categoricalImputer: {
    strategy: "most_frequent" | "constant";
    fillValue: string | null;
    statistics: string[];
    transformed: (string | null)[][];
  }[];
  scalers: {
    kind: "standard" | "robust";
    center: number[];
    scale: number[];
    transformed: (number | null)[][];
  }[];
  clippers: {
    iqrMultiplier: number;
    low: number[];
    high: number[];
    transformed: (number | null)[][];
  }[];
  onehot: {
    trainImputed: string[][];
    testImputed: string[][];
    encoders: {
      maxCategories: number | null;
      infrequent: string[][];
      names: string[];
      transformed: number[][];
    }[];
  };
  pipelines: {
    options: PreprocessingOptions;
    outputNames: string[];
    trainTransformed: (number | null)[][];
    testTransformed: (number | null)[][];
  }[];
  labelEncoder: { labels: string[]; classes: string[]; codes: number[] };
};

const fixture: Fixture = JSON.parse(
  readFileSync(new URL("../fixtures/sklearn/features.json", import.meta.url), "utf8"),
);

const TOLERANCE = 1e-10;

function nums(cells: Cell[]): Float64Array {
  return Float64Array.from(cells, (v) => (v === null ? Number.NaN : (v as number)));
}

function strs(cells: Cell[]): (string | null)[] {
  return cells.map((v) => (v === null ? null : String(v)));
}

/** A categorical column whose level dictionary is in first-seen order, not sorted. */
function categorical(name: string, cells: Cell[]): Column {
  const levels: string[] = [];
  const codes = Int32Array.from(cells, (v) => {
    if (v === null) return -1;
    const s = String(v);
    if (!levels.includes(s)) levels.push(s);
    return levels.indexOf(s);
  });
  return { kind: "categorical", name, codes, levels };
}

function frameOf(data: Record<string, Cell[]>, categoricalNames: string[]): Frame {
  const columns = Object.entries(data).map(
    ([name, cells]): Column =>
      categoricalNames.includes(name)
        ? categorical(name, cells)
        : { kind: "numeric", name, values: nums(cells) },
  );
  return {
    rowCount: columns[0].kind === "numeric" ? columns[0].values.length : columns[0].codes.length,
    columns,
  };
}

function column<T>(rows: T[][], j: number): T[] {
  return rows.map((r) => r[j]);
}

function expectClose(actual: ArrayLike<number>, expected: (number | null)[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (e === null) {
      expect(a, `index ${i}`).toBeNaN();
    } else {
      expect(Math.abs(a - e), `index ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(
        TOLERANCE * Math.max(1, Math.abs(e)),
      );
    }
  }
}

describe("numeric imputer vs SimpleImputer", () => {
  const cases = fixture.numericImputer.flatMap((c) =>
    c.columns.map((col, j) => ({ ...c, col, j })),
  );
  it.each(cases)(
    "$strategy on column $col",
    ({ strategy, fillValue, col, j, statistics, transformed }) => {
      const state = fitNumericImputer(nums(fixture.train[col]), strategy, fillValue ?? undefined);
      expectClose([state.fill as number], [statistics[j]]);
      expectClose(applyNumericImputer(nums(fixture.test[col]), state), column(transformed, j));
    },
  );
});

describe("categorical imputer vs SimpleImputer", () => {
  const cases = fixture.categoricalImputer.flatMap((c) =>
    fixture.categorical.map((col, j) => ({ ...c, col, j })),
  );
  it.each(cases)(
    "$strategy ($fillValue) on column $col",
    ({ strategy, fillValue, col, j, statistics, transformed }) => {
      const state = fitCategoricalImputer(
        strs(fixture.train[col]),
        strategy,
        fillValue ?? undefined,
      );
      expect(state.fill).toBe(statistics[j]);
      expect(applyCategoricalImputer(strs(fixture.test[col]), state)).toEqual(
        column(transformed, j),
      );
    },
  );
});

describe("scalers vs StandardScaler / RobustScaler", () => {
  const cases = fixture.scalers.flatMap((c) => fixture.numeric.map((col, j) => ({ ...c, col, j })));
  it.each(cases)("$kind on column $col", ({ kind, col, j, center, scale, transformed }) => {
    const state = fitScaler(nums(fixture.train[col]), kind);
    expectClose([state.center, state.scale], [center[j], scale[j]]);
    expectClose(applyScaler(nums(fixture.test[col]), state), column(transformed, j));
  });
});

describe("outlier clipper vs numpy nanpercentile bounds", () => {
  const cases = fixture.clippers.flatMap((c) =>
    fixture.numeric.map((col, j) => ({ ...c, col, j })),
  );
  it.each(cases)(
    "k=$iqrMultiplier on column $col",
    ({ iqrMultiplier, col, j, low, high, transformed }) => {
      const state = fitClipper(nums(fixture.train[col]), iqrMultiplier);
      expectClose([state.low, state.high], [low[j], high[j]]);
      expectClose(applyClipper(nums(fixture.test[col]), state), column(transformed, j));
    },
  );
});

describe("one-hot encoder vs OneHotEncoder(handle_unknown='ignore')", () => {
  const { trainImputed, testImputed, encoders } = fixture.onehot;
  it.each(encoders)(
    "maxCategories $maxCategories",
    ({ maxCategories, infrequent, names, transformed }) => {
      const outNames: string[] = [];
      const encoded: number[][] = testImputed.map(() => []);
      fixture.categorical.forEach((col, j) => {
        const state = fitOneHot(column(trainImputed, j), maxCategories ?? undefined);
        expect(state.infrequent).toEqual(infrequent[j]);
        outNames.push(...oneHotNames(col, state));
        const index = new Map(state.levels.map((l, i) => [l, i]));
        for (const l of state.infrequent) index.set(l, state.levels.length);
        testImputed.forEach((row, r) => {
          const block = new Array(oneHotNames(col, state).length).fill(0);
          const at = index.get(row[j]);
          if (at !== undefined) block[at] = 1;
          encoded[r].push(...block);
        });
      });
      expect(outNames).toEqual(names);
      expect(encoded).toEqual(transformed);
    },
  );
});

describe("preprocessor vs an sklearn ColumnTransformer", () => {
  const train = frameOf(fixture.train, fixture.categorical);
  const test = frameOf(fixture.test, fixture.categorical);
  const features = { numeric: fixture.numeric, categorical: fixture.categorical };
  const configs = fixture.pipelines.map((p) => ({ ...p, label: describeOptions(p.options) }));
  it.each(configs)("$label: output names", ({ options, outputNames }) => {
    expect(fitPreprocessor(train, features, options).outputNames).toEqual(outputNames);
  });
  it.each(configs)(
    "$label: train and test matrices",
    ({ options, trainTransformed, testTransformed }) => {
      const pre = fitPreprocessor(train, features, options);
      expectClose(pre.transform(train).values, trainTransformed.flat());
      expectClose(pre.transform(test).values, testTransformed.flat());
    },
  );
});

function describeOptions(o: PreprocessingOptions): string {
  const clip = o.clipOutliers === false ? "no clip" : `clip k=${o.clipOutliers.iqrMultiplier}`;
  return `${clip}, ${o.impute.numeric} + ${o.scale}, ${o.impute.categorical} + maxCategories=${o.onehot.maxCategories ?? "all"}`;
}

describe("target encoding vs LabelEncoder", () => {
  it("sorts classes by code point and codes rows like sklearn", () => {
    const { labels, classes, codes } = fixture.labelEncoder;
    const target = encodeTarget(categorical("y", labels), "classification");
    expect(target.kind === "classification" && target.classes).toEqual(classes);
    expect(target.kind === "classification" && Array.from(target.codes)).toEqual(codes);
  });
});

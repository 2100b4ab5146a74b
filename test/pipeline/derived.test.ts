import { describe, expect, it } from "vitest";
import type { Frame } from "../../pipeline/data/frame.ts";
import { checkDerived, compileDerived, type Value } from "../../pipeline/derived/derived.ts";
import { parseExpression } from "../../pipeline/derived/parse-expression.ts";
import { withDerivedColumns } from "../../pipeline/derived/spec-derived.ts";
import {
  ExpressionError,
  MissingColumnError,
  SpecError,
  TypeMismatchError,
} from "../../pipeline/errors.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";

function value(expression: string, row: Record<string, Value>): Value {
  const out = compileDerived([{ name: "out", expression }]).apply({ ...row });
  return out.out as Value;
}

describe("parseExpression", () => {
  it("gives ^ precedence over unary minus and * over +, and ^ associates to the right", () => {
    expect(value("-x^2", { x: 3 })).toBe(-9);
    expect(value("1 + 2 * 3", {})).toBe(7);
    expect(value("2^3^2", {})).toBe(512);
    expect(value("(1 + 2) * 3", {})).toBe(9);
    expect(value("2^-1", {})).toBe(0.5);
    expect(value("10 / 4 - 1.5e0", {})).toBe(1);
  });

  it("reads backtick-quoted column names", () => {
    expect(value("`monthly income` / 2", { "monthly income": 10 })).toBe(5);
  });

  it.each([
    ["", "the expression is empty", 0],
    ["a +", "the expression ends too early", 3],
    ["(a + b", 'expected ")" to close the parenthesis', 6],
    ["log(a", 'expected ")" to close log(', 5],
    ["a b", 'unexpected "b" after a complete expression', 2],
    ["a × b", '"×" is not an operator', 2],
    ["a % b", 'unexpected "%"', 2],
    ["`a", "is not closed", 0],
    ["bin(a, [1, x])", "a list holds numbers only", 11],
  ])("refuses %j: %s at offset %i", (text, message, at) => {
    let caught: unknown;
    try {
      parseExpression(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ExpressionError);
    expect((caught as ExpressionError).message).toContain(message);
    expect((caught as ExpressionError).at).toBe(at);
  });
});

describe("evaluating derived features", () => {
  it.each<[string, Record<string, Value>, Value]>([
    ["log(x)", { x: Math.E }, 1],
    ["log1p(x)", { x: 0 }, 0],
    ["exp(x)", { x: 0 }, 1],
    ["sqrt(x)", { x: 16 }, 4],
    ["abs(x)", { x: -2 }, 2],
    ["min(x, y, 3)", { x: 5, y: 4 }, 3],
    ["max(x, y)", { x: 5, y: 4 }, 5],
    ["ratio(x, y)", { x: 1, y: 4 }, 0.25],
    ["x^2 + x*y", { x: 3, y: 2 }, 15],
    ["bin(x, [0, 18, 65])", { x: -1 }, "<0"],
    ["bin(x, [0, 18, 65])", { x: 18 }, "[18, 65)"],
    ["bin(x, [0, 18, 65])", { x: 65 }, ">=65"],
    ["cross(a, b)", { a: "red", b: "big" }, "red|big"],
    ["cross(a, bin(x, [10]))", { a: "red", x: 3 }, "red|<10"],
    ["year(d)", { d: "2024-03-01T23:30:00Z" }, 2024],
    ["month(d)", { d: "2024-03-01" }, 3],
    ["day(d)", { d: "2024-03-01" }, 1],
    ["weekday(d)", { d: "2024-03-04" }, 0], // a Monday
    ["weekday(d)", { d: "2024-03-10" }, 6], // a Sunday
    ["hour(d)", { d: "2024-03-01T23:30:00+02:00" }, 21],
    ["dayofyear(d)", { d: "2024-12-31" }, 366],
  ])("%s of %j is %j", (expression, row, expected) => {
    expect(value(expression, row)).toEqual(expected);
  });

  it.each<[string, Record<string, Value>]>([
    ["x + 1", { x: null }],
    ["ratio(x, y)", { x: 1, y: 0 }],
    ["x / y", { x: 1, y: 0 }],
    ["log(x)", { x: 0 }],
    ["sqrt(x)", { x: -1 }],
    ["exp(x)", { x: 1000 }],
    ["min(x, y)", { x: 1, y: null }],
    ["bin(x, [1])", { x: null }],
    ["cross(a, b)", { a: "red", b: null }],
    ["month(d)", { d: "next tuesday" }],
    ["month(d)", { d: null }],
  ])("%s of %j is missing", (expression, row) => {
    expect(value(expression, row)).toBeNull();
  });

  it("lets a feature read the ones above it, and replaces a value the row carries for one", () => {
    const derived = compileDerived([
      { name: "h2", expression: "height^2" },
      { name: "bmi", expression: "weight / h2" },
    ]);
    expect(derived.inputs).toEqual(["height", "weight"]);
    expect(derived.apply({ height: 2, weight: 80, bmi: 1 })).toEqual({
      height: 2,
      weight: 80,
      h2: 4,
      bmi: 20,
    });
  });
});

describe("checkDerived", () => {
  const kinds: Record<string, "numeric" | "categorical"> = {
    income: "numeric",
    age: "numeric",
    colour: "categorical",
    signup: "categorical",
  };
  const check = (expression: string) =>
    checkDerived([{ name: "f", expression }], (n) => kinds[n], Object.keys(kinds)).issues.map(
      (i) => i.message,
    );

  it.each([
    ["log(incme)", 'column "incme" is not in the data. Did you mean "income"?'],
    ["log(colour)", 'cannot take log of "colour", a category'],
    ["colour + 1", 'cannot use + on "colour", a category'],
    ["cross(colour, age)", '"age" is a number — bin it first'],
    ["month(age)", '"age" is numeric'],
    ["month(signup + 1)", "reads a date column by name"],
    ["lg(income)", 'unknown function "lg". Did you mean "log"?'],
    ["log(income, 2)", "log takes (x) of one number, but has 2 arguments"],
    ["bin(age, [65, 18])", "must increase strictly"],
    ["bin(age, 18)", "a list of increasing numbers"],
    ["[1, 2]", "only the edges of bin"],
  ])("%s: %s", (expression, message) => {
    expect(check(expression).join("\n")).toContain(message);
  });

  it("gives each feature's kind and accepts a well-typed list", () => {
    const { issues, kinds: out } = checkDerived(
      [
        { name: "band", expression: "bin(age, [18, 65])" },
        { name: "pair", expression: "cross(colour, band)" },
        { name: "per_year", expression: "ratio(income, age)" },
      ],
      (n) => kinds[n],
      Object.keys(kinds),
    );
    expect(issues).toEqual([]);
    expect(out).toEqual({ band: "categorical", pair: "categorical", per_year: "numeric" });
  });

  it("refuses a name taken by a column, and reading a feature defined further down", () => {
    const { issues } = checkDerived(
      [
        { name: "age", expression: "income * 2" },
        { name: "a", expression: "b + 1" },
        { name: "b", expression: "income" },
      ],
      (n) => kinds[n],
      Object.keys(kinds),
    );
    expect(issues.map((i) => [i.name, i.message])).toEqual([
      ["age", expect.stringContaining("already a column of the data")],
      ["a", expect.stringContaining('reads "b", defined further down')],
    ]);
  });
});

describe("features.derived in a spec", () => {
  const spec = (derived: string, extra = "") =>
    `name: p\nsource:\n  uri: data.csv\ntarget: y\ntask: regression\nfeatures:\n${extra}  derived:\n${derived}`;

  it("keeps the expressions in order", () => {
    const parsed = parseSpec(spec("    h2: height^2\n    bmi: weight / h2\n"), { file: "p.yaml" });
    expect(Object.entries(parsed.features.derived)).toEqual([
      ["h2", "height^2"],
      ["bmi", "weight / h2"],
    ]);
  });

  it.each([
    ["    bmi: weight / (height^2\n", 'p.yaml:8 features.derived.bmi: expected ")"'],
    ["    bmi: lg(weight)\n", 'features.derived.bmi: unknown function "lg". Did you mean "log"?'],
    [
      "    bmi: log(colour)\n",
      'features.derived.bmi: cannot take log of "colour", a category',
      "  categorical: [colour]\n",
    ],
    ["    y: weight * 2\n", 'features.derived.y: "y" is already the target (target)'],
    ["    2x: weight * 2\n", 'features.derived.2x: "2x" is not a usable feature name'],
  ])("reports %j at its YAML path", (derived, message, extra = "") => {
    let caught: unknown;
    try {
      parseSpec(spec(derived, extra), { file: "p.yaml" });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SpecError);
    expect((caught as Error).message).toContain(message);
  });
});

describe("withDerivedColumns (the training table)", () => {
  const frame: Frame = {
    rowCount: 3,
    columns: [
      { kind: "numeric", name: "weight", values: Float64Array.from([80, Number.NaN, 50]) },
      { kind: "numeric", name: "height", values: Float64Array.from([2, 1.8, 0]) },
      {
        kind: "categorical",
        name: "colour",
        codes: Int32Array.from([0, 1, -1]),
        levels: ["red", "blue"],
      },
    ],
  };
  const features = (derived: Record<string, string>) => ({
    features: { numeric: [], categorical: [], drop: [], from: [], derived, transform: null },
  });

  it("appends the derived columns, missing where an input is missing or a result not finite", () => {
    const out = withDerivedColumns(
      frame,
      features({ bmi: "weight / height^2", band: "bin(height, [1])", tag: "cross(colour, band)" }),
      "data.csv",
    );
    expect(out.columns.map((c) => [c.name, c.kind])).toEqual([
      ["weight", "numeric"],
      ["height", "numeric"],
      ["colour", "categorical"],
      ["bmi", "numeric"],
      ["band", "categorical"],
      ["tag", "categorical"],
    ]);
    const bmi = out.columns[3];
    expect(bmi.kind === "numeric" && Array.from(bmi.values)).toEqual([20, Number.NaN, Number.NaN]);
    const tag = out.columns[5];
    expect(
      tag.kind === "categorical" && Array.from(tag.codes, (c) => tag.levels[c] ?? null),
    ).toEqual(["red|>=1", "blue|>=1", null]);
  });

  it("names the YAML path and suggests the column for an unknown column", () => {
    expect(() =>
      withDerivedColumns(frame, features({ bmi: "wieght / height" }), "data.csv"),
    ).toThrow(
      new MissingColumnError(
        'data.csv: features.derived.bmi: column "wieght" is not in the data. Did you mean "weight"? Columns: weight, height, colour; fix the expression in the spec or the data.',
        { file: "data.csv", path: "features.derived.bmi", column: "wieght" },
      ),
    );
  });

  it("refuses arithmetic on a column the data holds as text", () => {
    expect(() => withDerivedColumns(frame, features({ x: "log(colour)" }), "data.csv")).toThrow(
      TypeMismatchError,
    );
  });
});

import { describe, expect, it } from "vitest";
import type { Column } from "../../pipeline/data/frame.ts";
import { TargetError } from "../../pipeline/errors.ts";
import { encodeTarget, encodeTargetWith } from "../../pipeline/features/target.ts";

function num(values: number[]): Column {
  return { kind: "numeric", name: "y", values: Float64Array.from(values) };
}

function cat(cells: (string | null)[]): Column {
  const levels = [...new Set(cells.filter((c): c is string => c !== null))];
  return {
    kind: "categorical",
    name: "y",
    levels,
    codes: Int32Array.from(cells, (c) => (c === null ? -1 : levels.indexOf(c))),
  };
}

describe("encodeTarget", () => {
  it("numbers classes by the sorted label text", () => {
    const t = encodeTarget(cat(["Gentoo", "Adelie", "Chinstrap", "Adelie"]), "classification");
    expect(t).toEqual({
      kind: "classification",
      classes: ["Adelie", "Chinstrap", "Gentoo"],
      codes: Int32Array.from([2, 0, 1, 0]),
    });
  });

  it("reads numeric labels in canonical form and sorts them as text", () => {
    const t = encodeTarget(num([2, 10, 1.5, 2.0, -0]), "classification");
    expect(t.kind === "classification" && t.classes).toEqual(["0", "1.5", "10", "2"]);
    expect(t.kind === "classification" && Array.from(t.codes)).toEqual([3, 2, 1, 3, 0]);
  });

  it("keeps regression values as they are", () => {
    const t = encodeTarget(num([1.5, -2, 3]), "regression");
    expect(t).toEqual({ kind: "regression", values: Float64Array.from([1.5, -2, 3]) });
  });

  it.each([
    ["a missing label", cat(["a", null, "b"]), "classification", /missing at row 2/],
    ["a single class", cat(["a", "a"]), "classification", /single class "a"/],
    ["a missing regression value", num([1, Number.NaN]), "regression", /missing at row 2/],
    ["a text regression target", cat(["1", "x"]), "regression", /must be numeric/],
  ] as const)("rejects %s with a TargetError", (_, col, task, message) => {
    expect(() => encodeTarget(col, task)).toThrow(TargetError);
    expect(() => encodeTarget(col, task)).toThrow(message);
  });
});

describe("encodeTargetWith", () => {
  it("codes test labels with the train classes, whatever the test dictionary order", () => {
    const t = encodeTargetWith(["a", "b", "c"], cat(["c", "a", "c"]));
    expect(Array.from(t.codes)).toEqual([2, 0, 2]);
    expect(t.classes).toEqual(["a", "b", "c"]);
  });

  it("names an unseen label, its row and the known classes", () => {
    const col = cat(["a", "z"]);
    expect(() => encodeTargetWith(["a", "b"], col)).toThrow(TargetError);
    expect(() => encodeTargetWith(["a", "b"], col)).toThrow(/label "z" at row 2 .*"a", "b"/);
  });
});

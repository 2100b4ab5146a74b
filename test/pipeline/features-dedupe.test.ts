import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Column, Frame } from "../../pipeline/data/frame.ts";
import { cellValue } from "../../pipeline/data/frame.ts";
import { MissingColumnError } from "../../pipeline/errors.ts";
import { dedupeRows } from "../../pipeline/features/dedupe.ts";

function num(name: string, values: number[]): Column {
  return { kind: "numeric", name, values: Float64Array.from(values) };
}

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
  const c = columns[0];
  return { rowCount: c.kind === "numeric" ? c.values.length : c.codes.length, columns };
}

function rows(f: Frame): unknown[][] {
  return Array.from({ length: f.rowCount }, (_, r) => f.columns.map((c) => cellValue(c, r)));
}

describe("dedupeRows", () => {
  it("drops exact duplicates and keeps the first occurrence", () => {
    const f = frame(num("x", [1, 2, 1, 1]), cat("k", ["a", "b", "a", "b"]));
    const out = dedupeRows(f);
    expect(Array.from(out.keptIndices)).toEqual([0, 1, 3]);
    expect(out.removed).toBe(1);
    expect(rows(out.frame)).toEqual([
      [1, "a"],
      [2, "b"],
      [1, "b"],
    ]);
  });

  it("treats two missing cells, and 0 and -0, as equal", () => {
    const f = frame(num("x", [Number.NaN, Number.NaN, 0, -0]), cat("k", [null, null, "a", "a"]));
    expect(Array.from(dedupeRows(f).keptIndices)).toEqual([0, 2]);
  });

  it("judges only the given columns", () => {
    const f = frame(num("x", [1, 2, 3]), cat("k", ["a", "a", "b"]));
    expect(Array.from(dedupeRows(f, ["k"]).keptIndices)).toEqual([0, 2]);
  });

  it("does not confuse a level containing a separator with two cells", () => {
    const f = frame(cat("a", ['x","y', "x"]), cat("b", ["z", 'y","z']));
    expect(dedupeRows(f).removed).toBe(0);
  });

  it("names an unknown column", () => {
    expect(() => dedupeRows(frame(num("x", [1])), ["nope"])).toThrow(MissingColumnError);
  });

  it("leaves distinct rows that each appeared in the input, first occurrences in order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom("a", "b", null)), {
          maxLength: 40,
        }),
        (cells) => {
          const f = frame(
            num(
              "x",
              cells.map(([x]) => x),
            ),
            cat(
              "k",
              cells.map(([, k]) => k),
              ["b", "a"],
            ),
          );
          const out = dedupeRows(f);
          const keys = rows(out.frame).map((r) => JSON.stringify(r));
          const firsts = cells
            .map((c, i) => ({ key: JSON.stringify(c), i }))
            .filter(({ key }, i, all) => all.findIndex((e) => e.key === key) === i);
          expect(new Set(keys).size).toBe(keys.length);
          expect(Array.from(out.keptIndices)).toEqual(firsts.map((e) => e.i));
          expect(out.removed).toBe(cells.length - firsts.length);
        },
      ),
    );
  });
});

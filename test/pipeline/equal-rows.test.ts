import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { firstEqualRows } from "../../pipeline/data/equal-rows.ts";
import type { Column, Frame } from "../../pipeline/data/frame.ts";
import { keyDigests } from "../../pipeline/split/hash-split.ts";
import { rowKeyDigests, rowKeys } from "../../pipeline/split/split-record.ts";

/** Frames of few distinct values, so equal rows are common; numbers include NaN, 0 and -0. */
const frames = fc
  .record({
    rows: fc.integer({ min: 0, max: 40 }),
    kinds: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
    cells: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 160, maxLength: 160 }),
  })
  .map(({ rows, kinds, cells }): Frame => {
    const NUMBERS = [0, -0, Number.NaN, 1.5];
    const LEVELS = ["a", 'q"uote', "\u0001\\x"];
    const columns = kinds.map((numeric, c): Column => {
      const pick = (r: number) => cells[(r * kinds.length + c) % cells.length];
      return numeric
        ? {
            kind: "numeric",
            name: `n${c}`,
            values: Float64Array.from({ length: rows }, (_, r) => NUMBERS[pick(r)]),
          }
        : {
            kind: "categorical",
            name: `c${c}`,
            codes: Int32Array.from({ length: rows }, (_, r) => pick(r) - 1),
            levels: LEVELS,
          };
    });
    return { rowCount: rows, columns };
  });

/** The earlier string-key rule: numbers by their text (-0 reads "0"), codes as they are. */
function byStrings(frame: Frame): Int32Array {
  const seen = new Map<string, number>();
  return Int32Array.from({ length: frame.rowCount }, (_, r) => {
    const key = frame.columns
      .map((c) => (c.kind === "numeric" ? String(c.values[r]) : String(c.codes[r])))
      .join("\u001f");
    const earlier = seen.get(key);
    if (earlier === undefined) seen.set(key, r);
    return earlier ?? -1;
  });
}

describe("firstEqualRows", () => {
  it("finds the first earlier equal row exactly as string keys did (NaN = NaN, -0 = 0)", () => {
    fc.assert(
      fc.property(frames, (frame) => {
        expect(firstEqualRows(frame.columns, frame.rowCount)).toEqual(byStrings(frame));
      }),
      { numRuns: 300 },
    );
  });
});

describe("rowKeyDigests", () => {
  it("gives the digests of rowKeys' texts, for content and id keys", () => {
    fc.assert(
      fc.property(frames, (frame) => {
        const options = { idColumn: null, target: frame.columns[0].name };
        const { keys, key } = rowKeys(frame, options);
        expect(rowKeyDigests(frame, options)).toEqual({ digests: keyDigests(keys), key });
        const byId = { idColumn: frame.columns.at(-1)?.name ?? null, target: "none" };
        const ids = rowKeys(frame, byId);
        expect(rowKeyDigests(frame, byId)).toEqual({ digests: keyDigests(ids.keys), key: ids.key });
      }),
      { numRuns: 200 },
    );
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { firstEqualRows } from "../../pipeline/data/equal-rows.ts";
import type { Column, Frame } from "../../pipeline/data/frame.ts";
import { hashSplit, keyDigests } from "../../pipeline/split/hash-split.ts";
import { rowKeyDigests, rowKeys, sameSplitKey } from "../../pipeline/split/split-record.ts";

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
  it("in scheme 1, gives the digests of rowKeys' texts, for content and id keys", () => {
    fc.assert(
      fc.property(frames, (frame) => {
        const options = { idColumn: null, target: frame.columns[0].name };
        const { keys, key } = rowKeys(frame, options);
        expect(rowKeyDigests(frame, options, 1)).toEqual({ digests: keyDigests(keys), key });
        const byId = { idColumn: frame.columns.at(-1)?.name ?? null, target: "none" };
        const ids = rowKeys(frame, byId);
        const want = { digests: keyDigests(ids.keys), key: ids.key };
        expect(rowKeyDigests(frame, byId, 1)).toEqual(want);
        // id keys are hashed alike in scheme 2: id-keyed champions of scheme 1 stay comparable
        expect(rowKeyDigests(frame, byId, 2)).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  /** Colour (categorical), size (numeric) and the target, in the given column order. */
  const small = (order: string[], levels = ["red", 'gr"een']): Frame => {
    const codes = Int32Array.of(0, 1, -1).map((c) =>
      c < 0 ? c : levels.indexOf(["red", 'gr"een'][c]),
    );
    const columns: Record<string, Column> = {
      colour: { kind: "categorical", name: "colour", codes, levels },
      size: { kind: "numeric", name: "size", values: Float64Array.of(1.5, -0, Number.NaN) },
      label: { kind: "numeric", name: "label", values: Float64Array.of(1, 0, 1) },
    };
    return { rowCount: 3, columns: order.map((n) => columns[n]) };
  };
  const content = { idColumn: null, target: "label" };

  it("keeps scheme 1's content digests as first shipped (older models' splits stay reproducible)", () => {
    const { digests, key } = rowKeyDigests(small(["colour", "size", "label"]), content, 1);
    expect(Array.from(digests)).toEqual([
      1105735324, 3044344800, 1956070383, 3865901926, 334983536, 2244269584,
    ]);
    expect(key).toEqual({
      kind: "content",
      columnsSha256: "92779eb09f253b2fdb38e2fc1407ccbc16633bc2cd794365d1cd41a065192d6c",
      columnCount: 2,
    });
  });

  it("in scheme 2 (the default), pins its content digests and reads no column order or level list", () => {
    const { digests, key } = rowKeyDigests(small(["colour", "size", "label"]), content);
    expect(Array.from(digests)).toEqual([
      1370288734, 1019703461, 1898014385, 4253673735, 2177963875, 877472708,
    ]);
    expect(key.kind).toBe("content");
    // another column order, and the levels listed in another order with one more: same digests
    const other = rowKeyDigests(
      small(["label", "size", "colour"], ['gr"een', "blue", "red"]),
      content,
    );
    expect(Array.from(other.digests)).toEqual(Array.from(digests));
    expect(other.key).toEqual(key);
    // scheme 1 and 2 keys are not the same key
    expect(
      sameSplitKey(key, rowKeyDigests(small(["colour", "size", "label"]), content, 1).key),
    ).toBe(false);
  });

  it("in scheme 2, equal rows get equal digests (-0 = 0, NaN = missing) and other rows others", () => {
    fc.assert(
      fc.property(frames, (frame) => {
        const options = { idColumn: null, target: "none" };
        const { digests } = rowKeyDigests(frame, options, 2);
        const { keys } = rowKeys(frame, options);
        for (let a = 0; a < frame.rowCount; a++) {
          for (let b = 0; b < a; b++) {
            const same =
              digests[2 * a] === digests[2 * b] && digests[2 * a + 1] === digests[2 * b + 1];
            expect(same).toBe(keys[a] === keys[b]);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("in scheme 2, rows keep their side as rows are appended, in the requested proportion", () => {
    const rows = 20_000;
    const x = Float64Array.from({ length: rows }, (_, i) => Math.sin(i) * 1000);
    const level = Int32Array.from({ length: rows }, (_, i) => i % 7);
    const make = (n: number, levels: string[]): Frame => ({
      rowCount: n,
      columns: [
        { kind: "numeric", name: "x", values: x.slice(0, n) },
        { kind: "categorical", name: "c", codes: level.slice(0, n), levels },
      ],
    });
    const levels = ["a", "b", "c", "d", "e", "f", "g"];
    const options = { testFraction: 0.2, seed: 7 };
    const whole = hashSplit(rowKeyDigests(make(rows, levels), content).digests, options);
    const first = hashSplit(rowKeyDigests(make(rows / 2, levels), content).digests, options);
    const testAll = new Set(whole.test);
    for (const r of first.test) expect(testAll.has(r)).toBe(true);
    for (const r of first.train) expect(testAll.has(r)).toBe(false);
    expect(Math.abs(whole.test.length / rows - 0.2)).toBeLessThan(0.01);
  });
});

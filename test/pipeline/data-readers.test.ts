import fc from "fast-check";
import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { firstInvalidUtf8 } from "../../pipeline/data/decode-text.ts";
import { type Column, cellValue, type Frame, getColumn } from "../../pipeline/data/frame.ts";
import { type ReadTableOptions, readTable } from "../../pipeline/data/read-table.ts";
import {
  DataFormatError,
  InsufficientDataError,
  type OrchardError,
} from "../../pipeline/errors.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

function csv(text: string, extra: Partial<ReadTableOptions> = {}) {
  return readTable(utf8(text), { file: "t.csv", format: "csv", ...extra });
}

function jsonl(text: string, extra: Partial<ReadTableOptions> = {}) {
  return readTable(utf8(text), { file: "t.jsonl", format: "jsonl", ...extra });
}

function col(frame: Frame, name: string): Column {
  const c = getColumn(frame, name);
  if (!c) throw new Error(`no column ${name}`);
  return c;
}

/** The column as plain values (null for missing), for readable assertions. */
function values(frame: Frame, name: string): (number | string | null)[] {
  const c = col(frame, name);
  return Array.from({ length: frame.rowCount }, (_, r) => cellValue(c, r));
}

async function rejection(p: Promise<unknown>): Promise<OrchardError> {
  try {
    await p;
  } catch (err) {
    return err as OrchardError;
  }
  throw new Error("expected a rejection");
}

function parquet(columnData: Parameters<typeof parquetWriteBuffer>[0]["columnData"]): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({ columnData }));
}

describe("readTable: CSV", () => {
  it("reads quoted fields holding delimiters, escaped quotes and newlines", async () => {
    const t = await csv('name,note\n"Smith, J","said ""hi"""\n"multi\nline",plain\n');
    expect(values(t, "name")).toEqual(["Smith, J", "multi\nline"]);
    expect(values(t, "note")).toEqual(['said "hi"', "plain"]);
  });

  it("drops a byte-order mark so the first header name is clean", async () => {
    const t = await csv("\uFEFFa,b\n1,2\n");
    expect(t.columns.map((c) => c.name)).toEqual(["a", "b"]);
  });

  it("reads CRLF line endings like LF", async () => {
    const lf = await csv("a,b\n1,x\n2,y\n");
    const crlf = await csv("a,b\r\n1,x\r\n2,y\r\n");
    expect(values(crlf, "a")).toEqual(values(lf, "a"));
    expect(values(crlf, "b")).toEqual(["x", "y"]);
  });

  it("uses the given delimiter", async () => {
    const t = await csv("a;b\n1,5;x\n", { delimiter: ";" });
    expect(values(t, "a")).toEqual(["1,5"]);
    expect(values(t, "b")).toEqual(["x"]);
  });

  it("skips blank lines", async () => {
    expect((await csv("a\n1\n\n2\n\n")).rowCount).toBe(2);
  });

  it.each(["", "NA", "NaN", "null", "  "])("reads %j as missing", async (token) => {
    const t = await csv(`a,b\n1,x\n${token},${token}\n`);
    expect(values(t, "a")).toEqual([1, null]);
    expect(values(t, "b")).toEqual(["x", null]);
  });

  it("infers numeric for numbers in any notation and categorical otherwise", async () => {
    const t = await csv("n,c,b\n1,1,true\n-2.5e3,x,false\n.5,3,true\n");
    expect(col(t, "n").kind).toBe("numeric");
    expect(values(t, "n")).toEqual([1, -2500, 0.5]);
    expect(col(t, "c").kind).toBe("categorical");
    expect(col(t, "b").kind).toBe("categorical");
    expect(values(t, "b")).toEqual(["true", "false", "true"]);
  });

  it.each(["0x1F", "1,000", "1.2.3", "12abc"])("keeps %j as text", async (text) => {
    const t = await csv(`v\n"${text}"\n1\n`);
    expect(col(t, "v").kind).toBe("categorical");
  });

  it("sorts category levels so codes do not depend on row order", async () => {
    const a = await csv("c\nz\na\nm\na\n");
    const b = await csv("c\na\nm\nz\na\n");
    const ca = col(a, "c");
    const cb = col(b, "c");
    expect(ca.kind === "categorical" && ca.levels).toEqual(["a", "m", "z"]);
    expect(cb.kind === "categorical" && cb.levels).toEqual(["a", "m", "z"]);
    expect(ca.kind === "categorical" && Array.from(ca.codes)).toEqual([2, 0, 1, 0]);
  });

  it("records infinities in a numeric column as type mismatches and makes them missing", async () => {
    const t = await csv("x\n1\ninf\n-Infinity\n2\n");
    expect(col(t, "x").kind).toBe("numeric");
    expect(values(t, "x")).toEqual([1, null, null, 2]);
    expect(t.mismatches).toEqual([
      {
        column: "x",
        expected: "numeric",
        count: 2,
        examples: [
          { row: 2, column: "x", value: "inf" },
          { row: 3, column: "x", value: "-Infinity" },
        ],
      },
    ]);
  });

  it("lets declared types override inference and records text in a declared numeric column", async () => {
    const text = "code,age\n01,30\n02,abc\n03,thirty\n";
    const t = await csv(text, { columnTypes: { code: "categorical", age: "numeric" } });
    expect(values(t, "code")).toEqual(["01", "02", "03"]);
    expect(values(t, "age")).toEqual([30, null, null]);
    expect(t.mismatches).toEqual([
      {
        column: "age",
        expected: "numeric",
        count: 2,
        examples: [
          { row: 2, column: "age", value: "abc" },
          { row: 3, column: "age", value: "thirty" },
        ],
      },
    ]);
  });

  it("keeps at most five mismatch examples but counts them all", async () => {
    const rows = Array.from({ length: 8 }, (_, i) => `bad${i}`).join("\n");
    const t = await csv(`x\n${rows}\n`, { columnTypes: { x: "numeric" } });
    expect(t.mismatches[0].count).toBe(8);
    expect(t.mismatches[0].examples.map((e) => e.row)).toEqual([1, 2, 3, 4, 5]);
  });

  it.each([
    ["a,b\n1,2\n3\n", "row 2 (line 3) has 1 fields but the header has 2", 2],
    ["a,b\n1,2,3\n", "row 1 (line 2) has 3 fields but the header has 2", 1],
  ])("rejects ragged rows in %j naming the row", async (text, fragment, row) => {
    const err = await rejection(csv(text));
    expect(err).toBeInstanceOf(DataFormatError);
    expect(err.message).toContain(fragment);
    expect(err.location).toEqual({ file: "t.csv", row });
  });

  it.each([
    ["a,,c\n1,2,3\n", "column 2 of the header has no name"],
    ["a,b,a\n1,2,3\n", 'columns 1 and 3 are both named "a"'],
    ["a, b ,b\n1,2,3\n", 'columns 2 and 3 are both named "b"'],
  ])("rejects the bad header in %j", async (text, fragment) => {
    const err = await rejection(csv(text));
    expect(err).toBeInstanceOf(DataFormatError);
    expect(err.message).toContain(fragment);
  });

  it.each(["", "\n\n", "\uFEFF"])("rejects the empty file %j", async (text) => {
    const err = await rejection(csv(text));
    expect(err).toBeInstanceOf(DataFormatError);
    expect(err.message).toContain("t.csv: the file is empty");
  });

  it("rejects a header without data rows as insufficient data", async () => {
    const err = await rejection(csv("a,b\n"));
    expect(err).toBeInstanceOf(InsufficientDataError);
    expect(err.message).toContain("has a header but no data rows");
  });

  it("rejects an unclosed quote with its line", async () => {
    const err = await rejection(csv('a,b\n1,2\n"open,3\n'));
    expect(err).toBeInstanceOf(DataFormatError);
    expect(err.message).toMatch(/t\.csv, line \d+: malformed CSV/);
  });

  it("rejects invalid UTF-8 naming the byte and the line", async () => {
    const bytes = new Uint8Array([...utf8("a\nok\n"), 0xff, 0x41, 0x0a]);
    const err = await rejection(readTable(bytes, { file: "t.csv", format: "csv" }));
    expect(err).toBeInstanceOf(DataFormatError);
    expect(err.message).toContain("invalid UTF-8 at byte 5 (line 3)");
  });

  it("round-trips arbitrary text fields through quoting", async () => {
    const field = fc.string({ unit: "grapheme", maxLength: 12 }).map((s) => s.replace(/\r/g, ""));
    await fc.assert(
      fc.asyncProperty(fc.array(field, { minLength: 1, maxLength: 8 }), async (cells) => {
        const quoted = cells.map((s) => `"x${s.replace(/"/g, '""')}"`);
        const t = await csv(`v\n${quoted.join("\n")}\n`);
        // The "x" prefix keeps every value text; reading trims surrounding whitespace.
        expect(values(t, "v")).toEqual(cells.map((s) => `x${s}`.trim()));
      }),
      { numRuns: 50 },
    );
  });
});

describe("readTable: JSON Lines", () => {
  it("reads objects with the union of keys, absent keys missing, blank lines ignored", async () => {
    const t = await jsonl('{"a":1,"b":"x"}\n\n{"a":2.5,"c":true}\r\n{"b":null}\n');
    expect(t.columns.map((c) => c.name)).toEqual(["a", "b", "c"]);
    expect(values(t, "a")).toEqual([1, 2.5, null]);
    expect(values(t, "b")).toEqual(["x", null, null]);
    expect(values(t, "c")).toEqual([null, "true", null]);
  });

  it("applies the same cell rules to JSON strings as to CSV text", async () => {
    const t = await jsonl('{"n":"3"}\n{"n":"NA"}\n{"n":4}\n');
    expect(col(t, "n").kind).toBe("numeric");
    expect(values(t, "n")).toEqual([3, null, 4]);
  });

  it.each([
    ['{"a":1}\n{"a":\n', 2, 2, "not valid JSON"],
    ['{"a":1}\n\n[1,2]\n', 3, 2, "is not a JSON object"],
    ['{"a":1}\n{"a":{"b":2}}\n', 2, 2, 'key "a" holds a nested object'],
    ['{"a":[1]}\n', 1, 1, 'key "a" holds a nested array'],
  ])("rejects %j naming line %i", async (text, line, row, fragment) => {
    const err = await rejection(jsonl(text));
    expect(err).toBeInstanceOf(DataFormatError);
    expect(err.message).toContain(`t.jsonl, line ${line}: `);
    expect(err.message).toContain(fragment);
    expect(err.location).toEqual({ file: "t.jsonl", row });
  });

  it("rejects a file without records", async () => {
    const err = await rejection(jsonl("\n  \n"));
    expect(err).toBeInstanceOf(DataFormatError);
    expect(err.message).toContain("has no records");
  });
});

describe("readTable: Parquet", () => {
  it("reads numbers, text, booleans, int64 and timestamps with nulls", async () => {
    const bytes = parquet([
      { name: "x", data: [1.5, null, -3], type: "DOUBLE" },
      { name: "s", data: ["b", "a", null], type: "STRING" },
      { name: "flag", data: [true, false, true], type: "BOOLEAN" },
      { name: "big", data: [1n, 2n, 3n], type: "INT64" },
      { name: "at", data: [new Date(0), null, new Date(86_400_000)], type: "TIMESTAMP" },
    ]);
    const t = await readTable(bytes, { file: "t.parquet", format: "parquet" });
    expect(t.columns.map((c) => [c.name, c.kind])).toEqual([
      ["x", "numeric"],
      ["s", "categorical"],
      ["flag", "categorical"],
      ["big", "numeric"],
      ["at", "categorical"],
    ]);
    expect(values(t, "x")).toEqual([1.5, null, -3]);
    expect(values(t, "s")).toEqual(["b", "a", null]);
    expect(values(t, "flag")).toEqual(["true", "false", "true"]);
    expect(values(t, "big")).toEqual([1, 2, 3]);
    expect(values(t, "at")).toEqual(["1970-01-01T00:00:00.000Z", null, "1970-01-02T00:00:00.000Z"]);
  });

  it("gives the same frame as the equivalent CSV", async () => {
    const fromCsv = await csv("a,b\n1,x\n2,y\n3,x\n");
    const fromParquet = await readTable(
      parquet([
        { name: "a", data: [1, 2, 3], type: "DOUBLE" },
        { name: "b", data: ["x", "y", "x"], type: "STRING" },
      ]),
      { file: "t.parquet", format: "parquet" },
    );
    expect(fromParquet).toEqual(fromCsv);
  });

  it("reads from a view into a larger buffer", async () => {
    const inner = parquet([{ name: "a", data: [7, 8], type: "DOUBLE" }]);
    const outer = new Uint8Array(inner.length + 10);
    outer.set(inner, 5);
    const t = await readTable(outer.subarray(5, 5 + inner.length), {
      file: "t.parquet",
      format: "parquet",
    });
    expect(values(t, "a")).toEqual([7, 8]);
  });

  it.each([
    ["truncated", (b: Uint8Array) => b.subarray(0, b.length - 20)],
    ["not parquet", () => utf8("a,b\n1,2\n")],
    ["empty", () => new Uint8Array(0)],
  ])("rejects a %s file as a DataFormatError", async (_, damage) => {
    const good = parquet([{ name: "a", data: [1, 2, 3], type: "DOUBLE" }]);
    const err = await rejection(readTable(damage(good), { file: "t.parquet", format: "parquet" }));
    expect(err).toBeInstanceOf(DataFormatError);
    expect(err.message).toContain("t.parquet: not a readable Parquet file");
  });

  it("rejects a file with no rows as insufficient data", async () => {
    const bytes = parquet([{ name: "a", data: [], type: "DOUBLE" }]);
    const err = await rejection(readTable(bytes, { file: "t.parquet", format: "parquet" }));
    expect(err).toBeInstanceOf(InsufficientDataError);
  });
});

describe("firstInvalidUtf8", () => {
  it.each([
    [[0x61, 0x62], -1],
    [[0xe2, 0x82, 0xac], -1],
    [[0xf0, 0x9f, 0x8d, 0x8e], -1],
    [[0x61, 0xc0, 0x80], 1],
    [[0xed, 0xa0, 0x80], 0],
    [[0x61, 0x62, 0xe2, 0x82], 2],
    [[0x80], 0],
  ])("finds the first invalid sequence in %j at %i", (bytes, offset) => {
    expect(firstInvalidUtf8(new Uint8Array(bytes))).toBe(offset);
  });

  it("agrees with the platform's strict decoder", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }), (bytes) => {
        let valid = true;
        try {
          new TextDecoder("utf-8", { fatal: true }).decode(bytes);
        } catch {
          valid = false;
        }
        return valid === (firstInvalidUtf8(bytes) === -1);
      }),
    );
  });
});

describe("readTable: options", () => {
  it("rejects an unknown format from an untyped caller", async () => {
    const err = await rejection(
      readTable(utf8("a\n1\n"), { file: "t.xlsx", format: "xlsx" as never }),
    );
    expect(err).toBeInstanceOf(DataFormatError);
    expect(err.message).toContain('unsupported format "xlsx"');
  });
});

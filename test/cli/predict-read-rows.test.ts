import { describe, expect, it } from "vitest";
import { csvRows, jsonlRows, parseRows, rowFormatOf } from "../../cli/read-rows.ts";
import { DataFormatError, InsufficientDataError } from "../../pipeline/errors.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a throw");
}

describe("rowFormatOf", () => {
  it.each([
    ["rows.csv", "csv"],
    ["dir/ROWS.CSV", "csv"],
    ["rows.jsonl", "jsonl"],
    ["rows.ndjson", "jsonl"],
    ["rows.json", null],
    ["rows.parquet", null],
    ["rows", null],
  ])("%s → %s", (path, format) => {
    expect(rowFormatOf(path)).toBe(format);
  });
});

describe("csvRows", () => {
  it("keys each row by the header, keeping every column as trimmed text", () => {
    expect(csvRows(bytes("a,b,c\n1, x ,2.5\n3,y,4\n"), "in.csv")).toEqual([
      { a: "1", b: "x", c: "2.5" },
      { a: "3", b: "y", c: "4" },
    ]);
  });

  it.each(["", "NA", "NaN", "null", "  "])("reads the cell %j as missing (null)", (cell) => {
    expect(csvRows(bytes(`a,b\n${cell},1\n`), "in.csv")).toEqual([{ a: null, b: "1" }]);
  });

  it("keeps quoted delimiters and newlines inside a cell", () => {
    expect(csvRows(bytes('a,b\n"x, y","two\nlines"\n'), "in.csv")).toEqual([
      { a: "x, y", b: "two\nlines" },
    ]);
  });

  it("drops a byte-order mark and accepts CRLF line ends", () => {
    expect(csvRows(bytes("\uFEFFa,b\r\n1,2\r\n"), "in.csv")).toEqual([{ a: "1", b: "2" }]);
  });

  it("rejects a row with more fields than the header, naming the file and row", () => {
    const err = thrown(() => csvRows(bytes("a,b\n1,2\n1,2,3\n"), "in.csv"));
    expect(err).toBeInstanceOf(DataFormatError);
    expect(err.message).toMatch(/^in\.csv: row 2 .*3 fields but the header has 2/);
  });

  it("rejects a header without data rows", () => {
    expect(() => csvRows(bytes("a,b\n"), "in.csv")).toThrow(InsufficientDataError);
  });

  it("rejects duplicate header names", () => {
    const err = thrown(() => csvRows(bytes("a,a\n1,2\n"), "in.csv"));
    expect(err).toBeInstanceOf(DataFormatError);
    expect(err.message).toContain('"a"');
  });
});

describe("jsonlRows", () => {
  it("passes each line's object through unchanged, in order, skipping blank lines", () => {
    const text = '{"a":1,"b":"x"}\n\n{"a":null,"c":true}\r\n';
    expect(jsonlRows(bytes(text), "in.jsonl")).toEqual([
      { a: 1, b: "x" },
      { a: null, c: true },
    ]);
  });

  it("leaves a key absent from a line absent (the bundle reports it as a missing column)", () => {
    const rows = jsonlRows(bytes('{"a":1,"b":2}\n{"a":3}\n'), "in.jsonl");
    expect(Object.hasOwn(rows[1], "b")).toBe(false);
  });

  it.each([
    ['{"a":1}\n{"a":\n', /in\.jsonl, line 2 \(row 2\): not valid JSON/],
    ['{"a":1}\n\n[1,2]\n', /in\.jsonl, line 3 \(row 2\): not a JSON object/],
    ["42\n", /line 1 \(row 1\): not a JSON object/],
    ["null\n", /line 1 \(row 1\): not a JSON object/],
  ])("rejects %j naming the line and row", (text, message) => {
    const err = thrown(() => jsonlRows(bytes(text), "in.jsonl"));
    expect(err).toBeInstanceOf(DataFormatError);
    expect(err.message).toMatch(message);
  });

  it("rejects a file without rows", () => {
    expect(() => jsonlRows(bytes("\n \n"), "in.jsonl")).toThrow(/has no rows/);
  });

  it("rejects invalid UTF-8", () => {
    expect(() => jsonlRows(new Uint8Array([0x7b, 0xff, 0x7d]), "in.jsonl")).toThrow(
      /invalid UTF-8/,
    );
  });
});

describe("parseRows", () => {
  it("gives the same rows for the same data as CSV and as JSON Lines text", () => {
    const csv = parseRows(bytes("a,b\nx,1\ny,\n"), "csv", "in.csv");
    const jsonl = parseRows(bytes('{"a":"x","b":"1"}\n{"a":"y","b":null}\n'), "jsonl", "in.jsonl");
    expect(csv).toEqual(jsonl);
  });
});

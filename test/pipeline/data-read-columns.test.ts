import fc from "fast-check";
import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { buildFrame, type ColumnKind } from "../../pipeline/data/build-frame.ts";
import type { CellReading } from "../../pipeline/data/cells.ts";
import { readCsv } from "../../pipeline/data/read-csv.ts";
import { readCsvColumns } from "../../pipeline/data/read-csv-columns.ts";
import { readParquet, readParquetColumns } from "../../pipeline/data/read-parquet.ts";
import { readTable } from "../../pipeline/data/read-table.ts";
import { decodeTable, encodeTable } from "../../pipeline/data/table-file.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

/** The reading before the typed readers: csv-parse into strings, then buildFrame. */
function viaStrings(
  text: string,
  delimiter = ",",
  columnTypes: Record<string, ColumnKind> = {},
  reading: CellReading = {},
) {
  const { frame, mismatches, textInNumbers } = buildFrame(
    readCsv(utf8(text), "t.csv", delimiter),
    columnTypes,
    reading,
  );
  return { ...frame, mismatches, textInNumbers };
}

function direct(
  text: string,
  delimiter = ",",
  columnTypes: Record<string, ColumnKind> = {},
  reading: CellReading = {},
) {
  return readCsvColumns(utf8(text), { file: "t.csv", delimiter, columnTypes, reading });
}

/** A reader's result, or the error it threw: the two readers must agree on both. */
function outcome<T>(read: () => T): T | { threw: string } {
  try {
    return read();
  } catch (err) {
    return { threw: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

/**
 * The typed reader gives csv-parse's table; it declines (null) only a file without data rows
 * (a one-column table of blank cells), which readTable then hands to csv-parse to refuse.
 */
function expectSameReading(fast: unknown, slow: unknown): void {
  if (fast === null) {
    expect(slow).toEqual({ threw: expect.stringMatching(/^InsufficientDataError: /) });
  } else {
    expect(fast).toEqual(slow);
  }
}

/** Cells that exercise every rule of cells.ts and the CSV quoting. */
const CELLS = [
  "1",
  "01",
  "-0.5",
  " 2 ",
  ".5",
  "1e-3",
  "1e999",
  "inf",
  "-Infinity",
  "NA",
  "NaN",
  "null",
  "",
  "  ",
  "x",
  "n/a",
  '"3,5"',
  '"-0,25"',
  '"a,b"',
  '"say ""hi"""',
  '"line\nbreak"',
  '" 7 "',
  "é",
  "?",
  "0x10",
  "true",
];

const table = fc
  .record({
    cols: fc.integer({ min: 1, max: 4 }),
    rows: fc.integer({ min: 1, max: 12 }),
    crlf: fc.boolean(),
    trailingNewline: fc.boolean(),
    blankLines: fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 3 }),
    seed: fc.array(fc.integer({ min: 0, max: CELLS.length - 1 }), {
      minLength: 48,
      maxLength: 48,
    }),
    numericBias: fc.boolean(),
  })
  .map(({ cols, rows, crlf, trailingNewline, blankLines, seed, numericBias }) => {
    const eol = crlf ? "\r\n" : "\n";
    const names = Array.from({ length: cols }, (_, c) => `c${c}`);
    const lines = [names.join(",")];
    for (let r = 0; r < rows; r++) {
      const cells = names.map((_, c) => {
        const pick = seed[(r * cols + c) % seed.length];
        // Mostly numbers in some tables, so numeric columns that turn categorical late occur.
        return numericBias && pick % 3 !== 0 ? String(pick) : CELLS[pick];
      });
      lines.push(cells.join(","));
      if (blankLines.includes(r)) lines.push(r % 2 === 0 ? "" : "   ");
    }
    return lines.join(eol) + (trailingNewline ? eol : "");
  });

describe("readCsvColumns: the same table as csv-parse + buildFrame", () => {
  it("for generated files with every kind of cell, quoting, CRLF and blank lines", () => {
    fc.assert(
      fc.property(table, (text) => {
        expectSameReading(
          outcome(() => direct(text)),
          outcome(() => viaStrings(text)),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("with declared kinds and a widened reading", () => {
    fc.assert(
      fc.property(table, (text) => {
        const types: Record<string, ColumnKind> = { c0: "numeric", c1: "categorical" };
        const reading: CellReading = { missing: ["?", "n/a"], decimal: "," };
        expectSameReading(
          outcome(() => direct(text, ",", types, reading)),
          outcome(() => viaStrings(text, ",", types, reading)),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("keeps the text as written of numbers before the first text of a column", () => {
    const text = "a,b\n01,1\n2,2\nx,3\nNA,4\n";
    const fast = direct(text);
    expect(fast?.columns[0]).toEqual({
      kind: "categorical",
      name: "a",
      codes: Int32Array.from([0, 1, 2, -1]),
      levels: ["01", "2", "x"],
    });
    expect(fast).toEqual(viaStrings(text));
  });

  it("reads a column of only infinities and missing values as categories, as before", () => {
    const text = "a,b\ninf,1\nNA,2\n-inf,3\n";
    expect(direct(text)).toEqual(viaStrings(text));
    expect(direct(text)?.columns[0].kind).toBe("categorical");
  });

  it("reads other one-byte delimiters", () => {
    const text = 'a;b\n1;"x;y"\n2;z\n';
    expect(direct(text, ";")).toEqual(viaStrings(text, ";"));
  });

  it.each([
    ["a bare CR line ending", "a,b\r1,2\r"],
    ["mixed line endings", "a,b\n1,2\r\n3,4\n"],
    ["a quote inside an unquoted field", 'a,b\n1,x"y\n'],
    ["a character after a closing quote", 'a,b\n1,"x"y\n'],
    ["an unterminated quote", 'a,b\n1,"x\n'],
    ["a ragged row", "a,b\n1,2\n3\n"],
    ["a row with an extra field", "a,b\n1,2,3\n"],
    ["a duplicate header", "a,a\n1,2\n"],
    ["a header without rows", "a,b\n"],
    ["an empty file", "  \n"],
    ["invalid UTF-8", "a,b\n1,\xff\n"],
  ])("declines %s, so the csv-parse reading answers (or names the problem)", (_, text) => {
    const bytes = text.includes("\xff")
      ? Uint8Array.from(text, (ch) => ch.charCodeAt(0))
      : utf8(text);
    expect(
      readCsvColumns(bytes, { file: "t.csv", delimiter: ",", columnTypes: {}, reading: {} }),
    ).toBeNull();
  });

  it("declines a multi-character delimiter", () => {
    expect(direct("a||b\n1||2\n", "||")).toBeNull();
  });

  it("is what readTable answers for CSV, and readTable still names a ragged row", async () => {
    const text = "a,b\n1,x\n2,y\n";
    const read = await readTable(utf8(text), { file: "t.csv", format: "csv" });
    expect(read).toEqual(direct(text));
    await expect(
      readTable(utf8("a,b\n1,2\n3\n"), { file: "t.csv", format: "csv" }),
    ).rejects.toThrow(/row 2 \(line 3\) has 1 fields but the header has 2/);
  });
});

describe("readParquetColumns", () => {
  it("gives the table the row-wise reader and buildFrame give", async () => {
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: "x", data: Float64Array.from([1.5, 2, Number.NaN, 4]), type: "DOUBLE" },
          { name: "s", data: ["01", "2", "x", null], type: "STRING" },
          { name: "t", data: ["1", "2", "NA", "3"], type: "STRING" },
          { name: "b", data: [true, false, null, true], type: "BOOLEAN" },
        ],
      }),
    );
    const options = { file: "t.parquet", columnTypes: {}, reading: {} };
    const typed = await readParquetColumns(bytes, options);
    const { frame, mismatches, textInNumbers } = buildFrame(await readParquet(bytes, "t.parquet"));
    expect(typed).toEqual({ ...frame, mismatches, textInNumbers });
    expect(typed.columns.map((c) => c.kind)).toEqual([
      "numeric",
      "categorical",
      "numeric",
      "categorical",
    ]);
  });
});

describe("table file", () => {
  it("round-trips a table with its mismatches, and refuses another reading", async () => {
    const read = await readTable(utf8("a,b,c\n1,x,inf\n2,,3\n,y,4\n"), {
      file: "t.csv",
      format: "csv",
      columnTypes: { c: "numeric" },
    });
    const bytes = encodeTable(read, "reading-1");
    expect(decodeTable(bytes, "reading-1", "t.table")).toEqual(read);
    expect(decodeTable(bytes, "reading-2", "t.table")).toBeNull();
    // A copy at an odd offset is still readable (views need aligned memory).
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(decodeTable(shifted.subarray(3), "reading-1", "t.table")).toEqual(read);
    expect(() => decodeTable(bytes.subarray(0, bytes.length - 8), "reading-1", "t.table")).toThrow(
      /t\.table is corrupt \(truncated\)/,
    );
  });
});

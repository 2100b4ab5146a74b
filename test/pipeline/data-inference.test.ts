/**
 * Type inference that tells: a numeric column with a few text cells, or with decimal commas,
 * is warned about with the fix (`source.missing`, `source.decimal`, `features.numeric`); a
 * wrong delimiter is named; whitespace-only lines are blank lines; rows without a target can
 * be dropped (`preprocessing.dropMissingTarget`).
 */
import { describe, expect, it } from "vitest";
import { readCell } from "../../pipeline/data/cells.ts";
import { readCsv } from "../../pipeline/data/read-csv.ts";
import { readTable } from "../../pipeline/data/read-table.ts";
import { assertValid, validateData } from "../../pipeline/data/validate.ts";
import { DataFormatError, MissingColumnError, TargetError } from "../../pipeline/errors.ts";
import { dropMissingTarget } from "../../pipeline/features/drop-missing-target.ts";
import { readModelRows } from "../../pipeline/model/schema.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** 12 rows: hp numeric except the given cells, label alternating. */
function table(hp: (i: number) => string, sep = ",") {
  const rows = Array.from({ length: 12 }, (_, i) => [hp(i), String(i % 3), i % 2 ? "a" : "b"]);
  return [["hp", "w", "label"], ...rows].map((r) => r.join(sep)).join("\n");
}

async function validated(text: string, reading = {}, extra = {}) {
  const read = await readTable(bytes(text), { file: "cars.csv", format: "csv", reading });
  return {
    read,
    report: validateData(read, {
      file: "cars.csv",
      task: "classification",
      target: "label",
      mismatches: read.mismatches,
      textInNumbers: read.textInNumbers,
      ...extra,
    }),
  };
}

describe("a numeric column with a few text cells", () => {
  it("is warned about, naming the column, the count, examples and both fixes", async () => {
    const { read, report } = await validated(
      table((i) => (i === 3 || i === 8 ? "n/a" : `${90 + i}`)),
    );
    expect(read.columns[0].kind).toBe("categorical");
    const w = report.warnings.find((x) => x.code === "numbers_with_text");
    expect(w?.column).toBe("hp");
    expect(w?.message).toContain('column "hp" is numeric except 2 cells of text');
    expect(w?.message).toContain('"n/a" (row 4)');
    expect(w?.message).toContain("source.missing: [n/a]");
    expect(w?.message).toContain("features.numeric");
    expect(report.errors).toEqual([]);
  });

  it("reads as numeric with source.missing, and warns no more", async () => {
    const { read, report } = await validated(
      table((i) => (i === 3 ? " n/a " : `${90 + i}`)),
      { missing: ["n/a"] },
    );
    expect(read.columns[0].kind).toBe("numeric");
    expect(Number.isNaN((read.columns[0] as { values: Float64Array }).values[3])).toBe(true);
    expect(report.warnings.map((w) => w.code)).not.toContain("numbers_with_text");
  });

  it("is not warned about when the texts are real categories", async () => {
    const codes = ["A1", "B2", "C3", "D4", "E5", "F6", "1", "2", "3", "4", "5", "6"];
    const { report } = await validated(table((i) => codes[i]));
    expect(report.warnings.map((w) => w.code)).not.toContain("numbers_with_text");
  });
});

describe("decimal commas", () => {
  it("are detected and named with source.decimal", async () => {
    const { report } = await validated(table((i) => `"${i},5"`));
    const w = report.warnings.find((x) => x.code === "decimal_comma");
    expect(w?.column).toBe("hp");
    expect(w?.message).toContain('source.decimal: ","');
  });

  it('read "3,5" as 3.5 with source.decimal: ","', async () => {
    const { read, report } = await validated(
      table((i) => `"${i},5"`),
      { decimal: "," },
    );
    expect(read.columns[0].kind).toBe("numeric");
    expect((read.columns[0] as { values: Float64Array }).values[3]).toBe(3.5);
    expect(report.warnings).toEqual([]);
  });

  it("in a column pinned numeric, the type mismatch names source.decimal", async () => {
    const read = await readTable(bytes(table((i) => (i === 2 ? '"2,5"' : `${i}`))), {
      file: "cars.csv",
      format: "csv",
      columnTypes: { hp: "numeric" },
    });
    const report = validateData(read, {
      file: "cars.csv",
      task: "classification",
      target: "label",
      mismatches: read.mismatches,
    });
    expect(report.errors[0].message).toContain('source.decimal: ","');
  });

  it("the same reading is used when the bundle scores rows", () => {
    const schema = {
      task: "regression" as const,
      target: "y",
      classes: null,
      features: { numeric: ["hp"], categorical: ["c"] },
      reading: { missing: ["n/a"], decimal: "," as const },
    };
    expect(
      readModelRows(schema, [
        { hp: " 3,5 ", c: "n/a" },
        { hp: "n/a", c: "x" },
      ]),
    ).toEqual([
      { hp: 3.5, c: null },
      { hp: null, c: "x" },
    ]);
    expect(() => readModelRows(schema, [{ hp: "3.5", c: "x" }])).toThrow(/3,5/);
    expect(readCell("3,5").kind).toBe("text");
  });
});

describe("the delimiter", () => {
  it("a semicolon file read with commas names source.delimiter", async () => {
    const { report } = await validated(table((i) => `${i}`, ";"));
    expect(() => assertValid(report)).toThrow(MissingColumnError);
    expect(report.errors[0].message).toContain('set source.delimiter: ";"');
  });

  it("a semicolon file with decimal commas (ragged rows) names source.delimiter", () => {
    const text = "hp;w;label\n1,5;2;a\n2,5;3;b\n";
    let error: unknown;
    try {
      readCsv(bytes(text), "cars.csv");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DataFormatError);
    expect((error as Error).message).toContain('set source.delimiter: ";"');
  });

  it("a file that fits the delimiter gets no hint", () => {
    expect(() => readCsv(bytes("a,b\n1,2,3\n"), "x.csv")).toThrow(/^(?!.*source\.delimiter).*$/s);
  });
});

describe("whitespace-only lines", () => {
  it.each([
    ["a last line of spaces", "a,b\n1,2\n3,4\n   "],
    ["a last line of tabs with a newline", "a,b\n1,2\n3,4\n\t \n"],
    ["a whitespace line in the middle", "a,b\n1,2\n  \n3,4\n"],
    ["CRLF and a blank-ish line", "a,b\r\n1,2\r\n \r\n3,4\r\n"],
  ])("are skipped like blank lines: %s", (_, text) => {
    const t = readCsv(bytes(text), "x.csv");
    expect(t.rowCount).toBe(2);
    expect(t.columns).toEqual([
      ["1", "3"],
      ["2", "4"],
    ]);
  });
});

describe("preprocessing.dropMissingTarget", () => {
  const text = table((i) => `${i}`).replace(/\n(\d+,\d+),a/, "\n$1,");

  it("default: a missing target is an error that names the option", async () => {
    const { report } = await validated(text);
    expect(() => assertValid(report)).toThrow(TargetError);
    expect(report.errors[0].message).toContain("preprocessing.dropMissingTarget: true");
  });

  it("true: a warning counting the rows, no error, and the rows are dropped", async () => {
    const { read, report } = await validated(text, {}, { dropMissingTarget: true });
    expect(report.errors).toEqual([]);
    const w = report.warnings.find((x) => x.code === "missing_target_dropped");
    expect(w?.message).toContain("missing in 1 row (first: row 2)");
    const kept = dropMissingTarget(read, "label");
    expect(kept.removed).toBe(1);
    expect(kept.frame.rowCount).toBe(11);
  });

  it("counts too few rows after dropping", async () => {
    const few = table((i) => `${i}`).replace(/,a\n/g, ",\n");
    const { report } = await validated(few, {}, { dropMissingTarget: true });
    expect(report.errors.map((e) => e.code)).toContain("too_few_rows");
  });
});

describe("spec options", () => {
  const base = "name: p\nsource:\n  uri: d.csv\ntarget: y\ntask: regression\n";

  it("default to no extra missing tokens, a decimal point and keeping the error", () => {
    const spec = parseSpec(base, { file: "p.yaml" });
    expect(spec.source).toMatchObject({ missing: [], decimal: "." });
    expect(spec.preprocessing.dropMissingTarget).toBe(false);
  });

  it("take source.missing, source.decimal and preprocessing.dropMissingTarget", () => {
    const spec = parseSpec(
      base.replace("uri: d.csv", 'uri: d.csv\n  missing: ["n/a", "?"]\n  decimal: ","') +
        "preprocessing:\n  dropMissingTarget: true\n",
      { file: "p.yaml" },
    );
    expect(spec.source).toMatchObject({ missing: ["n/a", "?"], decimal: "," });
    expect(spec.preprocessing.dropMissingTarget).toBe(true);
  });

  it("refuse another decimal mark", () => {
    expect(() =>
      parseSpec(base.replace("uri: d.csv", 'uri: d.csv\n  decimal: ";"'), { file: "p.yaml" }),
    ).toThrow(/source\.decimal/);
  });
});

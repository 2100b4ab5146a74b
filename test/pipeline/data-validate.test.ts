import { describe, expect, it } from "vitest";
import type { Frame } from "../../pipeline/data/frame.ts";
import { type ReadTableOptions, readTable } from "../../pipeline/data/read-table.ts";
import {
  assertValid,
  type ValidateOptions,
  type ValidationReport,
  validateData,
} from "../../pipeline/data/validate.ts";
import {
  InsufficientDataError,
  MissingColumnError,
  type OrchardError,
  TargetError,
  TypeMismatchError,
} from "../../pipeline/errors.ts";

const FILE = "d.csv";

/** 12 clean rows: unique id, numeric x, categorical c, two balanced classes in y. */
function cleanRows(n = 12): string[] {
  return Array.from({ length: n }, (_, i) => `k${i},${i},${"pqr"[i % 3]},${i % 2 ? "a" : "b"}`);
}

function csvText(rows: string[], header = "id,x,c,y"): string {
  return `${header}\n${rows.join("\n")}\n`;
}

async function check(
  text: string,
  options: Partial<ValidateOptions> = {},
  read: Partial<ReadTableOptions> = {},
): Promise<ValidationReport> {
  const t = await readTable(new TextEncoder().encode(text), { file: FILE, format: "csv", ...read });
  return validateData(t, {
    file: FILE,
    target: "y",
    task: "classification",
    id: "id",
    mismatches: t.mismatches,
    ...options,
  });
}

function thrown(report: ValidationReport): OrchardError {
  try {
    assertValid(report);
  } catch (err) {
    return err as OrchardError;
  }
  throw new Error("expected assertValid to throw");
}

function replaceRow(rows: string[], index: number, row: string): string[] {
  return rows.map((r, i) => (i === index ? row : r));
}

describe("validateData: clean data", () => {
  it("reports no errors or warnings and passes assertValid", async () => {
    const report = await check(csvText(cleanRows()));
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(() => assertValid(report)).not.toThrow();
    expect(report.rows).toBe(12);
    expect(report.classCounts).toEqual({ a: 6, b: 6 });
  });

  it("profiles every column with kind, role, missing share and distinct count", async () => {
    const report = await check(csvText(cleanRows()), { features: { drop: ["c"] } });
    expect(report.columns.map((c) => [c.name, c.kind, c.role, c.missingShare, c.distinct])).toEqual(
      [
        ["id", "categorical", "id", 0, 12],
        ["x", "numeric", "feature", 0, 12],
        ["c", "categorical", "dropped", 0, 3],
        ["y", "categorical", "target", 0, 2],
      ],
    );
  });

  it("gives numeric min, max, mean and sample standard deviation, skipping missing values", async () => {
    const report = await check("v,y\n1,a\n2,b\nNA,a\n3,b\n4,a\n", { id: null, minRows: 1 });
    const v = report.columns.find((c) => c.name === "v");
    expect(v?.missing).toBe(1);
    expect(v?.missingShare).toBeCloseTo(0.2);
    expect(v?.stats?.min).toBe(1);
    expect(v?.stats?.max).toBe(4);
    expect(v?.stats?.mean).toBeCloseTo(2.5);
    expect(v?.stats?.std).toBeCloseTo(Math.sqrt(5 / 3));
  });

  it("is JSON-serializable without loss", async () => {
    const report = await check(csvText(replaceRow(cleanRows(), 2, "k2,NA,p,a")));
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it("accepts a numeric classification target and counts its classes", async () => {
    const rows = cleanRows().map((r, i) => r.replace(/,[ab]$/, `,${i % 2}`));
    const report = await check(csvText(rows));
    expect(report.errors).toEqual([]);
    expect(report.classCounts).toEqual({ "0": 6, "1": 6 });
  });
});

describe("validateData: errors", () => {
  const rows = cleanRows();
  it.each<[string, () => Promise<ValidationReport>, string, typeof OrchardError, string, object]>([
    [
      "missing_column (target, with did-you-mean)",
      () => check(csvText(rows, "id,x,c,species"), { target: "specie" }),
      "missing_column",
      MissingColumnError,
      'column "specie" (target) is not in the data. Did you mean "species"? Columns: id, x, c, species.',
      { column: "specie" },
    ],
    [
      "missing_column (id)",
      () => check(csvText(rows), { id: "uid" }),
      "missing_column",
      MissingColumnError,
      'column "uid" (id) is not in the data.',
      { column: "uid" },
    ],
    [
      "missing_column (declared feature)",
      () => check(csvText(rows), { features: { categorical: ["colour"] } }),
      "missing_column",
      MissingColumnError,
      'column "colour" (features.categorical) is not in the data.',
      { column: "colour" },
    ],
    [
      "too_few_rows",
      () => check(csvText(cleanRows(6))),
      "too_few_rows",
      InsufficientDataError,
      "has 6 data rows; at least 10 are needed",
      {},
    ],
    [
      "missing_target",
      () => check(csvText(replaceRow(replaceRow(rows, 4, "k4,4,r,"), 7, "k7,7,p,NA"))),
      "missing_target",
      TargetError,
      'target "y" is missing in 2 rows (first: row 5)',
      { row: 5, column: "y" },
    ],
    [
      "single_class",
      () => check(csvText(rows.map((r) => r.replace(/,[ab]$/, ",a")))),
      "single_class",
      TargetError,
      'target "y" has a single class "a"',
      { column: "y" },
    ],
    [
      "rare_class",
      () => check(csvText(replaceRow(rows, 9, "k9,9,p,c"))),
      "rare_class",
      TargetError,
      'classes with fewer than 2 rows: "c" (1 row, first row 10)',
      { row: 10, column: "y" },
    ],
    [
      "constant_target (regression)",
      () => check(csvText(rows.map((r) => r.replace(/,[ab]$/, ",3.5"))), { task: "regression" }),
      "constant_target",
      TargetError,
      'target "y" has the same value 3.5 in every row',
      { column: "y" },
    ],
    [
      "target_not_numeric (regression)",
      () =>
        check(csvText(rows.map((r, i) => r.replace(/,[ab]$/, i === 3 ? ",n/a" : `,${i}`))), {
          task: "regression",
        }),
      "target_not_numeric",
      TargetError,
      'target "y" is not numeric (row 4 has "n/a")',
      { row: 4, column: "y" },
    ],
    [
      "type_mismatch (declared numeric)",
      () =>
        check(csvText(replaceRow(rows, 2, "k2,two,r,b")), {}, { columnTypes: { x: "numeric" } }),
      "type_mismatch",
      TypeMismatchError,
      'column "x" has 1 value that is not a finite number (row 3: "two")',
      { row: 3, column: "x" },
    ],
    [
      "type_mismatch (infinity)",
      () => check(csvText(replaceRow(rows, 0, "k0,inf,p,b"))),
      "type_mismatch",
      TypeMismatchError,
      '(row 1: "inf")',
      { row: 1, column: "x" },
    ],
  ])("%s", async (_, run, code, ErrorClass, fragment, location) => {
    const report = await run();
    expect(report.errors.map((e) => e.code)).toEqual([code]);
    expect(report.errors[0].message).toContain(fragment);
    const err = thrown(report);
    expect(err).toBeInstanceOf(ErrorClass);
    expect(err.message).toContain(`${FILE}: `);
    expect(err.location).toEqual({ file: FILE, ...location });
  });

  it("hints at the delimiter when the file reads as a single column", async () => {
    const report = await check("id;x;y\nk1;1;a\n", { minRows: 1 });
    expect(report.errors[0].message).toContain('set source.delimiter: ";"');
  });

  it("ignores type mismatches in dropped columns", async () => {
    const text = csvText(replaceRow(rows, 2, "k2,two,r,b"));
    const report = await check(
      text,
      { features: { drop: ["x"] } },
      { columnTypes: { x: "numeric" } },
    );
    expect(report.errors).toEqual([]);
    expect(report.typeMismatches.map((m) => m.column)).toEqual(["x"]);
  });

  it("throws the first error and lists the others in the message", async () => {
    const report = await check(csvText(cleanRows(3)), { target: "label" });
    expect(report.errors.map((e) => e.code)).toEqual(["missing_column", "too_few_rows"]);
    const err = thrown(report);
    expect(err).toBeInstanceOf(MissingColumnError);
    expect(err.message).toContain("Also:\n  - d.csv: has 3 data rows");
  });
});

describe("validateData: warnings", () => {
  const rows = cleanRows();
  it.each<[string, () => Promise<ValidationReport>, string, string]>([
    [
      "constant_column",
      () => check(csvText(rows.map((r) => r.replace(/,[pqr],/, ",p,")))),
      "constant_column",
      'column "c" has a single value in every row',
    ],
    [
      "high_missing_share",
      () => check(csvText(rows.map((r, i) => (i < 7 ? r.replace(/,[pqr],/, ",,") : r)))),
      "high_missing_share",
      'column "c" is 58% missing (7 of 12 rows)',
    ],
    [
      "duplicate_rows",
      () => check(csvText([...rows, rows[2], rows[2]]), { id: null }),
      "duplicate_rows",
      "2 rows repeat an earlier row exactly (first: row 13 repeats row 3)",
    ],
    [
      "duplicate_ids",
      () => check(csvText(replaceRow(rows, 8, "k1,80,p,a"))),
      "duplicate_ids",
      'id column "id" repeats 1 value (first: "k1" in rows 2 and 9)',
    ],
    [
      "dropped_column_absent",
      () => check(csvText(rows), { features: { drop: ["cc"] } }),
      "dropped_column_absent",
      'column "cc" in features.drop is not in the data. Did you mean "c"?',
    ],
  ])("%s", async (_, run, code, fragment) => {
    const report = await run();
    expect(report.errors).toEqual([]);
    expect(report.warnings.map((w) => w.code)).toEqual([code]);
    expect(report.warnings[0].message).toContain(fragment);
    expect(() => assertValid(report)).not.toThrow();
  });

  it("counts duplicate rows and lists constant columns in the report", async () => {
    const report = await check(csvText([...rows, rows[0]].map((r) => r.replace(/,[pqr],/, ",p,"))));
    expect(report.duplicateRows).toBe(1);
    expect(report.constantColumns).toEqual(["c"]);
  });
});

describe("validateData: frames built in memory", () => {
  it("accepts any Frame, not only one from readTable", () => {
    const frame: Frame = {
      rowCount: 2,
      columns: [
        { kind: "numeric", name: "x", values: new Float64Array([1, 2]) },
        { kind: "categorical", name: "y", codes: new Int32Array([0, 1]), levels: ["a", "b"] },
      ],
    };
    const report = validateData(frame, {
      file: "mem",
      target: "y",
      task: "classification",
      minRows: 2,
      minClassRows: 1,
    });
    expect(report.errors).toEqual([]);
  });
});

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { cellValue, getColumn } from "../../pipeline/data/frame.ts";
import { columnTypesForSpec, inferSchema } from "../../pipeline/data/infer-schema.ts";
import { readTable } from "../../pipeline/data/read-table.ts";
import { assertValid, validateData } from "../../pipeline/data/validate.ts";
import { MissingColumnError, TypeMismatchError } from "../../pipeline/errors.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";
import { resolveSourceUri } from "../../pipeline/spec/source-uri.ts";

const text = "id,age,zip,city,year,y\n1,30,01234,Oslo,2020,0\n2,41,05678,Bergen,2021,1\n";

async function frame(columnTypes = {}) {
  return readTable(new TextEncoder().encode(text), { file: "t.csv", format: "csv", columnTypes });
}

describe("inferSchema", () => {
  it("makes every column but the target and id a feature of its inferred kind", async () => {
    expect(inferSchema(await frame(), { target: "y", id: "id" })).toEqual({
      target: "y",
      id: "id",
      numeric: ["age", "zip", "year"],
      categorical: ["city"],
      dropped: [],
    });
  });

  it("honours drop and pinned kinds when the table was read with the spec's column types", async () => {
    const spec = {
      task: "classification" as const,
      target: "y",
      id: "id",
      features: { categorical: ["zip"], drop: ["year"] },
    };
    const schema = inferSchema(await frame(columnTypesForSpec(spec)), spec);
    expect(schema).toEqual({
      target: "y",
      id: "id",
      numeric: ["age"],
      categorical: ["zip", "city"],
      dropped: ["year"],
    });
  });

  it("rejects a pinned column that was read with another kind", async () => {
    const options = { file: "t.csv", target: "y", features: { categorical: ["zip"] } };
    const f = await frame();
    expect(() => inferSchema(f, options)).toThrow(TypeMismatchError);
    expect(() => inferSchema(f, options)).toThrow('column "zip" is declared categorical');
  });

  it.each([
    [{ target: "label" }, '"label" (target)'],
    [{ target: "y", id: "key" }, '"key" (id)'],
    [
      { target: "y", features: { numeric: ["agee"] } },
      '"agee" (features.numeric) is not in the data. Did you mean "age"?',
    ],
  ])("rejects an absent required column %j", async (options, fragment) => {
    const f = await frame();
    expect(() => inferSchema(f, { file: "t.csv", ...options })).toThrow(MissingColumnError);
    expect(() => inferSchema(f, { file: "t.csv", ...options })).toThrow(fragment);
  });
});

describe("columnTypesForSpec", () => {
  it.each([
    ["classification", { a: "numeric", b: "categorical", k: "categorical", y: "categorical" }],
    ["regression", { a: "numeric", b: "categorical", k: "categorical" }],
  ] as const)("declares pinned features, the id and (for %s) the target", (task, expected) => {
    const types = columnTypesForSpec({
      task,
      target: "y",
      id: "k",
      features: { numeric: ["a"], categorical: ["b"], drop: ["c"] },
    });
    expect(types).toEqual(expected);
  });

  it("reads numeric-looking class labels and codes as categories", async () => {
    const t = await frame(
      columnTypesForSpec({
        task: "classification",
        target: "y",
        features: { categorical: ["zip"] },
      }),
    );
    const zip = getColumn(t, "zip");
    const y = getColumn(t, "y");
    expect(zip && cellValue(zip, 0)).toBe("01234");
    expect(y?.kind).toBe("categorical");
  });
});

describe("spec to validated schema", () => {
  it("reads, validates and resolves the fixture spec's data end to end", async () => {
    const specFile = fileURLToPath(new URL("../fixtures/specs/penguins.yaml", import.meta.url));
    const spec = parseSpec(readFileSync(specFile, "utf8"), { file: specFile });
    const source = resolveSourceUri(spec.source.uri, specFile);
    if (source.scheme !== "file") throw new Error("expected a file source");
    const table = await readTable(readFileSync(source.path), {
      file: spec.source.uri,
      format: spec.source.format,
      delimiter: spec.source.delimiter,
      columnTypes: columnTypesForSpec(spec),
    });
    const report = validateData(table, {
      file: spec.source.uri,
      ...spec,
      mismatches: table.mismatches,
    });
    expect(report.errors).toEqual([]);
    expect(() => assertValid(report)).not.toThrow();
    expect(report.classCounts).toEqual({ Adelie: 6, Chinstrap: 5, Gentoo: 5 });
    expect(inferSchema(table, spec)).toEqual({
      target: "species",
      id: "penguin_id",
      numeric: ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"],
      categorical: ["island", "sex"],
      dropped: ["year"],
    });
  });
});

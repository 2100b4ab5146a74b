import { describe, expect, it } from "vitest";
import type { RawTable } from "../../pipeline/data/build-frame.ts";
import { MissingColumnError, MissingValueError, TypeMismatchError } from "../../pipeline/errors.ts";
import { computeFeatureRecords } from "../../pipeline/feature-store/compute.ts";
import { parseView } from "../../pipeline/feature-store/parse-view.ts";

const VIEW = parseView(
  `name: spend
owner: team-a
entities: [customer]
timestamp: at
source: { uri: spend.csv }
ttl: 30d
features:
  - name: amount
  - name: amount_sum_3d
    column: amount
    aggregate: sum
    window: 3d
  - name: amount_mean_3d
    column: amount
    aggregate: mean
    window: 3d
  - name: amount_min_3d
    column: amount
    aggregate: min
    window: 3d
  - name: amount_max_3d
    column: amount
    aggregate: max
    window: 3d
  - name: amount_count_3d
    column: amount
    aggregate: count
    window: 3d
`,
  { file: "features/spend.yaml" },
);

function table(rows: [unknown, unknown, unknown][]): RawTable {
  return {
    names: ["customer", "at", "amount"],
    columns: [0, 1, 2].map((c) => rows.map((r) => r[c] as string | number | null)),
    rowCount: rows.length,
  };
}

describe("computeFeatureRecords", () => {
  it("aggregates per entity over (t - window, t], as of each row, hand-computed", () => {
    const records = computeFeatureRecords(
      VIEW,
      table([
        ["c1", "2024-01-01", "10"],
        ["c2", "2024-01-01", "100"],
        ["c1", "2024-01-02", "4"],
        ["c1", "2024-01-04", "NA"],
        ["c1", "2024-01-04T00:00:00Z", "1"],
        ["c1", "2024-01-05", "20"],
      ]),
      "spend.csv",
    );
    const c1 = records.filter((r) => r.entityKey === "c1");
    expect(c1.map((r) => r.values)).toEqual([
      // 01-01: {10}
      {
        amount: 10,
        amount_sum_3d: 10,
        amount_mean_3d: 10,
        amount_min_3d: 10,
        amount_max_3d: 10,
        amount_count_3d: 1,
      },
      // 01-02: {10, 4}
      {
        amount: 4,
        amount_sum_3d: 14,
        amount_mean_3d: 7,
        amount_min_3d: 4,
        amount_max_3d: 10,
        amount_count_3d: 2,
      },
      // 01-04 (both rows at the same time see each other; 01-01 is exactly 3 days back: out): {4, NA, 1}
      {
        amount: null,
        amount_sum_3d: 5,
        amount_mean_3d: 2.5,
        amount_min_3d: 1,
        amount_max_3d: 4,
        amount_count_3d: 2,
      },
      {
        amount: 1,
        amount_sum_3d: 5,
        amount_mean_3d: 2.5,
        amount_min_3d: 1,
        amount_max_3d: 4,
        amount_count_3d: 2,
      },
      // 01-05: {NA, 1, 20} (01-02 is 3 days back: out)
      {
        amount: 20,
        amount_sum_3d: 21,
        amount_mean_3d: 10.5,
        amount_min_3d: 1,
        amount_max_3d: 20,
        amount_count_3d: 2,
      },
    ]);
    expect(records.find((r) => r.entityKey === "c2")?.values.amount_sum_3d).toBe(100);
    expect(records.map((r) => r.entityKey)).toEqual(["c1", "c1", "c1", "c1", "c1", "c2"]);
    expect(c1[0].entities).toEqual({ customer: "c1" });
  });

  it("reads keys with the one cell reader: 7, 7.0 and ' 7 ' are one entity", () => {
    const records = computeFeatureRecords(
      VIEW,
      table([
        [7, "2024-01-01", 1],
        ["7.0", "2024-01-02", 2],
        [" 7 ", "2024-01-03", 3],
      ]),
      "spend.csv",
    );
    expect(new Set(records.map((r) => r.entityKey))).toEqual(new Set(["7"]));
    expect(records[2].values.amount_sum_3d).toBe(6);
  });

  it("names the row of a missing key or an unreadable time, and a missing column", () => {
    expect(() => computeFeatureRecords(VIEW, table([["", "2024-01-01", 1]]), "s.csv")).toThrow(
      MissingValueError,
    );
    expect(() => computeFeatureRecords(VIEW, table([["c", "01/02/2024", 1]]), "s.csv")).toThrow(
      /s\.csv, row 1: the event time "01\/02\/2024" in "at" is not an ISO-8601/,
    );
    const wrong: RawTable = {
      names: ["customer", "at", "amout"],
      columns: [["c"], ["2024-01-01"], [1]],
      rowCount: 1,
    };
    expect(() => computeFeatureRecords(VIEW, wrong, "s.csv")).toThrow(MissingColumnError);
    expect(() => computeFeatureRecords(VIEW, wrong, "s.csv")).toThrow(/Did you mean "amout"/);
  });

  it("refuses a numeric aggregate of a text column", () => {
    expect(() =>
      computeFeatureRecords(VIEW, table([["c", "2024-01-01", "lots"]]), "s.csv"),
    ).toThrow(TypeMismatchError);
  });
});

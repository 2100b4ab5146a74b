/**
 * Derived expressions in feature views: the spec's expression language, checked when the view
 * is parsed and when its source is read, and computed by the same evaluator per record.
 */
import { describe, expect, it } from "vitest";
import type { RawTable } from "../../pipeline/data/build-frame.ts";
import { compileDerived } from "../../pipeline/derived/derived.ts";
import { MissingColumnError, SpecError, TypeMismatchError } from "../../pipeline/errors.ts";
import { computeFeatureRecords } from "../../pipeline/feature-store/compute.ts";
import { parseView } from "../../pipeline/feature-store/parse-view.ts";

const view = (features: string) =>
  parseView(
    `name: spend
owner: team-a
entities: [customer]
timestamp: at
source: { uri: spend.csv }
ttl: 30d
features:
${features}`,
    { file: "features/spend.yaml" },
  );

const WINDOW = `  - name: amount_sum_3d
    column: amount
    aggregate: sum
    window: 3d
`;

const TABLE: RawTable = {
  names: ["customer", "at", "amount", "channel"],
  columns: [
    ["c1", "c1", "c2"],
    ["2024-03-01", "2024-03-02T10:00:00Z", "2024-03-03"],
    ["10", "0", "4"],
    ["web", "shop", null],
  ],
  rowCount: 3,
};

function parseError(features: string): string {
  try {
    view(features);
  } catch (err) {
    if (err instanceof SpecError) return err.message;
    throw err;
  }
  throw new Error("expected a SpecError");
}

describe("derived features of a view", () => {
  it("computes each record's expressions from its row and the view's other features", () => {
    const v = view(`${WINDOW}  - name: share
    expression: ratio(amount, amount_sum_3d)
  - name: weekday
    expression: weekday(at)
  - name: channel_size
    expression: cross(channel, bin(amount, [5]))
`);
    const records = computeFeatureRecords(v, TABLE, "spend.csv");
    expect(records.map((r) => r.values)).toEqual([
      { amount_sum_3d: 10, share: 1, weekday: 4, channel_size: "web|>=5" },
      { amount_sum_3d: 10, share: 0, weekday: 5, channel_size: "shop|<5" },
      { amount_sum_3d: 4, share: 1, weekday: 6, channel_size: null },
    ]);
    // The same evaluator as a pipeline's features.derived.
    const same = compileDerived([{ name: "share", expression: "ratio(amount, amount_sum_3d)" }]);
    const row: Record<string, unknown> = { amount: 0, amount_sum_3d: 10 };
    expect(same.apply(row).share).toBe(records[1].values.share);
  });

  it("reports a bad expression at its YAML path when the view is parsed", () => {
    expect(parseError("  - name: x\n    expression: log(amount\n")).toMatch(
      /spend\.yaml:9 features\[0\]\.expression: expected "\)"/,
    );
    expect(
      parseError(`${WINDOW}  - name: x\n    expression: cross(amount_sum_3d, amount)\n`),
    ).toContain('features[1].expression: cross takes categories; "amount_sum_3d" is a number');
    expect(parseError("  - name: x\n    column: amount\n    expression: amount * 2\n")).toContain(
      "features[0].column: is not used with an expression",
    );
  });

  it("names an unknown source column with did-you-mean, and a type error, when the source is read", () => {
    expect(() =>
      computeFeatureRecords(view("  - name: x\n    expression: amout * 2\n"), TABLE, "spend.csv"),
    ).toThrow(MissingColumnError);
    expect(() =>
      computeFeatureRecords(view("  - name: x\n    expression: amout * 2\n"), TABLE, "spend.csv"),
    ).toThrow(
      '(features[0].expression): column "amout" is not in the data. Did you mean "amount"?',
    );
    expect(() =>
      computeFeatureRecords(
        view("  - name: x\n    expression: log(channel)\n"),
        TABLE,
        "spend.csv",
      ),
    ).toThrow(TypeMismatchError);
  });
});

import { describe, expect, it } from "vitest";
import { SpecError } from "../../pipeline/errors.ts";
import { parseView } from "../../pipeline/feature-store/parse-view.ts";

const VALID = `name: stock_stats
description: Monthly price statistics per symbol
owner: team-markets
tags: { domain: markets }
entities: [symbol]
timestamp: date
source: { uri: stocks.csv }
ttl: 62d
features:
  - name: price
  - name: price_mean_90d
    column: price
    aggregate: mean
    window: 90d
  - name: months_seen_1y
    column: price
    aggregate: count
    window: 52w
`;

function problem(yaml: string): string {
  try {
    parseView(yaml, { file: "features/v.yaml" });
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as Error).message;
  }
  throw new Error("the view parsed");
}

describe("parseView", () => {
  it("reads a valid view with defaults filled in", () => {
    const view = parseView(VALID, { file: "features/stock_stats.yaml" });
    expect(view).toMatchObject({
      name: "stock_stats",
      owner: "team-markets",
      tags: { domain: "markets" },
      entities: ["symbol"],
      timestamp: "date",
      ttl: "62d",
      ttlMs: 62 * 86_400_000,
      source: { uri: "stocks.csv", format: "csv", delimiter: ",", missing: [], decimal: "." },
    });
    expect(view.features).toEqual([
      { kind: "column", name: "price", column: "price" },
      {
        kind: "window",
        name: "price_mean_90d",
        column: "price",
        aggregate: "mean",
        window: "90d",
        windowMs: 90 * 86_400_000,
      },
      {
        kind: "window",
        name: "months_seen_1y",
        column: "price",
        aggregate: "count",
        window: "52w",
        windowMs: 52 * 604_800_000,
      },
    ]);
  });

  it("names an unknown key with its line, its YAML path and a did-you-mean", () => {
    const msg = problem(VALID.replace("ttl: 62d", "ttl: 62d\ntimestmp: date"));
    expect(msg).toContain(
      'features/v.yaml:9 timestmp: unknown key "timestmp". Did you mean "timestamp"?',
    );
  });

  it("reports a bad key inside a feature at its path", () => {
    const msg = problem(VALID.replace("    aggregate: mean", "    agregate: mean"));
    expect(msg).toContain(
      'features[1].agregate: unknown key "agregate". Did you mean "aggregate"?',
    );
  });

  it.each([
    ["window: 90d", "window: 90 days", 'features[1].window: found "90 days"; allowed: a duration'],
    [
      "aggregate: mean",
      "aggregate: median",
      'features[1].aggregate: found "median"; allowed: one of count, sum, mean, min, max',
    ],
    ["ttl: 62d", "ttl: forever", 'ttl: found "forever"'],
    ["name: stock_stats", "name: Stock-Stats", 'name: found "Stock-Stats"'],
  ])("refuses %s written as %s", (from, to, expected) => {
    expect(problem(VALID.replace(from, to))).toContain(expected);
  });

  it("needs a window with an aggregate and an aggregate with a window", () => {
    const msg = problem(
      VALID.replace("    window: 90d\n", "").replace(
        "  - name: price\n",
        "  - name: price\n    window: 7d\n",
      ),
    );
    expect(msg).toContain("2 problems in the feature view");
    expect(msg).toContain("features[0].window: is only used with an aggregate");
    expect(msg).toContain("features[1].aggregate: mean needs a window");
  });

  it("refuses duplicate names, a join key as a feature and the event time as a feature", () => {
    const msg = problem(
      VALID.replace(
        "  - name: price\n",
        "  - name: price\n  - name: price\n  - name: symbol\n  - name: d\n    column: date\n",
      ),
    );
    expect(msg).toContain('features[1].name: "price" is already the name of features[0]');
    expect(msg).toContain('features[2].name: "symbol" is a join key');
    expect(msg).toContain('features[3].column: "date" is the event-time column');
  });

  it("lists every missing required field", () => {
    const msg = problem("name: v\n");
    for (const key of ["owner", "entities", "timestamp", "source", "ttl", "features"]) {
      expect(msg).toContain(`${key}: is required`);
    }
  });

  it("refuses text that is not a mapping and YAML that does not parse", () => {
    expect(problem("- a\n- b\n")).toContain("must be a YAML mapping");
    expect(problem("name: [unclosed\n")).toContain("is not valid YAML");
  });
});

import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { readTable } from "../../pipeline/data/read-table.ts";
import { inferSpec } from "../../pipeline/spec/infer-spec.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";

const frameOf = (csv: string) =>
  readTable(new TextEncoder().encode(csv), { file: "t.csv", format: "csv" });

function table(header: string, row: (i: number) => string, rows = 30): string {
  return `${header}\n${Array.from({ length: rows }, (_, i) => row(i)).join("\n")}\n`;
}

describe("inferSpec", () => {
  it.each([
    ["a text target", (i: number) => `${i},${i % 2 ? "yes" : "no"}`, "classification"],
    ["a few integer classes", (i: number) => `${i},${i % 3}`, "classification"],
    ["many integers", (i: number) => `${i},${i * 7}`, "regression"],
    ["fractions", (i: number) => `${i},${i / 3}`, "regression"],
  ])("infers the task from %s", async (_, row, task) => {
    const inferred = inferSpec(await frameOf(table("x,y", row)), {
      name: "t",
      target: "y",
      sourceUri: "t.csv",
    });
    expect(inferred.task).toBe(task);
  });

  it("finds an id and a time column, keeps kinds, drops free text, and parses", async () => {
    const csv = table("order_id,created_at,amount,region,comment,label", (i) =>
      [
        `o${i}`,
        `2024-02-${String((i % 28) + 1).padStart(2, "0")}`,
        i * 1.5,
        ["a", "b"][i % 2],
        `note ${i}`,
        i % 2 ? "ok" : "bad",
      ].join(","),
    );
    const inferred = inferSpec(await frameOf(csv), {
      name: "orders",
      target: "label",
      sourceUri: "orders.csv",
    });
    expect(inferred).toMatchObject({
      task: "classification",
      id: "order_id",
      timeColumn: "created_at",
      numeric: ["amount"],
      categorical: ["region"],
      dropped: ["comment"],
    });
    const spec = parseSpec(stringify(inferred.spec), { file: "orders/pipeline.yaml" });
    expect(spec.split).toMatchObject({ strategy: "time", timeColumn: "created_at" });
    expect(spec.features.drop).toEqual(["comment"]);
  });

  it("takes no id when a column named like one repeats values", async () => {
    const csv = table("customer_id,v,y", (i) => `c${i % 5},${i},${i % 2}`);
    const inferred = inferSpec(await frameOf(csv), { name: "t", target: "y", sourceUri: "t.csv" });
    expect(inferred.id).toBeNull();
    expect(inferred.categorical).toContain("customer_id");
  });
});

import { describe, expect, it } from "vitest";
import { markChampion, metricColumns, modelsTable } from "../../cli/models.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";
import type { ModelVersion } from "../../pipeline/store.ts";

function spec(task: "classification" | "regression", extra = "") {
  return parseSpec(`name: demo\nsource:\n  uri: d.csv\ntarget: y\ntask: ${task}\n${extra}`, {
    file: "demo.yaml",
  });
}

function version(sequence: number, metrics: Record<string, number>, seed = 7): ModelVersion {
  return {
    pipeline: "demo",
    version: `v${sequence}`,
    sequence,
    registeredAt: `2025-01-0${sequence}T10:00:00.500Z`,
    promotions: [],
    modelUri: `s3://orchard-artifacts/demo/models/${sequence}.orchard-model`,
    metrics,
    params: { trees: 10 },
    status: sequence === 1 ? "approved" : "rejected",
    lineage: {
      dataSha256: `${String(sequence).repeat(12)}${"f".repeat(52)}`,
      specSha256: "0".repeat(64),
      seed,
      orchardVersion: "0.1.0",
      createdAt: `2025-01-0${sequence}T09:59:59.123Z`,
    },
  };
}

const CLASSIFICATION = { accuracy: 0.9, f1_macro: 0.85, log_loss: 0.3, recall_macro: 0.8 };

describe("markChampion", () => {
  it("orders newest first by sequence, whatever order it is given", () => {
    const listing = markChampion([version(1, {}), version(3, {}), version(2, {})], null);
    expect(listing.map((v) => v.version)).toEqual(["v3", "v2", "v1"]);
  });

  it.each([
    ["v2", [false, true, false]],
    [null, [false, false, false]],
  ])("marks exactly the champion %s", (champion, marks) => {
    const listing = markChampion([version(1, {}), version(2, {}), version(3, {})], champion);
    expect(listing.map((v) => v.champion)).toEqual(marks);
  });

  it("keeps every registry field, so --json carries all metrics and the full lineage", () => {
    const record = version(1, CLASSIFICATION);
    const [listed] = markChampion([record], "v1");
    expect(listed).toEqual({ ...record, champion: true });
  });
});

describe("metricColumns", () => {
  it("puts the gate metric first, then the task's usual metrics a version has", () => {
    const listing = markChampion([version(1, CLASSIFICATION)], "v1");
    expect(metricColumns(spec("classification", "gate:\n  metric: log_loss\n"), listing)).toEqual([
      "log_loss",
      "accuracy",
      "f1_macro",
    ]);
  });

  it("shows regression metrics for a regression pipeline", () => {
    const listing = markChampion([version(1, { rmse: 2, mae: 1.5, r2: 0.7 })], null);
    expect(metricColumns(spec("regression", "search:\n  metric: r2\n"), listing)).toEqual([
      "r2",
      "rmse",
      "mae",
    ]);
  });
});

describe("modelsTable", () => {
  it("says there is nothing yet and how to train, for an empty registry", () => {
    const text = modelsTable(spec("classification"), [], "demo.yaml");
    expect(text).toBe(
      'No model versions for pipeline "demo" yet; run "orchard run demo.yaml" to train one.\n',
    );
  });

  it("prints one line per version, newest first, with a * on the champion only", () => {
    const listing = markChampion([version(1, CLASSIFICATION), version(2, CLASSIFICATION)], "v1");
    const lines = modelsTable(spec("classification"), listing, "demo.yaml").trimEnd().split("\n");
    expect(lines[0]).toContain("champion: v1");
    const rows = lines.slice(3);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^ {3}v2 {7}rejected/);
    expect(rows[1]).toMatch(/^\* {2}v1 {7}approved/);
  });

  it("shows a version a canary rolled back as rolled-back, columns still aligned", () => {
    const rolled: ModelVersion = {
      ...version(2, CLASSIFICATION),
      status: "rolled-back",
      canary: { outcome: "rolled-back", at: "2025-01-02T11:00:00.000Z", reason: "5xx" },
    };
    const listing = markChampion([version(1, CLASSIFICATION), rolled], "v1");
    const lines = modelsTable(spec("classification"), listing, "demo.yaml").trimEnd().split("\n");
    const rows = lines.slice(3);
    expect(rows[0].split(/\s+/).slice(1, 3)).toEqual(["v2", "rolled-back"]);
    expect(rows[0].indexOf("0.")).toBe(rows[1].indexOf("0."));
  });

  it("shows metrics to 4 decimals, the data hash prefix, seed and creation time", () => {
    const listing = markChampion([version(1, CLASSIFICATION, 123)], "v1");
    const gateF1 = spec("classification", "gate:\n  metric: f1_macro\n");
    const row = modelsTable(gateF1, listing, "demo.yaml").trimEnd().split("\n")[3];
    const cells = row.split(/\s+/);
    expect(cells).toEqual([
      "*",
      "v1",
      "approved",
      "0.8500",
      "0.9000",
      "0.3000",
      "111111111111",
      "123",
      "2025-01-01T09:59:59Z",
    ]);
  });

  it("shows - for a metric one version lacks", () => {
    const listing = markChampion(
      [version(1, CLASSIFICATION), version(2, { f1_macro: 0.5, accuracy: 0.6 })],
      "v1",
    );
    const lines = modelsTable(spec("classification"), listing, "demo.yaml").split("\n");
    const column = lines[2].trim().split(/\s+/).indexOf("log_loss");
    // v2's line starts with an empty champion cell: its cells are one to the right.
    expect(lines[3].split(/\s+/)[column + 1]).toBe("-");
    expect(lines[4].split(/\s+/)[column + 1]).toBe("0.3000");
  });
});

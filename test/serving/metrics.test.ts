/** The CloudWatch embedded metric format line of one predict request. */
import { describe, expect, it } from "vitest";
import { emfRecord, METRIC_NAMESPACE } from "../../pipeline/serving/metrics.ts";

const at = new Date("2026-03-01T12:00:00.000Z");

type Directive = {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit: string }[];
};

function directive(record: Record<string, unknown>): Directive {
  return (record._aws as { CloudWatchMetrics: Directive[] }).CloudWatchMetrics[0];
}

describe("EMF record", () => {
  it("declares every metric it carries, with a value on the record (the EMF contract)", () => {
    const record = emfRecord(
      {
        pipeline: "sizes",
        modelVersion: "v3",
        status: 200,
        latencyMs: 1.23456,
        rows: 3,
        predictions: [
          { prediction: "big", probabilities: { big: 0.9, small: 0.1, medium: 0 } },
          { prediction: "big", probabilities: { big: 0.8, small: 0.2, medium: 0 } },
          { prediction: "small", probabilities: { big: 0.1, small: 0.9, medium: 0 } },
        ],
      },
      at,
    );
    const d = directive(record);
    expect(d.Namespace).toBe(METRIC_NAMESPACE);
    expect((record._aws as { Timestamp: number }).Timestamp).toBe(at.getTime());
    for (const dims of d.Dimensions)
      for (const name of dims) expect(record[name]).toBeTypeOf("string");
    for (const m of d.Metrics) expect(record[m.Name]).toBeDefined();
    expect(record).toMatchObject({
      Pipeline: "sizes",
      ModelVersion: "v3",
      Latency: 1.235,
      Rows: 3,
      ClientErrors: 0,
      ServerErrors: 0,
      Predicted_big: 2,
      Predicted_small: 1,
      Predicted_medium: 0,
    });
    expect(d.Dimensions).toEqual([["Pipeline"], ["Pipeline", "ModelVersion"]]);
  });

  it("carries regression predictions as a value array of at most 100", () => {
    const predictions = Array.from({ length: 150 }, (_, i) => ({ prediction: i }));
    const record = emfRecord(
      { pipeline: "p", modelVersion: "v1", status: 200, latencyMs: 1, rows: 150, predictions },
      at,
    );
    expect(record.Prediction).toHaveLength(100);
    expect(directive(record).Metrics).toContainEqual({ Name: "Prediction", Unit: "None" });
  });

  it.each([
    [400, 1, 0],
    [413, 1, 0],
    [503, 0, 1],
    [500, 0, 1],
  ])("status %i counts as client error %i, server error %i", (status, client, server) => {
    const record = emfRecord({ pipeline: "p", status, latencyMs: 0.5, rows: 0 }, at);
    expect([record.ClientErrors, record.ServerErrors]).toEqual([client, server]);
    expect(directive(record).Dimensions).toEqual([["Pipeline"]]);
  });
});

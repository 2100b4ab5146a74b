import { afterEach, describe, expect, it, vi } from "vitest";
import { emfRecord, emitDriftMetrics, emitModelMetrics } from "../../lambdas/io/emf.ts";
import type { DriftOutput } from "../../pipeline/steps/types.ts";

const drift: DriftOutput = {
  reportUri: "s3://a/d.json",
  baselineUri: "s3://a/b.json",
  champion: "v1",
  maxPsi: 0.31,
  threshold: 0.2,
  drifted: true,
  driftedFeatures: ["x", "y"],
  retrain: true,
  reason: "drift",
};

afterEach(() => vi.unstubAllEnvs());

describe("embedded metric format", () => {
  it("declares the metrics under namespace Orchard with the Pipeline dimension", () => {
    expect(
      emfRecord(
        "p",
        [
          { name: "accuracy", value: 0.9 },
          { name: "n", value: 3, unit: "Count" },
        ],
        1000,
      ),
    ).toEqual({
      _aws: {
        Timestamp: 1000,
        CloudWatchMetrics: [
          {
            Namespace: "Orchard",
            Dimensions: [["Pipeline"]],
            Metrics: [
              { Name: "accuracy", Unit: "None" },
              { Name: "n", Unit: "Count" },
            ],
          },
        ],
      },
      Pipeline: "p",
      accuracy: 0.9,
      n: 3,
    });
  });

  it("leaves out values CloudWatch cannot store", () => {
    const record = emfRecord(
      "p",
      [
        { name: "a", value: Number.NaN },
        { name: "b", value: 1 },
      ],
      0,
    ) as Record<string, unknown>;
    expect(record.a).toBeUndefined();
    expect(record.b).toBe(1);
  });

  it("writes one line per drift comparison with MaxPSI and DriftedFeatures", () => {
    vi.stubEnv("ORCHARD_LOG_LEVEL", "info");
    const lines: string[] = [];
    emitDriftMetrics("p", drift, (l) => lines.push(l));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ MaxPSI: 0.31, DriftedFeatures: 2, Pipeline: "p" });
  });

  it("writes the model's metrics, and nothing when logs are silenced (orchard run)", () => {
    const lines: string[] = [];
    vi.stubEnv("ORCHARD_LOG_LEVEL", "info");
    emitModelMetrics("p", { accuracy: 0.97, log_loss: 0.1 }, (l) => lines.push(l));
    vi.stubEnv("ORCHARD_LOG_LEVEL", "silent");
    emitModelMetrics("p", { accuracy: 0.97 }, (l) => lines.push(l));
    expect(lines.map((l) => JSON.parse(l).accuracy)).toEqual([0.97]);
  });
});

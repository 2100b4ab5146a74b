/**
 * The Monitor's join and verdict: labels join captures by request id or entity id, the latest
 * label wins and repeats are counted, metrics per version are pipeline/metrics' own, and the
 * alarm fires only with enough labels and a live gate metric past the bound.
 */
import { describe, expect, it } from "vitest";
import { computeMetrics } from "../../pipeline/metrics/compute.ts";
import type { CaptureRecord } from "../../pipeline/monitor/capture.ts";
import { type LabelRecord, latestLabels, readFeedbackBody } from "../../pipeline/monitor/labels.ts";
import { coolDownLeft, monitor } from "../../pipeline/monitor/monitor.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";

const NOW = new Date("2026-12-03T12:00:00Z");

function spec(extra = "") {
  return parseSpec(
    `name: sizes\nsource: { uri: data.csv }\ntarget: size\ntask: classification\nid: customer\n${extra}`,
    { file: "spec.yaml" },
  );
}

function capture(
  requestId: string,
  prediction: string,
  modelVersion = "v1",
  at = "2026-12-03T10:00:00.000Z",
  id?: string,
): CaptureRecord {
  return {
    requestId,
    at,
    pipeline: "sizes",
    modelVersion,
    source: "serve",
    ...(id ? { id } : {}),
    inputs: { x: 1 },
    prediction,
    probabilities: prediction === "big" ? { big: 0.8, small: 0.2 } : { big: 0.3, small: 0.7 },
  };
}

const label = (requestId: string, value: string, at = "2026-12-03T11:00:00.000Z"): LabelRecord => ({
  requestId,
  label: value,
  at,
});

describe("labels", () => {
  it("keeps the latest label per prediction whatever the arrival order, and counts repeats", () => {
    const latest = latestLabels([
      label("a", "big", "2026-12-03T11:00:00Z"),
      label("a", "small", "2026-12-03T11:30:00Z"),
      label("a", "big", "2026-12-03T11:10:00Z"), // late: older than the one kept
      { id: "c1", label: "small", at: "2026-12-03T11:00:00Z" },
    ]);
    expect(latest.byRequestId.get("a")?.label).toBe("small");
    expect(latest.byId.get("c1")?.label).toBe("small");
    expect(latest.duplicates).toBe(2);
    expect(latest.received).toBe(4);
  });

  it("reads a label without at as received now", () => {
    const [l] = readFeedbackBody({ id: 42, label: 3.5 }, NOW);
    expect(l).toEqual({ id: "42", label: 3.5, at: NOW.toISOString() });
  });
});

describe("monitor", () => {
  const captures = [
    capture("a", "big"),
    capture("b", "big"),
    capture("c", "small"),
    capture("d", "small", "v1", "2026-12-03T10:00:00.000Z", "c9"),
    capture("e", "big", "v2"),
    capture("old", "big", "v1", "2026-11-01T00:00:00.000Z"), // outside the 168 h window
  ];
  const labels = [
    label("a", "big"),
    label("b", "small"),
    label("b", "small", "2026-12-03T11:05:00.000Z"),
    label("c", "small"),
    { id: "c9", label: "big", at: "2026-12-03T10:30:00.000Z" },
    label("e", "big"),
    label("nobody", "big"),
  ];

  it("joins by request id and by id, per version, with pipeline/metrics' numbers", () => {
    const report = monitor({
      spec: spec("monitor: { minLabels: 2 }"),
      captures,
      labels,
      champion: { version: "v1", metrics: { accuracy: 0.9 } },
      now: NOW,
    });
    expect(report.captured).toBe(5);
    expect(report.labeled).toBe(5);
    expect(report.duplicateLabels).toBe(1);
    expect(report.unmatchedLabels).toBe(1);
    const v1 = report.versions.find((v) => v.version === "v1");
    expect(v1).toMatchObject({ captured: 4, labeled: 4, coverage: 1 });
    // a: big/big, b: big/small, c: small/small, d: small/big → classes [big, small]
    const expected = computeMetrics(
      "classification",
      Int32Array.from([0, 1, 1, 0]),
      Int32Array.from([0, 0, 1, 1]),
      Float64Array.from([0.8, 0.2, 0.8, 0.2, 0.3, 0.7, 0.3, 0.7]),
      2,
    );
    expect(v1?.metrics).toEqual(expected);
    expect(report.versions.map((v) => v.version)).toEqual(["v1", "v2"]);
    expect(report.labelDelaySeconds?.median).toBe(3600);
  });

  it("raises the alarm when the live gate metric is below the gate's minimum", () => {
    const report = monitor({
      spec: spec("gate: { minimum: 0.8 }\nmonitor: { minLabels: 4 }"),
      captures,
      labels,
      champion: { version: "v1", metrics: { accuracy: 0.95 } },
      now: NOW,
    });
    expect(report.gate).toMatchObject({
      bound: 0.8,
      boundSource: "gate",
      value: 0.5,
      verdict: "alarm",
    });
    expect(report.alarm).toBe(true);
    expect(report.gate.reason).toContain("below the gate's minimum 0.8");
  });

  it("without a gate bound, judges against the held-out value minus the tolerance", () => {
    const ok = monitor({
      spec: spec("monitor: { minLabels: 4, tolerance: 0.5 }"),
      captures,
      labels,
      champion: { version: "v1", metrics: { accuracy: 0.95 } },
      now: NOW,
    });
    expect(ok.gate).toMatchObject({ boundSource: "tolerance", verdict: "ok" });
    expect(ok.gate.bound).toBeCloseTo(0.45, 12);
    const alarm = monitor({
      spec: spec("monitor: { minLabels: 4 }"),
      captures,
      labels,
      champion: { version: "v1", metrics: { accuracy: 0.95 } },
      now: NOW,
    });
    expect(alarm.alarm).toBe(true);
  });

  it("a prediction labelled by request id and by entity id takes the later label (a duplicate)", () => {
    const report = monitor({
      spec: spec("monitor: { minLabels: 1 }"),
      captures: [capture("a", "big", "v1", "2026-12-03T10:00:00.000Z", "c1")],
      labels: [
        label("a", "small", "2026-12-03T10:30:00.000Z"),
        { id: "c1", label: "big", at: "2026-12-03T11:00:00.000Z" },
      ],
      champion: { version: "v1", metrics: { accuracy: 1 } },
      now: NOW,
    });
    expect(report.versions[0].metrics.accuracy).toBe(1);
    expect(report.duplicateLabels).toBe(1);
    expect(report.unmatchedLabels).toBe(0);
  });

  it("gives no verdict on fewer labels than minLabels", () => {
    const report = monitor({
      spec: spec("gate: { minimum: 0.8 }"),
      captures,
      labels,
      champion: { version: "v1", metrics: { accuracy: 0.95 } },
      now: NOW,
    });
    expect(report.gate.verdict).toBe("insufficient-labels");
    expect(report.alarm).toBe(false);
  });

  it("counts the cool-down in whole minutes left", () => {
    expect(coolDownLeft(null, 60, NOW)).toBe(0);
    expect(coolDownLeft("2026-12-03T11:30:00Z", 60, NOW)).toBe(30);
    expect(coolDownLeft("2026-12-03T10:00:00Z", 60, NOW)).toBe(0);
  });
});

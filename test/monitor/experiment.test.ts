/**
 * A/B tests and bandits over serving's traffic record (pipeline/monitor/experiment.ts): how a
 * gate-passing run starts one, how the Monitor judges it from labeled captures, and how serving
 * routes a request to an arm (by its request id, the same id to the same arm).
 */
import { describe, expect, it } from "vitest";
import type { CaptureRecord } from "../../pipeline/monitor/capture.ts";
import { experimentRecord, judgeExperiment } from "../../pipeline/monitor/experiment.ts";
import type { LabelRecord } from "../../pipeline/monitor/labels.ts";
import { activeArms, armAt, armPoint, type TrafficRecord } from "../../pipeline/serving/traffic.ts";
import { parseSpec } from "../../pipeline/spec/index.ts";

const specOf = (deploy: string, gate = "") =>
  parseSpec(
    `name: p\nsource: { uri: data.csv }\ntarget: y\ntask: classification\n${gate}deploy:\n${deploy}`,
    { file: "p.yaml" },
  );
const AB = specOf("  strategy: ab\n  ab: { percent: 50, minLabels: 100, maxDays: 7 }\n");
const BANDIT = specOf("  strategy: bandit\n  bandit: { challengers: 2, minShare: 0.05 }\n");
const START = new Date("2026-12-01T00:00:00Z");
const NOW = new Date("2026-12-02T00:00:00Z");

/**
 * `n` labeled predictions per arm, the arm's `rate` of them right: each capture predicts "a",
 * its label is "a" when right, else "b".
 */
function outcomes(arms: { version: string; n: number; rate: number }[]): {
  captures: CaptureRecord[];
  labels: LabelRecord[];
} {
  const captures: CaptureRecord[] = [];
  const labels: LabelRecord[] = [];
  for (const { version, n, rate } of arms) {
    for (let i = 0; i < n; i++) {
      const requestId = `${version}-${i}`;
      captures.push({
        requestId,
        at: "2026-12-01T12:00:00.000Z",
        pipeline: "p",
        modelVersion: version,
        source: "serve",
        inputs: {},
        prediction: "a",
      });
      // Spread the right ones evenly: the first `rate · n` of every run of n.
      const right = Math.floor((i + 1) * rate) > Math.floor(i * rate);
      labels.push({ requestId, label: right ? "a" : "b", at: "2026-12-01T13:00:00.000Z" });
    }
  }
  return { captures, labels };
}

const abRecord = experimentRecord(AB, "v1", "v2", null, START);

describe("starting an experiment", () => {
  it("an A/B splits champion and challenger by deploy.ab.percent", () => {
    expect(abRecord).toMatchObject({
      strategy: "ab",
      baseline: "v1",
      candidate: "v2",
      startedAt: START.toISOString(),
      arms: [
        { version: "v1", weight: 0.5 },
        { version: "v2", weight: 0.5 },
      ],
    });
  });

  it("a bandit takes each new version as an arm, the oldest challenger leaving past bandit.challengers", () => {
    const first = experimentRecord(BANDIT, "v1", "v2", null, START);
    const second = experimentRecord(BANDIT, "v1", "v3", first, NOW);
    const third = experimentRecord(BANDIT, "v1", "v4", second, NOW);
    expect(second.arms?.map((a) => a.version)).toEqual(["v1", "v2", "v3"]);
    expect(second.startedAt).toBe(START.toISOString());
    expect(third.arms?.map((a) => a.version)).toEqual(["v1", "v3", "v4"]);
    for (const r of [first, second, third]) {
      const w = r.arms?.map((a) => a.weight) ?? [];
      expect(w.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
      expect(new Set(w.map((x) => x.toFixed(9))).size).toBe(1);
    }
    // Against another champion the bandit starts afresh.
    expect(experimentRecord(BANDIT, "v5", "v6", third, NOW).arms?.map((a) => a.version)).toEqual([
      "v5",
      "v6",
    ]);
  });
});

describe("the Monitor's A/B decision", () => {
  it("promotes a challenger better with the stated confidence, with its numbers", () => {
    const { captures, labels } = outcomes([
      { version: "v1", n: 150, rate: 0.7 },
      { version: "v2", n: 150, rate: 0.9 },
    ]);
    const step = judgeExperiment(AB, abRecord, captures, labels, NOW);
    expect(step?.promote).toBe("v2");
    expect(step?.rollback).toBeNull();
    expect(step?.next?.arms).toEqual([]);
    expect(step?.report).toMatchObject({ strategy: "ab", action: "promoted", challenger: "v2" });
    expect(step?.report.decision?.pValue).toBeLessThan(0.05);
    expect(step?.report.arms.map((a) => [a.labeled, a.value])).toEqual([
      [150, 0.7],
      [150, 0.9],
    ]);
  });

  it("does not promote an equal challenger: rolled back once both arms have their labels", () => {
    const { captures, labels } = outcomes([
      { version: "v1", n: 150, rate: 0.8 },
      { version: "v2", n: 150, rate: 0.8 },
    ]);
    const step = judgeExperiment(AB, abRecord, captures, labels, NOW);
    expect(step?.promote).toBeNull();
    expect(step?.rollback).toBe("v2");
    expect(step?.report.action).toBe("rolled-back");
  });

  it("goes on while an arm is short of minLabels, and rolls back past maxDays", () => {
    const { captures, labels } = outcomes([
      { version: "v1", n: 150, rate: 0.7 },
      { version: "v2", n: 60, rate: 1 },
    ]);
    const step = judgeExperiment(AB, abRecord, captures, labels, NOW);
    expect(step?.report.action).toBe("continue");
    expect(step?.next).toBeNull();
    const late = judgeExperiment(AB, abRecord, captures, labels, new Date("2026-12-09T00:00:00Z"));
    expect(late?.report.action).toBe("rolled-back");
    expect(late?.report.reason).toMatch(/^out of time: .*past deploy\.ab\.maxDays 7/);
  });

  it("counts only the experiment's own captures: none before it started, none of other versions", () => {
    const { captures, labels } = outcomes([
      { version: "v1", n: 150, rate: 0.7 },
      { version: "v2", n: 150, rate: 0.9 },
      { version: "v0", n: 50, rate: 1 },
    ]);
    const later = { ...abRecord, startedAt: "2026-12-01T18:00:00.000Z" };
    const step = judgeExperiment(AB, later, captures, labels, NOW);
    expect(step?.report.arms.map((a) => a.captured)).toEqual([0, 0]);
    expect(step?.report.action).toBe("continue");
  });

  it("compares other metrics by bootstrap (f1_macro)", () => {
    const spec = specOf(
      "  strategy: ab\n  ab: { minLabels: 100, metric: f1_macro }\n",
      "gate: { metric: f1_macro }\n",
    );
    const record = experimentRecord(spec, "v1", "v2", null, START);
    const better = outcomes([
      { version: "v1", n: 150, rate: 0.6 },
      { version: "v2", n: 150, rate: 0.9 },
    ]);
    const step = judgeExperiment(spec, record, better.captures, better.labels, NOW);
    expect(step?.report.decision?.metric).toBe("f1_macro");
    expect(step?.report.decision?.lowerBound).toBeGreaterThan(0);
    expect(step?.promote).toBe("v2");
  });
});

describe("the Monitor's bandit update", () => {
  it("moves the weights to the arm with the better reward, every arm keeping minShare", () => {
    const start = experimentRecord(
      BANDIT,
      "v1",
      "v3",
      experimentRecord(BANDIT, "v1", "v2", null, START),
      START,
    );
    const { captures, labels } = outcomes([
      { version: "v1", n: 60, rate: 0.6 },
      { version: "v2", n: 60, rate: 0.9 },
      { version: "v3", n: 60, rate: 0.5 },
    ]);
    const step = judgeExperiment(BANDIT, start, captures, labels, NOW);
    const weights = step?.report.weights ?? [];
    expect(step?.report.action).toBe("reweighted");
    expect(weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 12);
    expect(weights[1]).toBeGreaterThan(0.8);
    for (const w of weights) expect(w).toBeGreaterThanOrEqual(0.05);
    expect(step?.next?.arms?.map((a) => [a.version, a.successes])).toEqual([
      ["v1", 36],
      ["v2", 54],
      ["v3", 30],
    ]);
    expect(step?.next?.updatedAt).toBe(NOW.toISOString());
    expect(step?.promote).toBeNull();
  });

  it("with reward: feedback, rewards come from the labels and labels without one count nothing", () => {
    const spec = specOf("  strategy: bandit\n  bandit: { reward: feedback }\n");
    const record = experimentRecord(spec, "v1", "v2", null, START);
    const { captures, labels } = outcomes([
      { version: "v1", n: 20, rate: 1 },
      { version: "v2", n: 20, rate: 1 },
    ]);
    const rewarded = labels.map((l, i) => (i < 20 ? { ...l, reward: 0.25 } : l));
    const step = judgeExperiment(spec, record, captures, rewarded, NOW);
    expect(step?.report.arms.map((a) => [a.successes, a.failures])).toEqual([
      [5, 15],
      [0, 0],
    ]);
  });
});

describe("routing a request to an arm", () => {
  const record: TrafficRecord = {
    ...experimentRecord(BANDIT, "v1", "v2", null, START),
    arms: [
      { version: "v1", weight: 0.2 },
      { version: "v2", weight: 0.8 },
    ],
  };

  it("is a function of the request id, independent of capture sampling", () => {
    const arms = activeArms(record, "v1") ?? [];
    const ids = Array.from({ length: 4000 }, (_, i) => `req-${i}`);
    const first = ids.map((id) => armAt(arms, armPoint(id)));
    expect(ids.map((id) => armAt(arms, armPoint(id)))).toEqual(first);
    const share = first.filter((i) => i === 1).length / ids.length;
    expect(share).toBeGreaterThan(0.77);
    expect(share).toBeLessThan(0.83);
  });

  it("applies only while its baseline is the champion and another arm has a share", () => {
    expect(activeArms(record, "v2")).toBeNull();
    expect(activeArms({ ...record, arms: [] }, "v1")).toBeNull();
    expect(
      activeArms(
        {
          ...record,
          arms: [
            { version: "v1", weight: 1 },
            { version: "v2", weight: 0 },
          ],
        },
        "v1",
      ),
    ).toBeNull();
    // A canary's record (no arms) is the two arms baseline and candidate.
    expect(
      activeArms(
        { pipeline: "p", baseline: "v1", candidate: "v2", weight: 0.1, startedAt: "" },
        "v1",
      ),
    ).toEqual([
      { version: "v1", weight: 0.9 },
      { version: "v2", weight: 0.1 },
    ]);
  });
});

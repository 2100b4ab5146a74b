/**
 * The canary step's pieces, without a state machine: the decision table, the prediction
 * shift, CanaryStart's traffic record, and the CloudWatch source against a mocked client.
 */
import { readFileSync } from "node:fs";
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { cloudWatchCanaryMetrics } from "../../lambdas/canary-metrics.ts";
import { decodeTraffic, trafficKey } from "../../pipeline/serving/traffic.ts";
import type { CanarySpec } from "../../pipeline/spec/types.ts";
import {
  type CanaryRunState,
  judgeCanary,
  predictionShift,
  startCanary,
  type VersionTraffic,
} from "../../pipeline/steps/canary.ts";
import type { StepDeps } from "../../pipeline/steps/types.ts";
import {
  MemoryArtifactStore,
  MemoryFeatureStore,
  MemoryModelRegistry,
} from "../../pipeline/store-memory.ts";
import { withoutSections } from "../support/spec-text.ts";

const CONFIG: CanarySpec = {
  percent: 10,
  minutes: 30,
  maxErrorRate: 0.01,
  maxShift: 0.2,
  minRequests: 100,
};
const healthy: VersionTraffic = { requests: 200, serverErrors: 0, classCounts: { a: 100, b: 100 } };
const champion: VersionTraffic = {
  requests: 1800,
  serverErrors: 1,
  classCounts: { a: 900, b: 900 },
};

describe("judgeCanary", () => {
  it.each<[string, Partial<{ candidate: VersionTraffic; alarms: string[] }>, RegExp | null]>([
    ["a healthy candidate", {}, null],
    ["a firing alarm", { alarms: ["predict-5xx"] }, /alarms firing: predict-5xx/],
    [
      "too few requests",
      { candidate: { ...healthy, requests: 99, classCounts: { a: 50, b: 49 } } },
      /99 requests, fewer than minRequests 100/,
    ],
    [
      "a 5xx rate above the limit",
      { candidate: { ...healthy, serverErrors: 3 } },
      /5xx rate 0\.015 is above maxErrorRate 0\.01/,
    ],
    ["exactly the 5xx limit", { candidate: { ...healthy, serverErrors: 2 } }, null],
    [
      "a shifted class mix",
      { candidate: { ...healthy, classCounts: { a: 160, b: 40 } } },
      /shifted 0\.3 from the champion's/,
    ],
  ])("%s", (_, seen, reason) => {
    const judged = judgeCanary(CONFIG, {
      candidate: healthy,
      baseline: champion,
      alarms: [],
      ...seen,
    });
    expect(judged.promote).toBe(reason === null);
    if (reason) expect(judged.reasons.join("; ")).toMatch(reason);
  });

  it("cannot judge the shift when the champion answered nothing", () => {
    const judged = judgeCanary(CONFIG, {
      candidate: healthy,
      baseline: { requests: 0, serverErrors: 0, classCounts: {} },
      alarms: [],
    });
    expect(judged).toMatchObject({ promote: false, shift: null });
  });
});

describe("predictionShift", () => {
  it.each([
    [{ a: 50, b: 50 }, { a: 50, b: 50 }, 0],
    [{ a: 100 }, { b: 100 }, 1],
    [{ a: 75, b: 25 }, { a: 50, b: 50 }, 0.25],
    [{ a: 10, b: 0, c: 10 }, { a: 10, b: 10 }, 0.5],
  ])("total variation between %j and %j is %d", (a, b, expected) => {
    const t = (c: Record<string, number>) => ({ requests: 1, serverErrors: 0, classCounts: c });
    expect(predictionShift(t(a), t(b))).toBeCloseTo(expected, 12);
  });

  it("is the relative change of the mean for regression", () => {
    const t = (meanPrediction: number) => ({ requests: 10, serverErrors: 0, meanPrediction });
    expect(predictionShift(t(110), t(100))).toBeCloseTo(0.1, 12);
    expect(predictionShift(t(-90), t(-100))).toBeCloseTo(0.1, 12);
  });
});

describe("CanaryStart", () => {
  // The example without its own deploy section (batch scoring), which a canary replaces.
  const yaml = withoutSections(readFileSync("examples/penguins/pipeline.yaml", "utf8"), "deploy");

  async function start(specText: string, champion: string | null, waitSeconds?: number) {
    const artifacts = new MemoryArtifactStore();
    const spec = await artifacts.putContent(
      "artifacts",
      "penguins/specs",
      new TextEncoder().encode(specText),
      "yaml",
    );
    const deps: StepDeps = {
      artifacts,
      features: new MemoryFeatureStore(),
      registry: new MemoryModelRegistry(),
      readSource: async () => new Uint8Array(),
      now: () => new Date("2026-03-01T12:00:00.000Z"),
    };
    const state = {
      run: { pipeline: "penguins", specUri: spec.uri },
      evaluate: {
        version: "v8",
        promote: true,
        reasons: [],
        metric: "f1_macro",
        value: 0.99,
        champion: champion ? { version: champion, value: 0.98, source: "rescored" } : null,
      },
    } as CanaryRunState;
    const out = await startCanary(state, deps, waitSeconds === undefined ? {} : { waitSeconds });
    return { out, artifacts };
  }

  const withCanary = `${yaml}\ndeploy:\n  canary: { percent: 15, minutes: 20 }\n`;

  it("writes the traffic record and waits the spec's minutes", async () => {
    const { out, artifacts } = await start(withCanary, "v7");
    expect(out).toEqual({
      enabled: true,
      waitSeconds: 1200,
      candidate: "v8",
      baseline: "v7",
      weight: 0.15,
      startedAt: "2026-03-01T12:00:00.000Z",
    });
    const uri = artifacts.uriFor("artifacts", trafficKey("penguins"));
    expect(decodeTraffic(await artifacts.get(uri), uri)).toMatchObject({
      baseline: "v7",
      candidate: "v8",
      weight: 0.15,
    });
  });

  it("waits the override when one is given (local runs)", async () => {
    expect((await start(withCanary, "v7", 0)).out.waitSeconds).toBe(0);
  });

  it.each([
    ["without deploy.canary", yaml, "v7", /no deploy.canary/],
    ["for the first model", withCanary, null, /no champion to compare with/],
  ])("is disabled %s, and writes no traffic record", async (_, text, champion, reason) => {
    const { out, artifacts } = await start(text, champion);
    expect(out).toMatchObject({
      enabled: false,
      waitSeconds: 0,
      reason: expect.stringMatching(reason),
    });
    expect(await artifacts.exists(artifacts.uriFor("artifacts", trafficKey("penguins")))).toBe(
      false,
    );
  });
});

describe("CloudWatch canary metrics", () => {
  const window = {
    since: new Date("2026-03-01T12:00:00Z"),
    until: new Date("2026-03-01T12:30:00Z"),
    classes: ["Adelie", "Gentoo"],
  };

  it("sums the version's EMF metrics over the window", async () => {
    const cw = mockClient(CloudWatchClient);
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: "requests", Values: [120, 80] },
        { Id: "errors", Values: [1, 0] },
        { Id: "class0", Values: [50, 30] },
        { Id: "class1", Values: [70, 49] },
      ],
    });
    const traffic = await cloudWatchCanaryMetrics(cw as unknown as CloudWatchClient, []).traffic(
      "penguins",
      "v8",
      window,
    );
    expect(traffic).toEqual({
      requests: 200,
      serverErrors: 1,
      classCounts: { Adelie: 80, Gentoo: 119 },
    });
    const input = cw.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(input.StartTime).toEqual(window.since);
    const q = input.MetricDataQueries?.find((x) => x.Id === "class1");
    expect(q?.MetricStat?.Metric).toEqual({
      Namespace: "Orchard/Serving",
      MetricName: "Predicted_Gentoo",
      Dimensions: [
        { Name: "Pipeline", Value: "penguins" },
        { Name: "ModelVersion", Value: "v8" },
      ],
    });
    expect(q?.MetricStat?.Period).toBe(1800);
    cw.restore();
  });

  it("reports the configured alarms that are in ALARM", async () => {
    const cw = mockClient(CloudWatchClient);
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: "predict-5xx" }] });
    const m = cloudWatchCanaryMetrics(cw as unknown as CloudWatchClient, [
      "predict-5xx",
      "latency",
    ]);
    expect(await m.alarmsFiring("penguins")).toEqual(["predict-5xx"]);
    expect(cw.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toEqual({
      AlarmNames: ["predict-5xx", "latency"],
      StateValue: "ALARM",
    });
    cw.restore();
  });

  it("asks nothing when no alarm is configured", async () => {
    const cw = mockClient(CloudWatchClient);
    expect(
      await cloudWatchCanaryMetrics(cw as unknown as CloudWatchClient, []).alarmsFiring("p"),
    ).toEqual([]);
    expect(cw.calls()).toHaveLength(0);
    cw.restore();
  });
});

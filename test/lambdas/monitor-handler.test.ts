/**
 * The Monitor Lambda over the embedded S3 and DynamoDB: it reads the spec the execution input
 * names, joins the stored captures with the labels, stores its report, writes its EMF metrics
 * (`MonitorAlarm` 1 on an alarm, `RetrainStarted` 1 when it recorded a retrain) and returns
 * the verdict and the retrain decision, recording the cool-down so a second call within it
 * starts nothing. The stack's live-gate alarm math (`liveGateAlarmExpression`), evaluated over
 * those EMF records, fires on the first run and not on the second: the cool-down reaches the
 * EventBridge rule that starts the retrain.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { handler } from "../../lambdas/monitor.ts";
import { resetStepDeps } from "../../lambdas/step-handler.ts";
import { type CaptureRecord, capturePrefix } from "../../pipeline/monitor/capture.ts";
import { liveGateAlarmExpression } from "../../pipeline/monitor/metrics.ts";
import { storeLabels } from "../../pipeline/monitor/store.ts";
import { promoteBundle, trainBundle } from "../serving/fixtures.ts";
import { startTestServices, type TestServices } from "../support/local-services.ts";

let services: TestServices;
const saved: Record<string, string | undefined> = {};
let specUri: string;

beforeAll(async () => {
  services = await startTestServices();
  const env = { ...services.services.env, ORCHARD_LOG_LEVEL: "info" };
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  resetStepDeps();
  const { artifacts } = services.stores;
  await promoteBundle(services.stores, await trainBundle());
  specUri = (
    await artifacts.putContent(
      "artifacts",
      "sizes/specs",
      new TextEncoder().encode(
        "name: sizes\nsource: { uri: s.csv }\ntarget: size\ntask: classification\ngate: { minimum: 0.9 }\nmonitor: { minLabels: 4, coolDownMinutes: 60 }\n",
      ),
      "yaml",
    )
  ).uri;
  const now = new Date();
  const captures: CaptureRecord[] = ["a", "b", "c", "d"].map((id) => ({
    requestId: id,
    at: now.toISOString(),
    pipeline: "sizes",
    modelVersion: "v1",
    source: "lambda",
    inputs: { x: 9, colour: "red" },
    prediction: "big",
    probabilities: { big: 0.9, small: 0.1 },
  }));
  await artifacts.put(
    "artifacts",
    `${capturePrefix("sizes", now)}${now.getTime()}-x.jsonl`,
    new TextEncoder().encode(`${captures.map((c) => JSON.stringify(c)).join("\n")}\n`),
  );
  await storeLabels(
    artifacts,
    "sizes",
    ["a", "b", "c", "d"].map((requestId) => ({ requestId, label: "small", at: now.toISOString() })),
  );
});

afterAll(async () => {
  resetStepDeps();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await services.close();
});

describe("the Monitor Lambda", () => {
  it("raises the alarm, emits MonitorAlarm 1, and asks for a retrain once per cool-down", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    let first: Awaited<ReturnType<typeof handler>>;
    let second: Awaited<ReturnType<typeof handler>>;
    try {
      const event = { run: { pipeline: "sizes", specUri } } as Parameters<typeof handler>[0];
      first = await handler(event);
      second = await handler(event);
    } finally {
      spy.mockRestore();
    }
    expect(first).toMatchObject({ alarm: true, verdict: "alarm", retrain: { start: true } });
    expect(first.reason).toContain("live accuracy of v1 is 0 on 4 labeled predictions");
    expect(await services.stores.artifacts.exists(first.reportUri)).toBe(true);
    expect(second.retrain.start).toBe(false);
    expect(second.retrain.coolDownLeftMinutes).toBeGreaterThan(0);
    const emf = lines
      .map((l) => l.trim())
      .filter((l) => l.includes('"MonitorAlarm"'))
      .map((l) => JSON.parse(l));
    expect(emf[0]).toMatchObject({
      Pipeline: "sizes",
      MonitorAlarm: 1,
      Live_accuracy: 0,
      LiveGateBound: 0.9,
      LabeledPredictions: 4,
      RetrainStarted: 1,
    });
    expect(emf[1]).toMatchObject({ MonitorAlarm: 1, RetrainStarted: 0 });
    // Every metric the record carries is declared in its CloudWatchMetrics (or CloudWatch
    // would not extract it, and the alarm would read nothing).
    const declared = emf[0]._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name);
    expect(declared).toEqual(expect.arrayContaining(["Live_accuracy", "RetrainStarted"]));

    const alarm = liveGateAlarmExpression("accuracy", "higher", 4);
    expect(evaluateAlarm(alarm, emf[0])).toBe(1);
    expect(evaluateAlarm(alarm, emf[1])).toBe(0);
    // Fewer labels than monitor.minLabels: no alarm, whatever the live value.
    expect(evaluateAlarm(liveGateAlarmExpression("accuracy", "higher", 5), emf[0])).toBe(0);
  });
});

/**
 * The alarm's metric math over one Monitor run's EMF record (one run per period): each query
 * id reads its metric's value, `IF(a op b AND …, 1, 0)` as CloudWatch evaluates it. Only the
 * forms `liveGateAlarmExpression` builds are understood; anything else fails the test.
 */
function evaluateAlarm(
  alarm: ReturnType<typeof liveGateAlarmExpression>,
  record: Record<string, unknown>,
): number {
  const m = /^IF\((.+), 1, 0\)$/.exec(alarm.expression);
  if (!m) throw new Error(`unexpected alarm expression ${alarm.expression}`);
  const value = (token: string): number => {
    if (/^\d+(\.\d+)?$/.test(token)) return Number(token);
    const metric = alarm.metrics.find((q) => q.id === token);
    if (!metric) throw new Error(`unknown id ${token} in ${alarm.expression}`);
    const v = record[metric.metricName];
    if (typeof v !== "number") throw new Error(`the record has no ${metric.metricName}`);
    return v;
  };
  const holds = m[1].split(" AND ").every((term) => {
    const t = /^(\w+) (<|>|>=) (\S+)$/.exec(term);
    if (!t) throw new Error(`unexpected term ${term}`);
    const [a, b] = [value(t[1]), value(t[3])];
    return t[2] === "<" ? a < b : t[2] === ">" ? a > b : a >= b;
  });
  return holds ? 1 : 0;
}

/**
 * The Monitor Lambda over the embedded S3 and DynamoDB: it reads the spec the execution input
 * names, joins the stored captures with the labels, stores its report, writes its EMF metrics
 * (`MonitorAlarm` 1 on an alarm) and returns the verdict and the retrain decision, recording
 * the cool-down so a second call within it starts nothing.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { handler } from "../../lambdas/monitor.ts";
import { resetStepDeps } from "../../lambdas/step-handler.ts";
import { type CaptureRecord, capturePrefix } from "../../pipeline/monitor/capture.ts";
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
      LabeledPredictions: 4,
    });
  });
});

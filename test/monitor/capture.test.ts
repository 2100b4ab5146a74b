/**
 * Prediction capture: the request path hands each answered request to a buffer, which writes
 * JSON lines in batches (by size, by time, on close) under `<pipeline>/capture/<date>/<hour>/`,
 * samples by a stable hash of the request id, leaves out `exclude` columns, keeps failed
 * batches for the next flush within a bound; and POST /feedback takes labels.
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import { captureLogLines, captureSettingsOf } from "../../lambdas/predict.ts";
import type { ModelBundle } from "../../pipeline/model/bundle.ts";
import {
  CaptureBuffer,
  type CapturedRequest,
  type CaptureRecord,
  parseCaptureLines,
  sampled,
} from "../../pipeline/monitor/capture.ts";
import type { LabelRecord } from "../../pipeline/monitor/labels.ts";
import { handleRequest, REQUEST_ID_HEADER } from "../../pipeline/serving/handle.ts";
import { ServedModels } from "../../pipeline/serving/served-models.ts";
import { memoryServing, PIPELINE, post, trainBundle } from "../serving/fixtures.ts";

let classifier: ModelBundle;
beforeAll(async () => {
  classifier = await trainBundle("classification");
});

async function service() {
  const stores = memoryServing();
  await stores.promote(classifier);
  return new ServedModels({ pipeline: PIPELINE, ...stores, refreshMs: 0 });
}

const AT = Date.parse("2026-12-03T10:15:00Z");

function entry(requestId: string, rows: Record<string, unknown>[], at = AT): CapturedRequest {
  return {
    requestId,
    at,
    pipeline: PIPELINE,
    modelVersion: "v1",
    body: new TextEncoder().encode(JSON.stringify({ rows })),
    rows: rows.map(() => ({})),
    predictions: rows.map(() => ({ prediction: "big", probabilities: { big: 0.9, small: 0.1 } })),
  };
}

function memorySink() {
  const objects = new Map<string, CaptureRecord[]>();
  const sink = vi.fn(async (key: string, bytes: Uint8Array) => {
    objects.set(key, parseCaptureLines(bytes));
  });
  return { objects, sink };
}

const settings = {
  sampleRate: 1,
  exclude: ["email"],
  idColumn: "customer",
  source: "serve" as const,
};

describe("CaptureBuffer", () => {
  it("writes nothing on the request path, then one object per hour when flushed", async () => {
    const { objects, sink } = memorySink();
    const buffer = new CaptureBuffer({ pipeline: PIPELINE, sink, ...settings });
    buffer.add(entry("a", [{ x: 9, colour: "red", customer: "c1", email: "x@y.z" }]));
    buffer.add(entry("b", [{ x: 1 }, { x: 2, customer: 7 }], AT + 3_600_000));
    expect(sink).not.toHaveBeenCalled();
    await buffer.close();
    const keys = [...objects.keys()].sort();
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^sizes\/capture\/2026-12-03\/10\/\d+-[0-9a-f-]+\.jsonl$/);
    expect(keys[1]).toMatch(/^sizes\/capture\/2026-12-03\/11\//);
    const [first] = objects.get(keys[0]) ?? [];
    expect(first).toEqual({
      requestId: "a",
      at: "2026-12-03T10:15:00.000Z",
      pipeline: PIPELINE,
      modelVersion: "v1",
      source: "serve",
      id: "c1",
      inputs: { x: 9, colour: "red", customer: "c1" },
      prediction: "big",
      probabilities: { big: 0.9, small: 0.1 },
    });
    // Rows of a request of several rows get `<id>#<n>`.
    expect(objects.get(keys[1])?.map((r) => [r.requestId, r.id])).toEqual([
      ["b#1", undefined],
      ["b#2", "7"],
    ]);
    expect(buffer.counters).toMatchObject({ requests: 2, rows: 3, written: 3, objects: 2 });
  });

  it("flushes by itself when maxRecords rows wait, and after maxAgeMs", async () => {
    vi.useFakeTimers();
    try {
      const { objects, sink } = memorySink();
      const buffer = new CaptureBuffer({
        pipeline: PIPELINE,
        sink,
        ...settings,
        maxRecords: 3,
        maxAgeMs: 1000,
      });
      buffer.add(entry("a", [{ x: 1 }, { x: 2 }]));
      expect(sink).not.toHaveBeenCalled();
      buffer.add(entry("b", [{ x: 3 }]));
      await vi.waitFor(() => expect(sink).toHaveBeenCalledTimes(1));
      buffer.add(entry("c", [{ x: 4 }]));
      await vi.advanceTimersByTimeAsync(999);
      expect(sink).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(1);
      await vi.waitFor(() => expect(sink).toHaveBeenCalledTimes(2));
      expect([...objects.values()].map((r) => r.length)).toEqual([3, 1]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("samples by a stable hash of the request id: same id, same answer; about the rate", () => {
    const ids = Array.from({ length: 4000 }, (_, i) => `req-${i}`);
    const kept = ids.filter((id) => sampled(id, 0.25));
    expect(kept.length / ids.length).toBeGreaterThan(0.22);
    expect(kept.length / ids.length).toBeLessThan(0.28);
    expect(ids.filter((id) => sampled(id, 0.25))).toEqual(kept);
    const { sink } = memorySink();
    const buffer = new CaptureBuffer({ pipeline: PIPELINE, sink, ...settings, sampleRate: 0.25 });
    for (const id of ids) buffer.add(entry(id, [{ x: 1 }]));
    expect(buffer.counters.sampledRequests).toBe(kept.length);
  });

  it("keeps a failed batch for the next flush, and drops the oldest past maxBuffered", async () => {
    let fail = true;
    const written: CaptureRecord[] = [];
    const onError = vi.fn();
    const buffer = new CaptureBuffer({
      pipeline: PIPELINE,
      ...settings,
      maxBuffered: 2,
      onError,
      sink: async (_key, bytes) => {
        if (fail) throw new Error("S3 is down");
        written.push(...parseCaptureLines(bytes));
      },
    });
    buffer.add(entry("a", [{ x: 1 }]));
    buffer.add(entry("b", [{ x: 2 }]));
    await buffer.flush();
    expect(onError).toHaveBeenCalledTimes(1);
    buffer.add(entry("c", [{ x: 3 }]));
    await buffer.flush();
    fail = false;
    await buffer.close();
    expect(written.map((r) => r.requestId)).toEqual(["b", "c"]);
    expect(buffer.counters).toMatchObject({ dropped: 1, failedFlushes: 2, written: 2 });
  });
});

describe("handleRequest with capture", () => {
  it("hands each answered prediction over and answers with its request id", async () => {
    const captured: CapturedRequest[] = [];
    const { response } = await handleRequest(
      post({ rows: [{ x: 9, colour: "red" }] }, { "x-request-id": "order-17" }),
      await service(),
      { capture: (c) => captured.push(c) },
    );
    expect(response.status).toBe(200);
    expect(response.headers[REQUEST_ID_HEADER]).toBe("order-17");
    expect(captured).toHaveLength(1);
    expect(captured[0]).toMatchObject({
      requestId: "order-17",
      modelVersion: "v1",
      pipeline: PIPELINE,
    });
    expect(captured[0].predictions).toEqual(JSON.parse(response.body).predictions);
  });

  it("makes up an id for a missing or unsafe x-request-id; captures nothing for a refused request", async () => {
    const captured: CapturedRequest[] = [];
    const svc = await service();
    const { response } = await handleRequest(
      post({ rows: [{ x: 1, colour: "red" }] }, { "x-request-id": "<script>" }),
      svc,
      { capture: (c) => captured.push(c) },
    );
    expect(response.headers[REQUEST_ID_HEADER]).toMatch(/^[0-9a-f-]{36}$/);
    const bad = await handleRequest(post({ rows: [{ colour: "red" }] }), svc, {
      capture: (c) => captured.push(c),
    });
    expect(bad.response.status).toBe(400);
    expect(captured).toHaveLength(1);
  });

  it("answers the prediction even when capture throws", async () => {
    const { response } = await handleRequest(
      post({ rows: [{ x: 9, colour: "red" }] }),
      await service(),
      {
        capture: () => {
          throw new Error("full");
        },
      },
    );
    expect(response.status).toBe(200);
  });
});

describe("POST /feedback", () => {
  const feedbackRequest = (body: unknown) => ({ ...post(body), path: "/feedback" });

  it("stores one label or a list and answers 202 with the count", async () => {
    const stored: LabelRecord[][] = [];
    const feedback = async (labels: LabelRecord[]) => {
      stored.push(labels);
    };
    const svc = await service();
    const one = await handleRequest(
      feedbackRequest({ requestId: "order-17", label: "small", at: "2026-12-03T11:00:00Z" }),
      svc,
      { feedback },
    );
    expect(one.response.status).toBe(202);
    expect(JSON.parse(one.response.body)).toEqual({ accepted: 1 });
    const many = await handleRequest(
      feedbackRequest({
        labels: [
          { id: "c1", label: "big" },
          { requestId: "r2#2", label: "small", reward: 0.5 },
        ],
      }),
      svc,
      { feedback },
    );
    expect(JSON.parse(many.response.body)).toEqual({ accepted: 2 });
    expect(stored[0]).toEqual([
      { requestId: "order-17", label: "small", at: "2026-12-03T11:00:00.000Z" },
    ]);
    expect(stored[1][1]).toMatchObject({ requestId: "r2#2", label: "small", reward: 0.5 });
  });

  it.each([
    [{ label: "big" }, "requestId"],
    [{ requestId: "r", label: "" }, "label"],
    [{ requestId: "r", label: "big", at: "yesterday" }, "at"],
    [{ requestId: "r", label: "big", colour: "red" }, "colour"],
  ])("refuses %j with a 400 naming %s", async (body, column) => {
    const { response } = await handleRequest(feedbackRequest(body), await service(), {
      feedback: async () => {},
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).error.column).toBe(column);
  });

  it("is 501 where labels are not kept, and 405 for GET", async () => {
    const svc = await service();
    expect((await handleRequest(feedbackRequest({ id: "a", label: 1 }), svc)).response.status).toBe(
      501,
    );
    const get = await handleRequest({ ...feedbackRequest({}), method: "GET" }, svc, {
      feedback: async () => {},
    });
    expect(get.response.status).toBe(405);
  });
});

describe("the predict Lambda's capture lines", () => {
  it("reads its settings from the environment the stack sets; none: off", () => {
    expect(captureSettingsOf({})).toBeNull();
    expect(
      captureSettingsOf({
        ORCHARD_CAPTURE_SAMPLE_RATE: "0.5",
        ORCHARD_CAPTURE_EXCLUDE: "email, phone",
        ORCHARD_ID_COLUMN: "customer",
      }),
    ).toEqual({
      sampleRate: 0.5,
      exclude: ["email", "phone"],
      idColumn: "customer",
      source: "lambda",
    });
  });

  it("writes one JSON log line per row that the filter matches and the Monitor reads back", () => {
    const settings = captureSettingsOf({
      ORCHARD_CAPTURE_SAMPLE_RATE: "1",
      ORCHARD_CAPTURE_EXCLUDE: "email",
    });
    const lines = captureLogLines(entry("req", [{ x: 1, email: "a@b.c" }, { x: 2 }]), settings!);
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0])).toMatchObject({
      orchard: "capture",
      requestId: "req#1",
      source: "lambda",
    });
    const back = parseCaptureLines(new TextEncoder().encode(lines.join("")));
    expect(back.map((r) => r.requestId)).toEqual(["req#1", "req#2"]);
    expect(back[0]).not.toHaveProperty("orchard");
    expect(back[0].inputs).toEqual({ x: 1 });
  });
});

/**
 * The predict API contract, transport-free: `handleRequest` over in-memory stores answers
 * good requests with predictions in row order and every bad request with the right 4xx, a
 * named error and, for row problems, the row and column.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { ModelBundle } from "../../pipeline/model/bundle.ts";
import { type HttpRequest, handleRequest } from "../../pipeline/serving/handle.ts";
import { DEFAULT_LIMITS } from "../../pipeline/serving/limits.ts";
import { ServedModels } from "../../pipeline/serving/served-models.ts";
import { memoryServing, PIPELINE, post, trainBundle } from "./fixtures.ts";

let classifier: ModelBundle;
let regressor: ModelBundle;

beforeAll(async () => {
  classifier = await trainBundle("classification");
  regressor = await trainBundle("regression");
});

async function service(bundle: ModelBundle = classifier) {
  const stores = memoryServing();
  await stores.promote(bundle);
  return new ServedModels({ pipeline: PIPELINE, ...stores, refreshMs: 0 });
}

async function answer(request: HttpRequest, bundle?: ModelBundle) {
  const { response } = await handleRequest(request, await service(bundle));
  return { status: response.status, headers: response.headers, json: JSON.parse(response.body) };
}

const row = (x: unknown, colour: unknown = "red") => ({ x, colour });

describe("POST /predict: good requests", () => {
  it("answers every row in order, with the label and per-class probabilities", async () => {
    const r = await answer(post({ rows: [row(9), row(1), row(8.5, null), row(2, "blue")] }));
    expect(r.status).toBe(200);
    expect(r.json.modelVersion).toBe("v1");
    expect(r.json.predictions.map((p: { prediction: string }) => p.prediction)).toEqual([
      "big",
      "small",
      "big",
      "small",
    ]);
    for (const p of r.json.predictions) {
      expect(Object.keys(p.probabilities).sort()).toEqual(["big", "small"]);
      expect(p.probabilities.big + p.probabilities.small).toBeCloseTo(1, 12);
    }
  });

  it("equals the bundle's own predictions for the same rows", async () => {
    const rows = [row(3), row(7, "blue"), row(null, null)];
    const r = await answer(post({ rows }));
    expect(r.json.predictions).toEqual(JSON.parse(JSON.stringify(classifier.predict(rows))));
  });

  it("answers a regression model with values and no probabilities", async () => {
    const r = await answer(post({ rows: [row(1), row(10)] }), regressor);
    expect(r.status).toBe(200);
    expect(r.json.predictions[0]).toEqual({ prediction: expect.any(Number) });
    expect(r.json.predictions[1].prediction).toBeGreaterThan(r.json.predictions[0].prediction);
  });

  it.each([
    ["application/json; charset=utf-8"],
    ["Application/JSON"],
    ['application/json; charset="UTF-8"'],
  ])("accepts Content-Type %s", async (type) => {
    expect((await answer(post({ rows: [row(1)] }, { "content-type": type }))).status).toBe(200);
  });

  it("reads cells as training did: trimmed, missing tokens imputed, numbers written as text", async () => {
    const rows = [row("9", " red "), row(" 88 ", "NA"), row("NA", "blue"), row(" ", "null")];
    const r = await answer(post({ rows }));
    expect(r.status).toBe(200);
    const same = [row(9, "red"), row(88, null), row(null, "blue"), row(null, null)];
    expect(r.json.predictions).toEqual(JSON.parse(JSON.stringify(classifier.predict(same))));
  });

  it("ignores the columns the model does not use (the record it was trained on)", async () => {
    const r = await answer(post({ rows: [{ size: "big", id: 7, x: 9, colour: "red", note: "" }] }));
    expect(r.status).toBe(200);
    expect(r.json.predictions[0].prediction).toBe("big");
  });

  it("accepts exactly the row limit", async () => {
    const rows = Array.from({ length: DEFAULT_LIMITS.maxRows }, (_, i) => row(i % 11));
    const r = await answer(post({ rows }));
    expect(r.status).toBe(200);
    expect(r.json.predictions).toHaveLength(DEFAULT_LIMITS.maxRows);
  });
});

const big = "x".repeat(DEFAULT_LIMITS.maxBodyBytes);
const deep = `{"rows":[{"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}]}`;
const latin1 = (() => {
  const r = post("");
  r.body = Uint8Array.from([
    ...new TextEncoder().encode('{"rows":[{"x":1,"colour":"'),
    0xe9,
    0x22,
    0x7d,
    0x5d,
    0x7d,
  ]);
  return r;
})();

/** [case, request, status, error name, row, column]. */
const BAD: [string, HttpRequest, number, string, number?, string?][] = [
  [
    "no Content-Type",
    { ...post({ rows: [row(1)] }), headers: {} },
    415,
    "UnsupportedMediaTypeError",
  ],
  [
    "text/plain",
    post({ rows: [row(1)] }, { "content-type": "text/plain" }),
    415,
    "UnsupportedMediaTypeError",
  ],
  [
    "form encoding",
    post("rows=1", { "content-type": "application/x-www-form-urlencoded" }),
    415,
    "UnsupportedMediaTypeError",
  ],
  [
    "a latin-1 charset",
    post({ rows: [row(1)] }, { "content-type": "application/json; charset=latin1" }),
    415,
    "UnsupportedMediaTypeError",
  ],
  ["a body over 1 MiB", post(`{"rows":[{"x":1,"colour":"${big}"}]}`), 413, "BodyTooLargeError"],
  ["JSON nested 100,000 deep", post(deep), 400, "BadRequestError"],
  ["invalid UTF-8", latin1, 400, "BadRequestError"],
  ["an empty body", post(""), 400, "BadRequestError"],
  ["broken JSON", post('{"rows": [{"x": 1,'), 400, "BadRequestError"],
  ["a JSON array", post([row(1)]), 400, "BadRequestError"],
  ["a JSON string", post('"rows"'), 400, "BadRequestError"],
  ["no rows field", post({ data: [row(1)] }), 400, "BadRequestError"],
  ["an extra field", post({ rows: [row(1)], model: "v9" }), 400, "BadRequestError"],
  ["rows not an array", post({ rows: row(1) }), 400, "BadRequestError"],
  ["no rows", post({ rows: [] }), 400, "BadRequestError"],
  [
    "1,001 rows",
    post({ rows: Array.from({ length: 1001 }, () => row(1)) }),
    400,
    "BadRequestError",
  ],
  [
    "5,000 rows",
    post({ rows: Array.from({ length: 5000 }, () => row(1)) }),
    400,
    "BadRequestError",
  ],
  ["a row that is a number", post({ rows: [row(1), 7] }), 400, "BadRequestError", 2],
  ["a row that is an array", post({ rows: [[1, "red"]] }), 400, "BadRequestError", 1],
  ["a row that is null", post({ rows: [row(1), row(2), null] }), 400, "BadRequestError", 3],
  ["a missing column", post({ rows: [row(1), { x: 2 }] }), 400, "BadRequestError", 2, "colour"],
  ["text in a numeric column", post({ rows: [row("abc")] }), 400, "BadRequestError", 1, "x"],
  ["hex in a numeric column", post({ rows: [row("0x10")] }), 400, "BadRequestError", 1, "x"],
  ["Infinity as text", post({ rows: [row(" Infinity")] }), 400, "BadRequestError", 1, "x"],
  [
    "a number out of range",
    post('{"rows":[{"x":1e400,"colour":"red"}]}'),
    400,
    "BadRequestError",
    1,
    "x",
  ],
  ["a boolean in a numeric column", post({ rows: [row(true)] }), 400, "BadRequestError", 1, "x"],
  ["an object as a value", post({ rows: [row(1, { a: 1 })] }), 400, "BadRequestError", 1, "colour"],
  ["an array as a value", post({ rows: [row([1])] }), 400, "BadRequestError", 1, "x"],
  [
    "a misspelled column",
    post({ rows: [row(1), { x: 1, colur: "red" }] }),
    400,
    "BadRequestError",
    2,
    "colour",
  ],
  [
    "a __proto__ key",
    post('{"rows":[{"x":1,"colour":"red","__proto__":{"polluted":true}}]}'),
    400,
    "BadRequestError",
    1,
    "__proto__",
  ],
  [
    "a constructor key",
    post('{"rows":[{"x":1,"colour":"red","constructor":{"prototype":{"polluted":true}}}]}'),
    400,
    "BadRequestError",
    1,
    "constructor",
  ],
  [
    "a top-level __proto__",
    post('{"__proto__":{"polluted":true},"rows":[{"x":1,"colour":"red"}]}'),
    400,
    "BadRequestError",
  ],
  ["GET /predict", { ...post(""), method: "GET" }, 405, "MethodNotAllowedError"],
  ["PUT /predict", { ...post({ rows: [row(1)] }), method: "PUT" }, 405, "MethodNotAllowedError"],
  ["POST /health", { ...post(""), path: "/health" }, 405, "MethodNotAllowedError"],
  ["an unknown path", { ...post({ rows: [row(1)] }), path: "/admin" }, 404, "RouteNotFoundError"],
  [
    "a path traversal",
    { ...post({ rows: [row(1)] }), path: "/predict/../../etc/passwd" },
    404,
    "RouteNotFoundError",
  ],
];

describe("POST /predict: bad requests", () => {
  it.each(BAD)("%s: %i %s", async (_, request, status, name, errorRow, column) => {
    const r = await answer(request);
    expect(r.status).toBe(status);
    expect(r.json.error.name).toBe(name);
    expect(r.json.error.message.length).toBeGreaterThan(10);
    expect(r.json.error.row).toBe(errorRow);
    expect(r.json.error.column).toBe(column);
    if (errorRow !== undefined) expect(r.json.error.message).toContain(`row ${errorRow}`);
    if (column !== undefined) expect(r.json.error.message).toContain(`"${column}"`);
    expect(r.headers["content-type"]).toMatch(/^application\/json/);
  });

  it("names the allowed methods on a 405", async () => {
    const r = await answer({ ...post(""), method: "GET" });
    expect(r.headers.allow).toBe("POST");
  });

  it("suggests the close column the row did send for a missing one", async () => {
    const r = await answer(post({ rows: [{ x: 1, colur: 1 }] }));
    expect(r.json.error.message).toContain('Did you mean "colur"');
  });

  it("leaves Object.prototype untouched by __proto__ and constructor payloads", async () => {
    for (const [, request] of BAD.filter(([name]) => /proto|constructor/.test(name))) {
      await answer(request);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses a deeply nested body without parsing it, quickly", async () => {
    const body = new TextEncoder().encode("[".repeat(DEFAULT_LIMITS.maxBodyBytes - 1));
    const started = performance.now();
    const r = await answer({ ...post(""), body });
    expect(r.status).toBe(400);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it("never answers a 5xx to arbitrary bodies (property)", async () => {
    const served = await service();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ rows: [v] })),
          fc
            .array(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }), { maxLength: 5 })
            .map((rows) => JSON.stringify({ rows })),
        ),
        async (text) => {
          const { response } = await handleRequest(post(text), served);
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });

  it("answers every well-typed batch with one prediction per row (property)", async () => {
    const served = await service();
    const cell = fc.record({
      x: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null)),
      colour: fc.oneof(fc.string({ maxLength: 8 }), fc.constant(null), fc.integer(), fc.boolean()),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(cell, { minLength: 1, maxLength: 50 }), async (rows) => {
        const { response } = await handleRequest(post({ rows }), served);
        expect(response.status).toBe(200);
        expect(JSON.parse(response.body).predictions).toHaveLength(rows.length);
      }),
      { numRuns: 100, seed: 7 },
    );
  });
});

describe("GET /health and availability", () => {
  it("reports the pipeline and the champion", async () => {
    const served = await service();
    await handleRequest(post({ rows: [row(1)] }), served);
    const { response } = await handleRequest(
      { method: "GET", path: "/health", headers: {}, body: new Uint8Array() },
      served,
    );
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      status: "ok",
      pipeline: PIPELINE,
      champion: "v1",
      canary: null,
    });
  });

  it("answers 503 NoChampionError before any model was promoted", async () => {
    const stores = memoryServing();
    const served = new ServedModels({ pipeline: PIPELINE, ...stores, refreshMs: 0 });
    const { response } = await handleRequest(post({ rows: [row(1)] }), served);
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body).error.name).toBe("NoChampionError");
  });

  it("is alive on /health but not ready on /ready before any model was promoted, then ready", async () => {
    const stores = memoryServing();
    const served = new ServedModels({ pipeline: PIPELINE, ...stores, refreshMs: 0 });
    const get = (path: string) =>
      handleRequest({ method: "GET", path, headers: {}, body: new Uint8Array() }, served);
    expect((await get("/health")).response.status).toBe(200);
    const notReady = (await get("/ready")).response;
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.body)).toMatchObject({ status: "no-champion", champion: null });
    await stores.promote(classifier);
    const ready = (await get("/ready")).response;
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ status: "ready", champion: "v1" });
  });

  it("answers 503 on /health and /predict while draining", async () => {
    const served = await service();
    const draining = () => true;
    const health = await handleRequest(
      { method: "GET", path: "/health", headers: {}, body: new Uint8Array() },
      served,
      { draining },
    );
    const predict = await handleRequest(post({ rows: [row(1)] }), served, { draining });
    expect([health.response.status, predict.response.status]).toEqual([503, 503]);
  });

  it("answers 500 without internals when the model store fails", async () => {
    const stores = memoryServing();
    await stores.promote(classifier);
    stores.artifacts.get = async () => {
      throw new Error("socket hang up at 10.0.0.12:443");
    };
    const served = new ServedModels({ pipeline: PIPELINE, ...stores, refreshMs: 0 });
    const { response } = await handleRequest(post({ rows: [row(1)] }), served);
    expect(response.status).toBe(500);
    expect(response.body).not.toContain("10.0.0.12");
  });
});

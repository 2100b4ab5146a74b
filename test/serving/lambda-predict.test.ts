/**
 * The predict Lambda as a function URL calls it (payload format 2.0), against real local S3
 * and DynamoDB: the same answers as the transport-free contract, one EMF line per request on
 * stdout, a promotion picked up without a restart, and the direct `{rows}` invocation kept.
 */
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { handler, resetServedModels } from "../../lambdas/predict.ts";
import { resetStepDeps } from "../../lambdas/step-handler.ts";
import { startTestServices, type TestServices } from "../support/local-services.ts";
import { PIPELINE, promoteBundle, storeCover, trainBundle } from "./fixtures.ts";

let services: TestServices;
const saved: Record<string, string | undefined> = {};

async function register(seed: number): Promise<string> {
  return promoteBundle(services.stores, await trainBundle("classification", seed), { seed });
}

beforeAll(async () => {
  services = await startTestServices();
  const env = {
    ...services.services.env,
    ORCHARD_PIPELINE: PIPELINE,
    ORCHARD_CHAMPION_REFRESH_SECONDS: "0",
    ORCHARD_LOG_LEVEL: "silent",
  };
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  resetStepDeps();
  resetServedModels();
  await register(1);
});

afterAll(async () => {
  resetStepDeps();
  resetServedModels();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await services.close();
});

function urlEvent(
  body: string,
  options: { method?: string; path?: string; type?: string; base64?: boolean } = {},
): LambdaFunctionURLEvent {
  const method = options.method ?? "POST";
  const path = options.path ?? "/predict";
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: "",
    headers: {
      "Content-Type": options.type ?? "application/json",
      host: "abc.lambda-url.eu-west-1.on.aws",
    },
    requestContext: {
      accountId: "123456789012",
      apiId: "abc",
      domainName: "abc.lambda-url.eu-west-1.on.aws",
      domainPrefix: "abc",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "10.0.0.1", userAgent: "test" },
      requestId: "r1",
      routeKey: "$default",
      stage: "$default",
      time: "01/Mar/2026:12:00:00 +0000",
      timeEpoch: 1772366400000,
    },
    body: options.base64 ? Buffer.from(body).toString("base64") : body,
    isBase64Encoded: options.base64 ?? false,
  } as LambdaFunctionURLEvent;
}

async function call(event: LambdaFunctionURLEvent) {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const result = (await handler(event)) as APIGatewayProxyStructuredResultV2;
    return { result, json: JSON.parse(String(result.body)), emf: lines.map((l) => JSON.parse(l)) };
  } finally {
    spy.mockRestore();
  }
}

const rows = JSON.stringify({
  rows: [
    { x: 9, colour: "red" },
    { x: 1, colour: null },
  ],
});

describe("predict Lambda behind a function URL", () => {
  it("answers POST /predict with predictions in order", async () => {
    const { result, json } = await call(urlEvent(rows));
    expect(result.statusCode).toBe(200);
    expect(result.headers?.["content-type"]).toMatch(/^application\/json/);
    expect(json.predictions.map((p: { prediction: string }) => p.prediction)).toEqual([
      "big",
      "small",
    ]);
  });

  it("decodes a base64 body", async () => {
    const { result } = await call(urlEvent(rows, { base64: true }));
    expect(result.statusCode).toBe(200);
  });

  it('explains each prediction for "explain": true, and refuses a non-boolean explain', async () => {
    const champion = await services.stores.registry.getChampion(PIPELINE);
    if (!champion) throw new Error("no champion registered");
    const bundle = await trainBundle("classification", champion.lineage.seed);
    await storeCover(services.stores.artifacts, bundle, champion.modelUri);
    const body = JSON.stringify({ ...JSON.parse(rows), explain: true });
    const { result, json } = await call(urlEvent(body));
    expect(result.statusCode).toBe(200);
    expect(
      json.predictions.map((p: { explanation: { class: string } }) => p.explanation.class),
    ).toEqual(["big", "small"]);
    const bad = await call(urlEvent(JSON.stringify({ ...JSON.parse(rows), explain: "yes" })));
    expect(bad.result.statusCode).toBe(400);
    expect(bad.json.error.message).toMatch(/"explain"/);
  });

  it.each([
    ["a missing column", JSON.stringify({ rows: [{ x: 1 }] }), {}, 400, 1, "colour"],
    [
      "a wrong type",
      JSON.stringify({
        rows: [
          { x: 1, colour: "r" },
          { x: "0x7", colour: "r" },
        ],
      }),
      {},
      400,
      2,
      "x",
    ],
    ["a wrong content type", rows, { type: "text/csv" }, 415, undefined, undefined],
    ["a GET", "", { method: "GET" }, 405, undefined, undefined],
  ] as const)("answers %s with %i", async (_, body, options, status, row, column) => {
    const { result, json } = await call(urlEvent(body, options));
    expect(result.statusCode).toBe(status);
    expect(json.error.row).toBe(row);
    expect(json.error.column).toBe(column);
  });

  it("writes one EMF line per request, dimensioned by pipeline and model version", async () => {
    const { emf } = await call(urlEvent(rows));
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      Pipeline: PIPELINE,
      ModelVersion: "v1",
      Rows: 2,
      Predicted_big: 1,
      Predicted_small: 1,
      StatusCode: 200,
    });
    expect(emf[0]._aws.CloudWatchMetrics[0].Namespace).toBe("Orchard/Serving");
  });

  it("answers GET /health with the champion", async () => {
    const { result, json } = await call(urlEvent("", { method: "GET", path: "/health" }));
    expect(result.statusCode).toBe(200);
    expect(json.champion).toMatch(/^v\d+$/);
  });

  it("serves a newly promoted champion on the next request", async () => {
    const before = (await call(urlEvent(rows))).json.modelVersion;
    const promoted = await register(2);
    const after = (await call(urlEvent(rows))).json.modelVersion;
    expect(after).toBe(promoted);
    expect(after).not.toBe(before);
  });

  it("still answers a direct invocation with rows", async () => {
    const result = await handler({ rows: [{ x: 9, colour: "red" }] });
    expect(result).toMatchObject({ predictions: [{ prediction: "big" }] });
  });
});

/**
 * Serving a canary split under the deployed IAM (test/support/iam-setup.ts): the predict
 * Lambda behind its function URL and `orchard serve` read the champion, the candidate and the
 * traffic record as predict's role, and both versions answer. Without the traffic grant (the
 * review's finding: every cloud prediction failed) the refusal names predict's role.
 */
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { serve } from "../../cli/serve.ts";
import { STEP_ACCESS } from "../../infra/access/declarations.ts";
import { handler, resetServedModels } from "../../lambdas/predict.ts";
import { resetStepDeps } from "../../lambdas/step-handler.ts";
import { encodeTraffic, trafficKey } from "../../pipeline/serving/traffic.ts";
import { activeEnforcement, type Enforcement } from "../support/iam-enforcement.ts";
import { startTestServices, type TestServices } from "../support/local-services.ts";
import { PIPELINE, promoteBundle, registerBundle, trainBundle } from "./fixtures.ts";

let services: TestServices;
const saved: Record<string, string | undefined> = {};
let champion: string;
let candidate: string;
const body = JSON.stringify({ rows: [{ x: 9, colour: "red" }] });

function enforcement(): Enforcement {
  const active = activeEnforcement();
  if (!active) throw new Error("this suite runs under the IAM-enforced project (vitest.config.ts)");
  return active;
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
  // The test's own setup (what runs and the canary step would have written) is not enforced.
  champion = await promoteBundle(services.stores, await trainBundle("classification", 1));
  candidate = await registerBundle(services.stores, await trainBundle("classification", 2), {
    seed: 2,
  });
  await services.stores.artifacts.put(
    "artifacts",
    trafficKey(PIPELINE),
    encodeTraffic({
      pipeline: PIPELINE,
      baseline: champion,
      candidate,
      weight: 0.5,
      startedAt: "2026-12-01T00:00:00.000Z",
    }),
  );
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

function urlEvent(): LambdaFunctionURLEvent {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/predict",
    rawQueryString: "",
    headers: { "content-type": "application/json" },
    requestContext: { http: { method: "POST", path: "/predict" } },
    body,
    isBase64Encoded: false,
  } as unknown as LambdaFunctionURLEvent;
}

async function viaLambda(): Promise<{ status?: number; version?: string }> {
  // The handler writes an EMF line per request to stdout.
  const spy = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    const result = (await handler(urlEvent())) as APIGatewayProxyStructuredResultV2;
    const json = JSON.parse(String(result.body ?? "{}"));
    return { status: result.statusCode, version: json.modelVersion };
  } finally {
    spy.mockRestore();
  }
}

function expectServedAsPredict(iam: Enforcement): void {
  expect(iam.denied).toEqual([]);
  expect(iam.unattributed).toEqual([]);
  expect(new Set(iam.decisions.map((d) => d.role))).toEqual(new Set(["predict"]));
  expect(
    iam.decisions.some(
      (d) =>
        d.action === "s3:GetObject" &&
        d.resource === `arn:aws:s3:::orchard-artifacts/${PIPELINE}/serving/traffic.json`,
    ),
  ).toBe(true);
}

describe("a canary split served under the deployed IAM", () => {
  it("the predict Lambda (function URL) answers with both versions as predict's role", async () => {
    const iam = enforcement();
    iam.reset();
    resetServedModels();
    const versions = new Set<string | undefined>();
    for (let i = 0; i < 24; i++) {
      const r = await viaLambda();
      expect(r.status).toBe(200);
      versions.add(r.version);
    }
    expect(versions).toEqual(new Set([champion, candidate]));
    expectServedAsPredict(iam);
  });

  it("orchard serve answers with both versions as predict's role", async () => {
    const iam = enforcement();
    iam.reset();
    resetStepDeps();
    const command = await serve({ pipeline: PIPELINE, port: 0, host: "127.0.0.1", signals: [] });
    try {
      const versions = new Set<string>();
      for (let i = 0; i < 24; i++) {
        const response = await fetch(`${command.server.url}/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        expect(response.status).toBe(200);
        versions.add(((await response.json()) as { modelVersion: string }).modelVersion);
      }
      expect(versions).toEqual(new Set([champion, candidate]));
    } finally {
      await command.stop();
    }
    expectServedAsPredict(iam);
  });

  it("without the traffic grant, predict's read of the record is refused naming the role (review finding 3)", async () => {
    const iam = enforcement();
    const declared = STEP_ACCESS.predict;
    STEP_ACCESS.predict = declared.filter(
      (a) => !("prefix" in a && a.prefix.endsWith("/serving/")),
    );
    iam.reset();
    resetServedModels();
    try {
      const r = await viaLambda();
      expect(r.status).not.toBe(200);
      expect(iam.denied.map((d) => [d.role, d.action, d.resource])).toEqual([
        [
          "predict",
          "s3:GetObject",
          `arn:aws:s3:::orchard-artifacts/${PIPELINE}/serving/traffic.json`,
        ],
      ]);
    } finally {
      STEP_ACCESS.predict = declared;
      iam.reset();
      resetServedModels();
    }
  });
});

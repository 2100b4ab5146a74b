import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createStorageClients, destroyStorageClients } from "../../lambdas/io/clients.ts";
import { STORAGE_ENV } from "../../lambdas/io/env.ts";
import { tracer } from "../../lambdas/io/tracer.ts";
import { resetStepDeps, stepHandler } from "../../lambdas/step-handler.ts";

/** A stand-in for the X-Ray (sub)segments Lambda creates: records what the wrapper opens. */
function fakeSegment(name: string, log: string[]) {
  const segment = {
    name,
    errors: [] as unknown[],
    addNewSubsegment: (child: string) => {
      log.push(`open ${child}`);
      return fakeSegment(child, log);
    },
    addError: (err: unknown) => {
      segment.errors.push(err);
      log.push(`error ${name}`);
    },
    close: () => log.push(`close ${name}`),
  };
  return segment;
}

const env = {
  [STORAGE_ENV.rawBucket]: "raw",
  [STORAGE_ENV.featuresBucket]: "features",
  [STORAGE_ENV.artifactsBucket]: "artifacts",
  [STORAGE_ENV.featureTable]: "features",
  [STORAGE_ENV.registryTable]: "registry",
  [STORAGE_ENV.s3Endpoint]: "http://127.0.0.1:1",
  [STORAGE_ENV.dynamodbEndpoint]: "http://127.0.0.1:1",
  ORCHARD_LOG_LEVEL: "silent",
};

let log: string[];

/** Tracing as in Lambda: Powertools enabled, a facade segment in context. */
function tracingAsInLambda() {
  vi.spyOn(tracer, "isTracingEnabled").mockReturnValue(true);
  vi.spyOn(tracer, "getSegment").mockReturnValue(fakeSegment("facade", log) as never);
  vi.spyOn(tracer, "setSegment").mockImplementation(() => {});
}

beforeEach(() => {
  log = [];
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  resetStepDeps();
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  resetStepDeps();
});

describe("step tracing (Powertools Tracer)", () => {
  it("wraps each phase of a step in its own subsegment, in order", async () => {
    tracingAsInLambda();
    const handler = stepHandler("train", async () => {
      log.push("step body");
      return { ok: true };
    });
    await expect(handler({})).resolves.toEqual({ ok: true });
    expect(log).toEqual([
      "open ## train setup",
      "close ## train setup",
      "open ## train run",
      "step body",
      "close ## train run",
      "open ## train guard",
      "close ## train guard",
    ]);
  });

  it("records a failing step's error on its run subsegment and rethrows it", async () => {
    tracingAsInLambda();
    const handler = stepHandler("train", async () => {
      throw new RangeError("bad");
    });
    await expect(handler({})).rejects.toThrow("bad");
    expect(log).toContain("error ## train run");
    expect(log).toContain("close ## train run");
  });

  it("opens no subsegment with POWERTOOLS_TRACE_ENABLED=false (the local executor)", async () => {
    tracingAsInLambda();
    vi.stubEnv("POWERTOOLS_TRACE_ENABLED", "false");
    await stepHandler("train", async () => 1)({});
    expect(log).toEqual([]);
  });

  it("opens no subsegment outside Lambda (Powertools' own check)", async () => {
    await stepHandler("train", async () => 1)({});
    expect(tracer.isTracingEnabled()).toBe(false);
    expect(log).toEqual([]);
  });

  it("captures every S3 and DynamoDB call when tracing is on, none when off", () => {
    const names = (c: { middlewareStack: { identify(): string[] } }) =>
      c.middlewareStack.identify().join(" ");
    const config = {
      buckets: { raw: "r", features: "f", artifacts: "a" },
      featureTable: "t",
      registryTable: "g",
    };
    const off = createStorageClients(config, null);
    tracingAsInLambda();
    const on = createStorageClients(config, null);
    try {
      expect(names(off.s3)).not.toMatch(/XRaySDKInstrumentation/);
      expect(names(on.s3)).toMatch(/XRaySDKInstrumentation/);
      expect(names(on.dynamodb)).toMatch(/XRaySDKInstrumentation/);
    } finally {
      destroyStorageClients(off);
      destroyStorageClients(on);
    }
  });
});

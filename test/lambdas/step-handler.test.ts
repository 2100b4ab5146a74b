import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  PAYLOAD_GUARD_BYTES,
  PayloadTooLargeError,
  resetStepDeps,
  stepHandler,
} from "../../lambdas/step-handler.ts";

const env = {
  ORCHARD_RAW_BUCKET: "raw",
  ORCHARD_FEATURES_BUCKET: "features",
  ORCHARD_ARTIFACTS_BUCKET: "artifacts",
  ORCHARD_FEATURE_TABLE: "features",
  ORCHARD_REGISTRY_TABLE: "registry",
  ORCHARD_LOG_LEVEL: "silent",
};

beforeEach(() => {
  for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
  resetStepDeps();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe("stepHandler", () => {
  it("passes a step's result through", async () => {
    const handler = stepHandler("echo", async (event: { n: number }) => ({ doubled: event.n * 2 }));
    await expect(handler({ n: 21 })).resolves.toEqual({ doubled: 42 });
  });

  it("fails loudly, by name, before a result reaches the Step Functions payload limit", async () => {
    const handler = stepHandler("bloated", async () => ({ data: "x".repeat(PAYLOAD_GUARD_BYTES) }));
    await expect(handler({})).rejects.toThrow(PayloadTooLargeError);
    await expect(handler({})).rejects.toThrow(/bloated step returned \d+ bytes/);
  });

  it("keeps a step's own named error for Retry/Catch to match", async () => {
    class TargetError extends Error {
      override name = "TargetError";
    }
    const handler = stepHandler("validate", async () => {
      throw new TargetError("one class");
    });
    await expect(handler({})).rejects.toMatchObject({ name: "TargetError" });
  });
});

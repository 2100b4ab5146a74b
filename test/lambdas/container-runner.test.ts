import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { BUNDLE_OF, CONTAINER_STEPS } from "../../lambdas/bundles.ts";
import { CONTAINER_HANDLERS } from "../../lambdas/container-handlers.ts";
import { runContainerStep } from "../../lambdas/container-runner.ts";

const sfn = mockClient(SFNClient);
beforeEach(() => {
  sfn.reset();
  sfn.onAnyCommand().resolves({});
});

class TargetError extends Error {
  override name = "TargetError";
}

const handlers = {
  validate: async (event: never) => ({ saw: (event as { run: string }).run }),
  preprocess: async () => {
    throw new TargetError("target has one class");
  },
};

function run(env: Record<string, string>) {
  return runContainerStep({ env, sfn: new SFNClient({ region: "eu-west-1" }), handlers });
}

describe("container runner", () => {
  it("runs the step on the state and reports its result with SendTaskSuccess", async () => {
    const code = await run({
      ORCHARD_STEP: "validate",
      ORCHARD_EVENT: JSON.stringify({ run: "r1" }),
      ORCHARD_TASK_TOKEN: "tok",
    });
    expect(code).toBe(0);
    const [call] = sfn.commandCalls(SendTaskSuccessCommand);
    expect(call.args[0].input).toEqual({ taskToken: "tok", output: '{"saw":"r1"}' });
  });

  it("reports a step's error by name, so Retry/Catch match it as for Lambda", async () => {
    const code = await run({
      ORCHARD_STEP: "preprocess",
      ORCHARD_EVENT: "{}",
      ORCHARD_TASK_TOKEN: "tok",
    });
    expect(code).toBe(1);
    const [call] = sfn.commandCalls(SendTaskFailureCommand);
    expect(call.args[0].input).toMatchObject({ taskToken: "tok", error: "TargetError" });
    expect(JSON.parse(call.args[0].input.cause ?? "")).toEqual({
      errorType: "TargetError",
      errorMessage: "target has one class",
    });
  });

  it("fails the task with ConfigError for an unknown step", async () => {
    await run({ ORCHARD_STEP: "nope", ORCHARD_EVENT: "{}", ORCHARD_TASK_TOKEN: "tok" });
    const [call] = sfn.commandCalls(SendTaskFailureCommand);
    expect(call.args[0].input.error).toBe("ConfigError");
    expect(call.args[0].input.cause).toMatch(/ORCHARD_STEP is \\"nope\\"/);
  });

  it("sends SendTaskHeartbeat while the step runs, and stops when it has reported", async () => {
    const slow = async () => {
      await new Promise((resolve) => setTimeout(resolve, 60));
      return { done: true };
    };
    const code = await runContainerStep({
      env: { ORCHARD_STEP: "validate", ORCHARD_EVENT: "{}", ORCHARD_TASK_TOKEN: "tok" },
      sfn: new SFNClient({ region: "eu-west-1" }),
      handlers: { validate: slow },
      heartbeatIntervalMs: 10,
    });
    expect(code).toBe(0);
    const beats = sfn.commandCalls(SendTaskHeartbeatCommand);
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats[0].args[0].input).toEqual({ taskToken: "tok" });
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(sfn.commandCalls(SendTaskHeartbeatCommand)).toHaveLength(beats.length);
  });

  it("reads the state from where the state machine stored it, without the reference", async () => {
    const s3 = mockClient(S3Client);
    s3.on(GetObjectCommand, {
      Bucket: "artifacts",
      Key: "churn/container-inputs/x/1.json",
    }).resolves({
      Body: {
        transformToString: async () =>
          JSON.stringify({ run: "r7", validate: { key: "churn/container-inputs/x/1.json" } }),
      } as never,
    });
    const seen: unknown[] = [];
    const code = await runContainerStep({
      env: {
        ORCHARD_STEP: "validate",
        ORCHARD_EVENT_BUCKET: "artifacts",
        ORCHARD_EVENT_KEY: "churn/container-inputs/x/1.json",
        ORCHARD_EVENT_REF: "validate",
        ORCHARD_TASK_TOKEN: "tok",
      },
      sfn: new SFNClient({ region: "eu-west-1" }),
      s3: new S3Client({ region: "eu-west-1" }),
      handlers: {
        validate: async (event: never) => {
          seen.push(event);
          return { ok: true };
        },
      },
    });
    expect(code).toBe(0);
    expect(seen).toEqual([{ run: "r7" }]);
    s3.restore();
  });

  it("exits 2 without a task token (nothing to report to)", async () => {
    expect(await run({ ORCHARD_STEP: "validate", ORCHARD_EVENT: "{}" })).toBe(2);
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe("the container image's handlers", () => {
  it.each(CONTAINER_STEPS)(
    "runs %s, which the config lets run as a container, with its Lambda bundle's handler",
    async (step) => {
      const bundle = (await import(`../../lambdas/${BUNDLE_OF[step]}.ts`)) as { handler: unknown };
      expect(CONTAINER_HANDLERS[step]).toBe(bundle.handler);
    },
  );
});

/**
 * Runs one step handler in a container (`compute: container` steps on ECS Fargate), with the
 * contract infra/pipeline-step.ts sets: the step from ORCHARD_STEP, the task token from
 * ORCHARD_TASK_TOKEN, the state from the S3 object ORCHARD_EVENT_BUCKET/ORCHARD_EVENT_KEY
 * where the state machine stored it (ECS caps overrides at 8 KiB, too small for a state; the
 * stored state holds that reference under ORCHARD_EVENT_REF, removed before the handler sees
 * it), or, outside AWS, inline from ORCHARD_EVENT (JSON); the result goes back to Step
 * Functions with SendTaskSuccess, an error with SendTaskFailure carrying the error's name (so
 * the state machine's Retry/Catch match it as they do for Lambda) and Lambda's cause format.
 *
 * Image command: `node lib/lambdas/container-runner.js` (this file compiled by `npm run build`,
 * the same code and dependencies as the Lambda bundles).
 */
import { pathToFileURL } from "node:url";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { CONTAINER_HANDLERS, type Handler } from "./container-handlers.ts";

/** Step Functions caps a task failure's error at 256 and its cause at 32,768 characters. */
const MAX_ERROR = 256;
const MAX_CAUSE = 32_768;

/**
 * How often the runner tells Step Functions the step is alive (SendTaskHeartbeat), well inside
 * the Task's HeartbeatSeconds (300, infra/cloud-definition.ts): a crashed task then fails the
 * step within minutes instead of at its timeout.
 */
export const CONTAINER_HEARTBEAT_INTERVAL_SECONDS = 60;

export interface ContainerRun {
  env: Record<string, string | undefined>;
  sfn: Pick<SFNClient, "send">;
  handlers?: Partial<Record<string, Handler>>;
  /** Reads the stored input (ORCHARD_EVENT_BUCKET/KEY). */
  s3?: Pick<S3Client, "send">;
  /** Default CONTAINER_HEARTBEAT_INTERVAL_SECONDS × 1000; tests make it short. */
  heartbeatIntervalMs?: number;
}

/** Runs the step and reports to Step Functions; resolves to the process exit code. */
export async function runContainerStep({
  env,
  sfn,
  handlers = CONTAINER_HANDLERS,
  heartbeatIntervalMs = CONTAINER_HEARTBEAT_INTERVAL_SECONDS * 1000,
  s3,
}: ContainerRun): Promise<number> {
  const token = env.ORCHARD_TASK_TOKEN;
  if (!token) {
    process.stderr.write("container-runner: ORCHARD_TASK_TOKEN is not set; nothing to report to\n");
    return 2;
  }
  // A failed heartbeat is not the step's failure: the next one may succeed, and if the task
  // timed out Step Functions has already moved on (the final Send* then fails too).
  const heartbeat = setInterval(() => {
    sfn.send(new SendTaskHeartbeatCommand({ taskToken: token })).catch((err: unknown) => {
      process.stderr.write(`container-runner: SendTaskHeartbeat failed: ${String(err)}\n`);
    });
  }, heartbeatIntervalMs);
  try {
    const step = env.ORCHARD_STEP ?? "";
    const handler = handlers[step];
    if (!handler) {
      throw Object.assign(
        new Error(`ORCHARD_STEP is "${step}", not one of ${Object.keys(handlers).join(", ")}`),
        {
          name: "ConfigError",
        },
      );
    }
    const output = await handler((await readEvent(env, s3)) as never);
    await sfn.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output ?? null) }),
    );
    return 0;
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const cause = JSON.stringify({ errorType: e.name, errorMessage: e.message });
    await sfn.send(
      new SendTaskFailureCommand({
        taskToken: token,
        error: e.name.slice(0, MAX_ERROR),
        cause: cause.slice(0, MAX_CAUSE),
      }),
    );
    return 1;
  } finally {
    clearInterval(heartbeat);
  }
}

/** The step's input: the stored state without its reference, or the inline ORCHARD_EVENT. */
async function readEvent(
  env: Record<string, string | undefined>,
  s3: Pick<S3Client, "send"> | undefined,
): Promise<unknown> {
  const bucket = env.ORCHARD_EVENT_BUCKET;
  const key = env.ORCHARD_EVENT_KEY;
  if (!bucket || !key) return JSON.parse(env.ORCHARD_EVENT ?? "null");
  const client = s3 ?? new S3Client({});
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const event = JSON.parse((await object.Body?.transformToString()) ?? "null");
  const ref = env.ORCHARD_EVENT_REF;
  if (ref && event && typeof event === "object") delete (event as Record<string, unknown>)[ref];
  return event;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runContainerStep({ env: process.env, sfn: new SFNClient({}) });
}

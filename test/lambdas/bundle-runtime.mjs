/**
 * A minimal stand-in for the Lambda Node.js runtime, forked by bundles.test.ts: it imports
 * bundles with Node's own ESM loader (vitest's module runner would transform them), calls
 * `handler(event, context)` with a Lambda-shaped context and answers over IPC (JSON, like
 * Lambda's invoke boundary) with the result or, as Lambda reports a failure, with
 * `{ errorType, errorMessage }` where errorType is the error's `name`.
 *
 * Messages: `{ id, op: "load", file }` → `{ id, result: { handler: typeof handler } }`;
 * `{ id, op: "invoke", file, functionName, event, env? }` → `{ id, result }` or `{ id, error }`.
 * `env` is set for that invocation only.
 */
import { pathToFileURL } from "node:url";

const TIMEOUT_MS = 15 * 60_000;
const modules = new Map();
let requests = 0;

async function load(file) {
  let mod = modules.get(file);
  if (!mod) {
    mod = await import(pathToFileURL(file).href);
    modules.set(file, mod);
  }
  return mod;
}

function lambdaContext(functionName) {
  const deadline = Date.now() + TIMEOUT_MS;
  const awsRequestId = `00000000-0000-4000-8000-${String(++requests).padStart(12, "0")}`;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: "1024",
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/01/01/[$LATEST]${awsRequestId.replaceAll("-", "")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

async function withEnv(env, run) {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await run();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function handle(msg) {
  const mod = await load(msg.file);
  if (msg.op === "load") return { handler: typeof mod.handler };
  const context = lambdaContext(msg.functionName);
  const result = await withEnv(msg.env ?? {}, () => mod.handler(msg.event, context));
  return result ?? null;
}

process.on("message", (msg) => {
  handle(msg).then(
    (result) => process.send({ id: msg.id, result }),
    (err) =>
      process.send({
        id: msg.id,
        error: {
          errorType: err?.name ?? "Error",
          errorMessage: err?.message ?? String(err),
          constructorName: err?.constructor?.name ?? null,
        },
      }),
  );
});

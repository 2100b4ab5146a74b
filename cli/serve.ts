/**
 * Usage: orchard serve <spec.yaml> [--port N] [--host ADDR] [--state-dir DIR] [--metrics emf]
 *
 * Serves the pipeline's champion over HTTP with the predict Lambda's own request handling:
 * `POST /predict` with `{"rows":[{…}]}`, `GET /health` (liveness), `GET /ready` (readiness). Stops gracefully on SIGTERM or SIGINT
 * (health turns 503, requests in flight finish, then exit 0).
 *
 * Storage: with the ORCHARD_* storage variables set (a container in a cluster: the ConfigMap
 * names the buckets and tables) it reads the cloud registry; otherwise it starts the embedded
 * S3 and DynamoDB over the state directory `orchard run` wrote (default .orchard).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { runAs } from "../lambdas/io/caller.ts";
import { STORAGE_ENV } from "../lambdas/io/env.ts";
import { resetServedModels, servedModels, writeMetrics } from "../lambdas/predict.ts";
import { stepDeps } from "../lambdas/step-handler.ts";
import { CaptureBuffer } from "../pipeline/monitor/capture.ts";
import { captureSink, storeLabels } from "../pipeline/monitor/store.ts";
import type { CaptureSpec } from "../pipeline/spec/types.ts";
import { parse, UsageError } from "./args.ts";
import { DEFAULT_STATE_DIR, loadSpecFile, withLocalStores } from "./local/run-pipeline.ts";
import { fail } from "./report-error.ts";
import { type RunningServer, startHttpServer } from "./serve/http-server.ts";

const USAGE = `Usage: orchard serve <spec.yaml> [--port N] [--host ADDR] [--state-dir DIR] [--metrics emf]

Serves the pipeline's champion model over HTTP:
  POST /predict  {"rows": [{column: value, …}]}  → {"modelVersion", "predictions"}
  GET  /health   liveness: 200 while the process serves requests, 503 while shutting down
  GET  /ready    readiness: 200 once a champion is served, 503 before the first promotion
  POST /feedback {"requestId"|"id", "label", "at"}  → 202: true outcomes for orchard monitor

  --port N         port to listen on (default 8080; 0 picks a free one)
  --host ADDR      address to bind (default 127.0.0.1; 0.0.0.0 in a container)
  --state-dir DIR  local storage "orchard run" wrote (default .orchard), used unless the
                   ORCHARD_* storage variables point at cloud storage
  --metrics emf    one CloudWatch embedded-metric line per request on stdout`;

export interface ServeCommand {
  server: RunningServer;
  /** The prediction capture buffer, when the spec captures. */
  capture?: CaptureBuffer;
  /** Resolves when the server has stopped (signal or `stop`). */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(
      argv,
      {
        port: { type: "string", default: "8080" },
        host: { type: "string", default: "127.0.0.1" },
        "state-dir": { type: "string" },
        metrics: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(`expected one spec file\n\n${USAGE}`);
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--port ${values.port}: use a whole number from 0 to 65535\n\n${USAGE}`);
    }
    if (values.metrics !== undefined && values.metrics !== "emf") {
      throw new UsageError(`--metrics ${values.metrics}: the only format is emf\n\n${USAGE}`);
    }
    const { spec } = await loadSpecFile(positionals[0]);
    const serveWith = async () => {
      const command = await serve({
        pipeline: spec.name,
        port,
        host: values.host,
        emf: values.metrics === "emf",
        capture: spec.monitor.capture,
        idColumn: spec.id,
      });
      process.stderr.write(`orchard serve: ${spec.name} on ${command.server.url}\n`);
      await command.stopped;
      return 0;
    };
    if (process.env[STORAGE_ENV.registryTable] && values["state-dir"] === undefined) {
      return await serveWith();
    }
    const stateDir = resolve(values["state-dir"] ?? DEFAULT_STATE_DIR);
    if (!existsSync(stateDir)) {
      throw new UsageError(
        `--state-dir ${stateDir} does not exist: run "orchard run ${positionals[0]}" first, or set the ORCHARD_* storage variables`,
      );
    }
    return await withLocalStores(stateDir, serveWith);
  } catch (err) {
    return fail("serve", err);
  }
}

export interface ServeArgs {
  pipeline: string;
  port: number;
  host?: string;
  emf?: boolean;
  /** Stop on these signals (default SIGTERM and SIGINT). */
  signals?: NodeJS.Signals[];
  /** The spec's `monitor.capture`: record predictions under `<pipeline>/capture/`. */
  capture?: CaptureSpec | null;
  /** The spec's entity id column, captured as each record's `id`. */
  idColumn?: string | null;
  /** Capture flush triggers (defaults: 1,000 rows or 60 s). */
  captureFlush?: { maxRecords?: number; maxAgeMs?: number };
}

/**
 * Starts the server over the process's storage (stepDeps) and wires signals to a clean stop.
 * It serves as the predict Lambda's role: the requests it answers inherit that caller.
 */
export function serve(args: ServeArgs): Promise<ServeCommand> {
  return runAs({ role: "predict", pipeline: args.pipeline }, () => serveAsPredict(args));
}

async function serveAsPredict(args: ServeArgs): Promise<ServeCommand> {
  resetServedModels();
  const models = servedModels(args.pipeline);
  // Load the champion before listening, so the first request does not pay for it; a missing
  // champion is not fatal (the server answers 503 until a run promotes one).
  await models.next().catch(() => undefined);
  const { artifacts } = stepDeps();
  const asPredict = <T>(fn: () => Promise<T>) =>
    runAs({ role: "predict", pipeline: args.pipeline }, fn);
  const capture = args.capture
    ? new CaptureBuffer({
        pipeline: args.pipeline,
        sampleRate: args.capture.sampleRate,
        exclude: args.capture.exclude,
        idColumn: args.idColumn ?? null,
        source: "serve",
        ...args.captureFlush,
        // Batches are written as predict: the serving role may write its capture prefix only.
        sink: (key, bytes) => asPredict(() => captureSink(artifacts)(key, bytes)),
        onError: (err) =>
          process.stderr.write(
            `orchard serve: capture write failed, kept for the next flush: ${(err as Error).message}\n`,
          ),
      })
    : undefined;
  const server = await startHttpServer({
    service: models,
    port: args.port,
    ...(args.host ? { host: args.host } : {}),
    ...(args.emf ? { onRequest: (m) => writeMetrics(m) } : {}),
    ...(capture ? { capture: (request) => capture.add(request) } : {}),
    feedback: async (labels) => {
      await asPredict(() => storeLabels(artifacts, args.pipeline, labels));
    },
  });
  const signals = args.signals ?? ["SIGTERM", "SIGINT"];
  let resolveStopped: () => void;
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });
  const stop = async () => {
    for (const s of signals) process.off(s, onSignal);
    await server.close();
    // What waits in the capture buffer is written before the process goes.
    await capture?.close();
    resolveStopped();
  };
  const onSignal = () => {
    process.stderr.write("orchard serve: shutting down\n");
    void stop();
  };
  for (const s of signals) process.once(s, onSignal);
  return { server, stopped, stop, ...(capture ? { capture } : {}) };
}

/**
 * What every step handler shares: storage wired once per process from the environment, a
 * JSON log line per invocation, X-Ray subsegments around the step's phases (`## <step>
 * setup|run|guard`; off locally, see io/tracer.ts), and the payload guard. Handlers stay one line: they hand a
 * pipeline step to `stepHandler`.
 */
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { ArtifactNotFoundError, OrchardError, SourceNotFoundError } from "../pipeline/errors.ts";
import type { StepDeps } from "../pipeline/steps/types.ts";
import { pipelineOfEvent, runAs } from "./io/caller.ts";
import { destroyStorageClients, setStorageClients, storageClients } from "./io/clients.ts";
import { resetStorageConfig } from "./io/env.ts";
import { createLogger } from "./io/logger.ts";
import { processTrainer } from "./io/process-trainer.ts";
import { openStores } from "./io/stores.ts";
import { tracePhase } from "./io/tracer.ts";

/** Step Functions rejects payloads over 256 KiB; fail loudly well before, naming the step. */
export const PAYLOAD_GUARD_BYTES = 200 * 1024;

export class PayloadTooLargeError extends OrchardError {}

let deps: StepDeps | undefined;
let logger = createLogger();

/** The process's step dependencies, created on first use from the ORCHARD_* environment. */
export function stepDeps(): StepDeps {
  if (!deps) {
    const stores = openStores();
    deps = {
      ...stores,
      readSource: (uri) => readSource(stores.artifacts.get.bind(stores.artifacts), uri),
      now: () => new Date(),
      workers: workerCount(process.env.ORCHARD_WORKERS),
      // `orchard run` runs a custom trainer as a process from the spec's directory.
      ...(process.env.ORCHARD_CUSTOM_TRAINER_CWD
        ? {
            customTrainer: processTrainer({
              cwd: process.env.ORCHARD_CUSTOM_TRAINER_CWD,
              artifacts: stores.artifacts,
            }),
          }
        : {}),
    };
  }
  return deps;
}

/** Forgets the process's clients and configuration (the local runner, between runs). */
export function resetStepDeps(): void {
  if (deps) destroyStorageClients(storageClients());
  setStorageClients(undefined);
  resetStorageConfig();
  deps = undefined;
  logger = createLogger();
}

export function stepHandler<E, R>(
  step: string,
  run: (event: E, deps: StepDeps) => Promise<R>,
): (event: E) => Promise<R> {
  return async (event) => {
    const started = Date.now();
    const log = logger.child({ step });
    try {
      // Every storage call of the step is made as the step's role (see io/caller.ts), for the
      // event's pipeline or the function's own (ORCHARD_PIPELINE, set on serving and batch).
      const pipeline = pipelineOfEvent(event) ?? process.env.ORCHARD_PIPELINE;
      const result = await runAs({ role: step, pipeline }, async () => {
        const deps = await tracePhase(`## ${step} setup`, async () => stepDeps());
        return tracePhase(`## ${step} run`, () => run(event, deps));
      });
      const bytes = await tracePhase(`## ${step} guard`, async () => {
        const size = Buffer.byteLength(JSON.stringify(result ?? null));
        if (size > PAYLOAD_GUARD_BYTES) {
          throw new PayloadTooLargeError(
            `the ${step} step returned ${size} bytes, over Orchard's ${PAYLOAD_GUARD_BYTES}-byte guard (Step Functions allows 256 KiB); states must carry references, not data — this is a bug in the step, please report it`,
          );
        }
        return size;
      });
      log.info("step succeeded", { ms: Date.now() - started, bytes });
      return result;
    } catch (err) {
      log.error("step failed", { ms: Date.now() - started, error: err });
      throw err;
    }
  };
}

async function readSource(
  getS3: (uri: string) => Promise<Uint8Array>,
  uri: string,
): Promise<Uint8Array> {
  if (uri.startsWith("s3://")) {
    try {
      return await getS3(uri);
    } catch (cause) {
      if (!(cause instanceof ArtifactNotFoundError)) throw cause;
      throw new SourceNotFoundError(
        `source ${uri} does not exist; check source.uri in the spec (or the run's sourceUri) and that the object was uploaded`,
        { file: uri },
        { cause },
      );
    }
  }
  const path = fileURLToPath(uri);
  try {
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const what = code === "ENOENT" ? "does not exist" : `cannot be read (${code})`;
    throw new SourceNotFoundError(
      `source ${path} ${what}; check source.uri in the spec (relative paths are relative to the spec file)`,
      { file: path },
      { cause },
    );
  }
}

function workerCount(value: string | undefined): number {
  if (value === "auto") return availableParallelism();
  const n = Number(value ?? 1);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

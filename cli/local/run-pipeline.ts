/**
 * One local execution: start the embedded S3 and DynamoDB under the state directory, store
 * the spec, build the same ASL definition the cloud runs (with local ARNs) and execute it with
 * the Lambda handlers called in-process. The handlers find storage through the same ORCHARD_*
 * variables a deployed Lambda gets.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CONTAINER_HANDLERS } from "../../lambdas/container-handlers.ts";
import { runAs } from "../../lambdas/io/caller.ts";
import {
  createStorageClients,
  destroyStorageClients,
  storageClients,
} from "../../lambdas/io/clients.ts";
import { storageConfig } from "../../lambdas/io/env.ts";
import { openStores, type Stores } from "../../lambdas/io/stores.ts";
import { handler as notifyFailure } from "../../lambdas/notify-failure.ts";
import { handler as report } from "../../lambdas/report.ts";
import { resetStepDeps } from "../../lambdas/step-handler.ts";
import { SpecError } from "../../pipeline/errors.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";
import { batchInputUri, resolveSourceUri } from "../../pipeline/spec/source-uri.ts";
import type { PipelineSpec } from "../../pipeline/spec/types.ts";
import type { RunInput, RunState } from "../../pipeline/steps/types.ts";
import type { ModelVersion } from "../../pipeline/store.ts";
import { buildDefinition } from "../../pipeline/workflow/definition.ts";
import { localResources, type StepName } from "../../pipeline/workflow/steps.ts";
import { loadTransform } from "../transform-loader.ts";
import {
  type ExecutionEvent,
  type ExecutionResult,
  executeLocally,
  type StepHandler,
} from "./executor.ts";
import { localListObjects, localPutObject } from "./list-objects.ts";
import { startLocalServices } from "./servers.ts";
import { lockStateDir } from "./state-lock.ts";

export const DEFAULT_STATE_DIR = ".orchard";

export type StepHandlers = Record<StepName, StepHandler>;

export const STEP_HANDLERS: StepHandlers = {
  ...CONTAINER_HANDLERS,
  report,
  notifyFailure,
} as StepHandlers;

export interface LocalRunOptions {
  specPath: string;
  stateDir?: string;
  onEvent?: (event: ExecutionEvent) => void;
  /** Wraps the handlers (fault injection in tests). */
  wrapHandlers?: (handlers: StepHandlers) => StepHandlers;
  retryIntervalOverrides?: Record<string, number | number[]>;
  /** Recorded as the execution's `run.reason` (a retrain the Monitor started). */
  reason?: string;
}

export interface LocalRun {
  spec: PipelineSpec;
  result: ExecutionResult;
  /** The final state when the run succeeded (every step's references). */
  state: RunState | null;
  championBefore: ModelVersion | null;
  championAfter: ModelVersion | null;
}

/** Reads and validates the spec file; SpecError with the file on any problem. */
export async function loadSpecFile(
  specPath: string,
): Promise<{ spec: PipelineSpec; bytes: Uint8Array }> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(specPath));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "does not exist; check the path (a relative path is relative to the current directory)"
        : `cannot be read (${code ?? (cause as Error).message}); check the path and its permissions`;
    throw new SpecError(`the spec file ${specPath} ${why}.`, { file: specPath }, { cause });
  }
  const spec = parseSpec(new TextDecoder().decode(bytes), { file: specPath });
  // The row transform runs in this process: load it before any step or model needs it.
  await loadTransform(spec, specPath);
  return { spec, bytes };
}

/** The services, with the process environment pointed at them, for the duration of `use`. */
export async function withLocalStores<T>(
  stateDir: string,
  use: () => Promise<T>,
  extraEnv: Record<string, string> = {},
): Promise<T> {
  // One orchard process per state directory: a second one stops here, naming the holder.
  const lock = await lockStateDir(stateDir);
  let services: Awaited<ReturnType<typeof startLocalServices>>;
  try {
    services = await startLocalServices({ stateDir });
  } catch (err) {
    await lock.release();
    throw err;
  }
  // The handlers' JSON logs are for CloudWatch; a local run shows progress instead. No X-Ray
  // daemon runs locally: tracing is off (lambdas/io/tracer.ts).
  const env = {
    ORCHARD_LOG_LEVEL: process.env.ORCHARD_LOG_LEVEL ?? "silent",
    POWERTOOLS_TRACE_ENABLED: "false",
    ...services.env,
    ...extraEnv,
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  resetStepDeps();
  try {
    return await use();
  } finally {
    resetStepDeps();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await services.stop();
    await lock.release();
  }
}

export async function runLocally(options: LocalRunOptions): Promise<LocalRun> {
  const specPath = resolve(options.specPath);
  const { spec, bytes } = await loadSpecFile(specPath);
  const source = resolveSourceUri(spec.source.uri, specPath);
  const input: RunInput = {
    pipeline: spec.name,
    specUri: "",
    sourceUri:
      source.scheme === "file"
        ? pathToFileURL(source.path).href
        : `s3://${source.bucket}/${source.key}`,
    ...(spec.deploy.batch ? { batchUri: batchInputUri(spec.deploy.batch.inputUri, specPath) } : {}),
    ...(options.reason ? { reason: options.reason } : {}),
  };

  // The runner stands for an operator starting a run (`orchard cloud run`): it uploads the
  // spec and reads the champion as platform-admin; each step runs as its own role.
  return withLocalStores(
    resolve(options.stateDir ?? DEFAULT_STATE_DIR),
    () =>
      runAs({ role: "platform-admin", pipeline: spec.name }, () =>
        withRunnerStores((deps) => execute(deps, spec, bytes, input, options)),
      ),
    // A custom trainer (model.type: custom) runs as a process from the spec's directory.
    spec.model.type === "custom" ? { ORCHARD_CUSTOM_TRAINER_CWD: dirname(specPath) } : {},
  );
}

/**
 * The runner's own storage calls (store the spec, read the champion) stand for what `orchard
 * cloud run` does from a laptop, not for a step: they use clients without the fault layer
 * (ORCHARD_FAULT_RATE), so injected faults meet the steps and the state machine's Retry.
 */
async function withRunnerStores<T>(use: (deps: Stores) => Promise<T>): Promise<T> {
  const clients = createStorageClients(storageConfig(), null);
  try {
    return await use(openStores(storageConfig(), clients));
  } finally {
    destroyStorageClients(clients);
  }
}

async function execute(
  deps: Stores,
  spec: PipelineSpec,
  bytes: Uint8Array,
  input: RunInput,
  options: LocalRunOptions,
): Promise<LocalRun> {
  const stored = await deps.artifacts.putContent("artifacts", `${spec.name}/specs`, bytes, "yaml");
  const championBefore = await deps.registry.getChampion(spec.name);
  const resources = localResources(spec.name);
  const handlers = options.wrapHandlers?.(STEP_HANDLERS) ?? STEP_HANDLERS;
  const result = await executeLocally({
    definition: buildDefinition(
      {
        pipeline: spec.name,
        batchToleratedFailurePercent: spec.deploy.batch?.toleratedFailurePercent ?? 0,
      },
      resources,
    ),
    handlers,
    resources,
    input: { run: { ...input, specUri: stored.uri } },
    onEvent: options.onEvent,
    retryIntervalOverrides: options.retryIntervalOverrides,
    listObjects: localListObjects(() => storageClients().s3, spec.name),
    putObject: localPutObject(() => storageClients().s3, spec.name),
  });
  const championAfter = await deps.registry.getChampion(spec.name);
  const state = result.status === "SUCCEEDED" ? (result.output as RunState) : null;
  return { spec, result, state, championBefore, championAfter };
}

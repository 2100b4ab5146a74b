/**
 * Runs an Orchard state machine definition on this machine with the local ASL engine
 * (asl-engine.ts): the identical ASL that Step Functions runs in the cloud, with each Task's Lambda replaced by the
 * in-process handler of its step (matched through the Task's `Resource` ARN).
 *
 * Handlers are wrapped to behave like a Lambda invocation, so that Retry/Catch and the failure
 * report see what the cloud would: the error name is the thrown error's `name` (our named
 * classes), the Cause is Lambda's JSON error payload (`{"errorType","errorMessage","trace"}`),
 * results are JSON round-tripped, and a result over the 256 KiB payload limit fails the run with
 * the uncatchable `States.DataLimitExceeded`.
 *
 * The engine's event log becomes a per-state timeline and progress events, and the failure is
 * reported against the step that failed ("Validate failed: TargetError: ..."), not against
 * NotifyFailure or the final Fail state.
 */

import { randomUUID } from "node:crypto";
import { runAs } from "../../lambdas/io/caller.ts";
import { SpecError } from "../../pipeline/errors.ts";
import type { JsonValue, State, StateMachineDefinition } from "../../pipeline/workflow/asl.ts";
import { STEP_NAMES, type StepName, type StepResources } from "../../pipeline/workflow/steps.ts";
import { type EngineEvent, PAYLOAD_LIMIT_BYTES, runDefinition, StatesError } from "./asl-engine.ts";

export { PAYLOAD_LIMIT_BYTES };

/** A step's code: receives the state's references, returns its own references. */
export type StepHandler = (event: unknown) => Promise<unknown>;

export type StateStatus = "RUNNING" | "SUCCEEDED" | "RETRIED" | "FAILED" | "ABORTED";

export interface ErrorInfo {
  name: string;
  message: string;
}

export interface StateRecord {
  name: string;
  /** The Map iteration index, for states that run inside a Map. */
  iteration?: number;
  startedAt: number;
  durationMs: number;
  /** RETRIED: succeeded after at least one retry. ABORTED: a sibling Map iteration failed. */
  status: StateStatus;
  attempts: number;
  error?: ErrorInfo;
}

export interface ExecutionEvent {
  kind: "started" | "retried" | "succeeded" | "failed";
  state: string;
  iteration?: number;
  timestamp: number;
  /** 1 for the first try; the attempt that just ended for "retried". */
  attempt: number;
  error?: ErrorInfo;
}

export interface ExecutionResult {
  status: "SUCCEEDED" | "FAILED";
  output?: unknown;
  /** The terminal state reached, e.g. "Promoted", "NotPromoted" or "Failed". */
  endState?: string;
  /** The top-level state whose error ended the run, with the error's name and message. */
  error?: ErrorInfo & { state: string };
  /** Every state entered, top level and Map iterations, in the order entered. */
  states: StateRecord[];
  executionId: string;
}

export interface ExecuteLocallyOptions {
  definition: StateMachineDefinition;
  handlers: Record<StepName, StepHandler>;
  resources: StepResources;
  /** The execution input: a JSON object (each step's result is merged into it). */
  input: { [key: string]: JsonValue };
  /** Progress, in order, as states start, retry, succeed and fail. Must not throw. */
  onEvent?: (event: ExecutionEvent) => void;
  /** Milliseconds to wait before each retry, per state name (tests use 0). */
  retryIntervalOverrides?: Record<string, number | number[]>;
  executionId?: string;
  /**
   * Lists a Distributed Map's ItemReader (s3:listObjectsV2), as the state machine's role
   * would: every object under Bucket/Prefix as `{ Key, Etag, LastModified, Size, StorageClass }`.
   */
  listObjects?: (request: { Bucket: string; Prefix: string }) => Promise<JsonValue[]>;
  /** Stores a Distributed Map's ResultWriter export, as the state machine's role would. */
  putObject?: (request: { Bucket: string; Key: string; Body: string }) => Promise<void>;
}

/** Executes the definition to completion; a failed run resolves with status FAILED. */
export async function executeLocally(options: ExecuteLocallyOptions): Promise<ExecutionResult> {
  const { definition, input, onEvent, retryIntervalOverrides } = options;
  const executionId = options.executionId ?? randomUUID();
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new SpecError(
      `execution input is ${Array.isArray(input) ? "an array" : typeof input}: pass a JSON object (step results are merged into it)`,
    );
  }
  const taskHandlers = bindHandlers(definition, options.resources, options.handlers);
  const timeline = new Timeline(onEvent);
  const result = await runDefinition({
    definition,
    input,
    invoke: ({ stateName, input: payload }) => (taskHandlers[stateName] as LocalHandler)(payload),
    execution: {
      Id: `arn:aws:states:us-east-1:000000000000:execution:orchard-local:${executionId}`,
      Name: executionId,
    },
    onEvent: (event) => timeline.add(event),
    ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}),
    ...(options.listObjects ? { listObjects: options.listObjects } : {}),
    ...(options.putObject ? { putObject: options.putObject } : {}),
  });
  const states = timeline.finish(Date.now());
  const endState = states.filter((s) => s.iteration === undefined).at(-1)?.name;
  if (result.status === "SUCCEEDED") {
    return { status: "SUCCEEDED", output: result.output, endState, states, executionId };
  }
  return {
    status: "FAILED",
    endState,
    error: timeline.failure({ name: result.error, message: decodeCause(result.cause) }),
    states,
    executionId,
  };
}

/** Lambda's error payload, as Step Functions puts it in `Cause`; plain text otherwise. */
export function decodeCause(cause: unknown): string {
  if (typeof cause !== "string") return cause === undefined ? "" : JSON.stringify(cause);
  try {
    const payload = JSON.parse(cause) as { errorMessage?: unknown };
    if (payload && typeof payload.errorMessage === "string") return payload.errorMessage;
  } catch {
    // Not a Lambda payload: an engine error such as States.Timeout carries plain text.
  }
  return cause;
}

type LocalHandler = (input: JsonValue) => Promise<JsonValue>;

/** Maps each Task state (Map iterations included) to its step's handler through its ARN. */
function bindHandlers(
  definition: StateMachineDefinition,
  resources: StepResources,
  handlers: Record<StepName, StepHandler>,
): Record<string, LocalHandler> {
  const stepOfArn = new Map<string, StepName>(STEP_NAMES.map((step) => [resources[step], step]));
  const bound: Record<string, LocalHandler> = {};
  for (const [stateName, state] of allStates(definition.States)) {
    if (state.Type !== "Task") continue;
    const step = stepOfArn.get(state.Resource);
    if (!step) {
      throw new SpecError(
        `Task state "${stateName}" invokes ${state.Resource}, which is not one of the step resources: build the definition from the same resources you pass here`,
        { path: `States.${stateName}.Resource` },
      );
    }
    const handler = handlers[step];
    if (typeof handler !== "function") {
      throw new SpecError(
        `no handler for step "${step}" (Task state "${stateName}"): pass handlers.${step}`,
        { path: `handlers.${step}` },
      );
    }
    bound[stateName] = asLambda(step, handler);
  }
  return bound;
}

function* allStates(states: Record<string, State>): Generator<[string, State]> {
  for (const [name, state] of Object.entries(states)) {
    yield [name, state];
    if (state.Type === "Map") yield* allStates(state.ItemProcessor.States);
  }
}

function asLambda(step: StepName, handler: StepHandler): LocalHandler {
  return async (input) => {
    let result: unknown;
    try {
      // As the step's role (io/caller.ts), as its own Lambda would on AWS.
      result = await runAs({ role: step }, () => handler(input));
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      const errorType = error.name || "Error";
      const payload = {
        errorType,
        errorMessage: error.message,
        trace: error.stack?.split("\n") ?? [],
      };
      throw new StatesError(errorType, JSON.stringify(payload));
    }
    const json = JSON.stringify(result ?? null);
    const bytes = Buffer.byteLength(json, "utf8");
    if (bytes > PAYLOAD_LIMIT_BYTES) {
      throw new StatesError(
        "States.DataLimitExceeded",
        `step "${step}" returned ${Math.ceil(bytes / 1024)} KiB; state payloads are limited to ${PAYLOAD_LIMIT_BYTES / 1024} KiB: store the data as an artifact and return its URI`,
      );
    }
    return JSON.parse(json) as JsonValue;
  };
}

interface OpenRecord extends StateRecord {
  lastError?: ErrorInfo;
  caught: boolean;
  type: string;
}

/** Folds the engine's event log into per-state records and progress events. */
class Timeline {
  private readonly records: OpenRecord[] = [];
  private readonly open = new Map<string, OpenRecord>();
  private firstCaught?: OpenRecord;

  constructor(private readonly onEvent?: (event: ExecutionEvent) => void) {}

  add(event: EngineEvent): void {
    // Map iterations report their index; the execution's own start and end are not states.
    if (!event.state) return;
    const key = `${event.state.name}#${event.index ?? ""}`;
    if (event.type === "StateEntered") {
      const record: OpenRecord = {
        name: event.state.name,
        ...(event.index === undefined ? {} : { iteration: event.index }),
        startedAt: event.timestamp,
        durationMs: 0,
        status: "RUNNING",
        attempts: 1,
        caught: false,
        type: event.state.type,
      };
      this.records.push(record);
      this.open.set(key, record);
      this.emit("started", record, event.timestamp);
      return;
    }
    const record = this.open.get(key);
    if (!record) return;
    switch (event.type) {
      case "StateFailed":
        record.lastError = { name: event.Error ?? "Error", message: decodeCause(event.Cause) };
        break;
      case "StateRetried":
        this.emit("retried", record, event.timestamp, record.lastError);
        record.attempts += 1;
        break;
      case "StateCaught":
        record.caught = true;
        if (!this.firstCaught && record.iteration === undefined) this.firstCaught = record;
        this.close(key, record, "FAILED", event.timestamp);
        break;
      case "StateExited":
        if (!record.caught) {
          this.close(key, record, record.attempts > 1 ? "RETRIED" : "SUCCEEDED", event.timestamp);
        }
        break;
    }
  }

  /** Closes what is still open: failed if it saw an error, else aborted. */
  finish(endedAt: number): StateRecord[] {
    for (const [key, record] of this.open) {
      this.close(key, record, record.lastError ? "FAILED" : "ABORTED", endedAt);
    }
    return this.records.map(({ lastError: _, caught: __, type: ___, ...record }) => record);
  }

  /**
   * The step that failed: the first top-level state whose error was caught (the Map, for a
   * failed Train iteration); else, for an uncatchable error, the last top-level state that
   * failed other than a Fail state; else the engine's own report.
   */
  failure(execution: ErrorInfo): ErrorInfo & { state: string } {
    const topLevel = this.records.filter((r) => r.iteration === undefined);
    const failed =
      this.firstCaught ?? topLevel.findLast((r) => r.lastError !== undefined && r.type !== "Fail");
    if (failed?.lastError?.name === "States.ExceedToleratedFailureThreshold") {
      // A Distributed Map's own error says how many children failed, not why: name the first.
      const child = this.records.find(
        (r) => r.iteration !== undefined && r.startedAt >= failed.startedAt && r.lastError,
      );
      if (child?.lastError) {
        const { name, message } = child.lastError;
        return {
          state: failed.name,
          name: failed.lastError.name,
          message: `${failed.lastError.message}; the first: ${child.name} ${child.iteration}: ${name}: ${message}`,
        };
      }
    }
    if (failed?.lastError) return { state: failed.name, ...failed.lastError };
    return { state: topLevel.at(-1)?.name ?? "(execution)", ...execution };
  }

  private close(key: string, record: OpenRecord, status: StateStatus, at: number): void {
    record.status = status;
    record.durationMs = at - record.startedAt;
    if (status === "FAILED" && record.lastError) record.error = record.lastError;
    this.open.delete(key);
    if (status === "FAILED") this.emit("failed", record, at, record.lastError);
    else if (status !== "ABORTED") this.emit("succeeded", record, at);
  }

  private emit(
    kind: ExecutionEvent["kind"],
    record: OpenRecord,
    timestamp: number,
    error?: ErrorInfo,
  ): void {
    this.onEvent?.({
      kind,
      state: record.name,
      ...(record.iteration === undefined ? {} : { iteration: record.iteration }),
      timestamp,
      attempt: record.attempts,
      ...(error ? { error } : {}),
    });
  }
}

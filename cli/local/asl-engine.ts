/**
 * Executes an Amazon States Language definition in this process: the subset Orchard emits
 * (pipeline/workflow/asl.ts, JSONPath flavour) with the semantics the Step Functions developer
 * guide documents for it — input and output processing (InputPath, Parameters, ResultPath,
 * OutputPath; the context object), Retry (first matching retrier, per-retrier attempt counts,
 * BackoffRate, MaxDelaySeconds, full jitter) and Catch, `States.ALL` / `States.TaskFailed`
 * matching (neither catches `States.Runtime` or `States.DataLimitExceeded`), Task
 * `TimeoutSeconds` (`States.Timeout`), inline Map with `MaxConcurrency`, Distributed Map (S3
 * listing ItemReader, ItemBatcher, tolerated failures, ResultWriter export), Choice (a rule on a
 * missing variable is `States.Runtime`), Wait, Pass, Succeed and Fail, and the 256 KiB limit on
 * every state's output.
 *
 * Why our own and not aws-local-stepfunctions (which Orchard used before): its only release,
 * 3.0.0, declares Node >= 22 while Orchard supports Node 20, and needed a polyfill there; it
 * has no Distributed Map, and it imposes a 60 s default Task timeout AWS does not have. The
 * subset Orchard runs is small and every rule below is tested against the documented
 * behaviour (test/cli/asl-engine.test.ts). What the definition uses outside the subset is
 * refused before the run starts, naming the state, never silently ignored.
 */

import { randomUUID } from "node:crypto";
import { SpecError } from "../../pipeline/errors.ts";
import type {
  Catcher,
  ChoiceRule,
  ItemBatcher,
  JsonValue,
  MapState,
  Retrier,
  State,
  StateMachineDefinition,
  TaskState,
} from "../../pipeline/workflow/asl.ts";
import { checkDefinition } from "./asl-check.ts";
import { ResultPathMatchFailure, readPath, writePath } from "./asl-paths.ts";

export { checkDefinition };

/** Step Functions' limit on a state's input or output (UTF-8 bytes of its JSON). */
export const PAYLOAD_LIMIT_BYTES = 256 * 1024;

/** An error as Step Functions names it: `Error` to match Retry/Catch, `Cause` as text. */
export class StatesError extends Error {
  constructor(
    readonly error: string,
    override readonly cause: string,
  ) {
    super(cause);
    this.name = error;
  }
}

/** Errors that `States.ALL` does not match and that end the execution (developer guide). */
const TERMINAL_ERRORS = new Set(["States.Runtime", "States.DataLimitExceeded"]);

export type EngineEventType =
  | "StateEntered"
  | "StateExited"
  | "StateFailed"
  | "StateRetried"
  | "StateCaught"
  | "ExecutionSucceeded"
  | "ExecutionFailed";

export interface EngineEvent {
  type: EngineEventType;
  timestamp: number;
  state?: { name: string; type: State["Type"] };
  /** The Map iteration the state runs in. */
  index?: number;
  Error?: string;
  Cause?: string;
}

/** Invokes a Task's resource with its effective input; throws to fail the Task. */
export type TaskInvoker = (task: {
  stateName: string;
  resource: string;
  input: JsonValue;
}) => Promise<JsonValue>;

export interface RunDefinitionOptions {
  definition: StateMachineDefinition;
  input: JsonValue;
  invoke: TaskInvoker;
  execution: { Id: string; Name: string };
  onEvent?: (event: EngineEvent) => void;
  /** Milliseconds to wait before each retry of a state (one number, or one per retrier). */
  retryIntervalOverrides?: Record<string, number | number[]>;
  /**
   * A Distributed Map's ItemReader (s3:listObjectsV2): every object under the prefix as
   * `{ Key, Etag, LastModified, Size, StorageClass }`, in key order.
   */
  listObjects?: (request: { Bucket: string; Prefix: string }) => Promise<JsonValue[]>;
  /**
   * A Distributed Map's ResultWriter (s3:putObject): stores one JSON object, as the state
   * machine's role would.
   */
  putObject?: (request: { Bucket: string; Key: string; Body: string }) => Promise<void>;
}

export type RunDefinitionResult =
  | { status: "SUCCEEDED"; output: JsonValue }
  | { status: "FAILED"; error: string; cause: string };

/** Runs the definition to its end; a failed execution resolves with status FAILED. */
export async function runDefinition(options: RunDefinitionOptions): Promise<RunDefinitionResult> {
  checkDefinition(options.definition);
  const startTime = new Date().toISOString();
  const engine = new Engine(options, {
    Execution: { ...options.execution, Input: options.input, StartTime: startTime },
    StateMachine: {
      Id: "arn:aws:states:local:000000000000:stateMachine:orchard-local",
      Name: "orchard-local",
    },
  });
  const emit = (type: EngineEventType, extra: Partial<EngineEvent> = {}) =>
    options.onEvent?.({ type, timestamp: Date.now(), ...extra });
  try {
    checkSize(options.input, "the execution input");
    const run = engine.runStates(options.definition, options.input, undefined);
    const output = await withTimeout(run, options.definition.TimeoutSeconds, "the execution");
    emit("ExecutionSucceeded");
    return { status: "SUCCEEDED", output };
  } catch (thrown) {
    const error = asStatesError(thrown);
    emit("ExecutionFailed", { Error: error.error, Cause: error.cause });
    return { status: "FAILED", error: error.error, cause: error.cause };
  } finally {
    engine.stopped = true;
  }
}

interface Machine {
  StartAt: string;
  States: Record<string, State>;
}

/** A child execution of a Distributed Map as its ResultWriter reports it. */
interface ChildRecord {
  name: string;
  input: JsonValue;
  startDate: string;
  output?: JsonValue;
  error?: StatesError;
}

interface Outcome {
  output: JsonValue;
  next?: string;
}

class Engine {
  /** Set when the execution ended: iterations still running start no further state. */
  stopped = false;

  constructor(
    private readonly options: RunDefinitionOptions,
    private readonly context: { [key: string]: JsonValue },
  ) {}

  async runStates(
    machine: Machine,
    input: JsonValue,
    index: number | undefined,
    abort?: { aborted: boolean },
    base: { [key: string]: JsonValue } = this.context,
  ): Promise<JsonValue> {
    let name = machine.StartAt;
    let data = input;
    for (;;) {
      if (this.stopped || abort?.aborted)
        throw new StatesError("States.Aborted", "the execution or its Map ended");
      const state = machine.States[name] as State;
      const outcome = await this.runState(name, state, data, index, abort, base);
      if (outcome.next === undefined) return outcome.output;
      name = outcome.next;
      data = outcome.output;
    }
  }

  private emit(
    type: EngineEventType,
    name: string,
    state: State,
    index: number | undefined,
    error?: StatesError,
  ): void {
    this.options.onEvent?.({
      type,
      timestamp: Date.now(),
      state: { name, type: state.Type },
      ...(index === undefined ? {} : { index }),
      ...(error ? { Error: error.error, Cause: error.cause } : {}),
    });
  }

  private async runState(
    name: string,
    state: State,
    input: JsonValue,
    index: number | undefined,
    abort: { aborted: boolean } | undefined,
    base: { [key: string]: JsonValue },
  ): Promise<Outcome> {
    this.emit("StateEntered", name, state, index);
    const context = {
      ...base,
      State: { Name: name, EnteredTime: new Date().toISOString(), RetryCount: 0 },
    };
    switch (state.Type) {
      case "Fail": {
        const error = new StatesError(
          (state.ErrorPath ? stringAt(state.ErrorPath, input, context) : state.Error) ??
            "States.Fail",
          (state.CausePath ? stringAt(state.CausePath, input, context) : state.Cause) ?? "",
        );
        this.emit("StateFailed", name, state, index, error);
        throw error;
      }
      case "Choice": {
        const next = this.choose(name, state.Choices, input, context) ?? state.Default;
        if (next === undefined) {
          const error = new StatesError(
            "States.NoChoiceMatched",
            `no choice rule of "${name}" matched and it has no Default`,
          );
          this.emit("StateFailed", name, state, index, error);
          throw error;
        }
        this.emit("StateExited", name, state, index);
        return { output: input, next };
      }
      case "Succeed":
        return this.exit(
          name,
          state,
          index,
          select(state.OutputPath, input, context, "OutputPath"),
        );
      default:
        return this.runWithRetry(name, state, input, index, context, abort);
    }
  }

  private exit(
    name: string,
    state: State,
    index: number | undefined,
    output: JsonValue,
    next?: string,
  ): Outcome {
    checkSize(output, `the output of state "${name}"`);
    this.emit("StateExited", name, state, index);
    return next === undefined ? { output } : { output, next };
  }

  /** Pass, Wait, Task and Map: one attempt after another as Retry allows, then Catch. */
  private async runWithRetry(
    name: string,
    state: Exclude<State, { Type: "Fail" | "Choice" | "Succeed" }>,
    input: JsonValue,
    index: number | undefined,
    context: { [key: string]: JsonValue },
    abort: { aborted: boolean } | undefined,
  ): Promise<Outcome> {
    const retriers: Retrier[] = "Retry" in state ? (state.Retry ?? []) : [];
    const catchers: Catcher[] = "Catch" in state ? (state.Catch ?? []) : [];
    const retries = retriers.map(() => 0);
    for (let retryCount = 0; ; ) {
      try {
        const output = await this.attempt(name, state, input, index, {
          ...context,
          State: { ...(context.State as object), RetryCount: retryCount },
        });
        return this.exit(name, state, index, output, state.End ? undefined : state.Next);
      } catch (thrown) {
        const error = asStatesError(thrown);
        this.emit("StateFailed", name, state, index, error);
        // An ended execution or Map neither retries nor catches: its outcome is decided.
        if (this.stopped || abort?.aborted || error.error === "States.Aborted") throw error;
        const which = retriers.findIndex((r) => matches(r.ErrorEquals, error, state.Type));
        const retrier = retriers[which];
        if (retrier && (retries[which] as number) < (retrier.MaxAttempts ?? 3)) {
          retries[which] = (retries[which] as number) + 1;
          retryCount += 1;
          const wait = this.retryWait(name, which, retrier, retries[which] as number);
          this.emit("StateRetried", name, state, index, error);
          await sleep(wait);
          continue;
        }
        const catcher = catchers.find((c) => matches(c.ErrorEquals, error, state.Type));
        if (!catcher) throw error;
        const caught: JsonValue = { Error: error.error, Cause: error.cause };
        const output = applyResultPath(catcher.ResultPath, input, caught);
        this.emit("StateCaught", name, state, index, error);
        return { output, next: catcher.Next };
      }
    }
  }

  private retryWait(name: string, which: number, retrier: Retrier, retry: number): number {
    const override = this.options.retryIntervalOverrides?.[name];
    if (typeof override === "number") return override;
    if (Array.isArray(override) && override[which] !== undefined) return override[which] as number;
    return retryDelayMs(retrier, retry);
  }

  private async attempt(
    name: string,
    state: Exclude<State, { Type: "Fail" | "Choice" | "Succeed" }>,
    input: JsonValue,
    index: number | undefined,
    context: { [key: string]: JsonValue },
  ): Promise<JsonValue> {
    switch (state.Type) {
      case "Pass": {
        const effective = state.Parameters ? fill(state.Parameters, input, context) : input;
        const result = state.Result !== undefined ? state.Result : effective;
        return applyResultPath(state.ResultPath, input, result);
      }
      case "Wait": {
        const seconds =
          "SecondsPath" in state ? readPath(state.SecondsPath, input, context) : state.Seconds;
        if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds < 0) {
          throw new StatesError(
            "States.Runtime",
            `Wait state "${name}": SecondsPath must select a non-negative whole number, got ${JSON.stringify(seconds)}`,
          );
        }
        await sleep(seconds * 1000);
        return input;
      }
      case "Task":
        return this.task(name, state, input, context);
      case "Map":
        return state.ItemProcessor.ProcessorConfig.Mode === "DISTRIBUTED"
          ? this.distributedMap(name, state, input, index, context)
          : this.map(name, state, input, index, context);
    }
  }

  private async task(
    name: string,
    state: TaskState,
    input: JsonValue,
    context: { [key: string]: JsonValue },
  ): Promise<JsonValue> {
    const effective = select(state.InputPath, input, context, "InputPath");
    const payload = state.Parameters ? fill(state.Parameters, effective, context) : effective;
    const result = await withTimeout(
      this.options.invoke({ stateName: name, resource: state.Resource, input: payload }),
      state.TimeoutSeconds,
      `Task "${name}"`,
    );
    checkSize(result, `the result of Task "${name}"`);
    return select(
      state.OutputPath,
      applyResultPath(state.ResultPath, input, result),
      context,
      "OutputPath",
    );
  }

  /**
   * Inline Map: the items in order, at most MaxConcurrency at once (0: all). The first failed
   * iteration fails the Map with its error; no further iteration starts, and the Map waits for
   * the running ones to stop (their results are dropped) so nothing runs after the state ends.
   */
  private async map(
    name: string,
    state: MapState,
    input: JsonValue,
    outer: number | undefined,
    context: { [key: string]: JsonValue },
  ): Promise<JsonValue> {
    if (outer !== undefined)
      throw new StatesError(
        "States.Runtime",
        `Map "${name}" inside a Map iteration is not supported by the local executor`,
      );
    const items = arrayAt(name, state.ItemsPath ?? "$", input, context);
    const results: JsonValue[] = new Array(items.length);
    const abort = { aborted: false };
    let failure: unknown;
    let nextItem = 0;
    const worker = async () => {
      while (!abort.aborted && nextItem < items.length) {
        const i = nextItem++;
        const itemContext = {
          ...context,
          Map: { Item: { Index: i, Value: items[i] as JsonValue } },
        };
        const itemInput = state.ItemSelector
          ? fill(state.ItemSelector, input, itemContext)
          : (items[i] as JsonValue);
        try {
          results[i] = await this.runStates(state.ItemProcessor, itemInput, i, abort);
        } catch (thrown) {
          if (!abort.aborted) failure = thrown;
          abort.aborted = true;
        }
      }
    };
    const width =
      state.MaxConcurrency > 0 ? Math.min(state.MaxConcurrency, items.length) : items.length;
    await Promise.all(Array.from({ length: width }, worker));
    if (failure !== undefined) throw failure;
    return applyResultPath(state.ResultPath, input, results);
  }

  /**
   * Distributed Map, emulated in this process: the items come from the ItemReader's S3 listing
   * (or ItemsPath), each goes through ItemSelector, ItemBatcher groups them, and each item or
   * batch runs the ItemProcessor as a child execution with its own `$$.Execution`, at most
   * MaxConcurrency at once. Failed children are counted against ToleratedFailureCount and
   * ToleratedFailurePercentage (of items; a failed batch counts all its items; neither set
   * tolerates none): past either, no further child starts and the Map fails with
   * `States.ExceedToleratedFailureThreshold`. The output is the children's outputs in order
   * (a tolerated failure's slot holds its `{ Error, Cause }`), or with a ResultWriter the
   * reference to their export in S3 (writeResults).
   */
  private async distributedMap(
    name: string,
    state: MapState,
    input: JsonValue,
    outer: number | undefined,
    context: { [key: string]: JsonValue },
  ): Promise<JsonValue> {
    if (outer !== undefined) {
      throw new StatesError(
        "States.Runtime",
        `Map "${name}" inside a Map iteration is not supported by the local executor`,
      );
    }
    const items = state.ItemReader
      ? await this.readItems(name, state, input, context)
      : arrayAt(name, state.ItemsPath ?? "$", input, context);
    const selected = items.map((item, i) =>
      state.ItemSelector
        ? fill(state.ItemSelector, input, { ...context, Map: { Item: { Index: i, Value: item } } })
        : item,
    );
    const children = state.ItemBatcher
      ? batches(
          selected,
          state.ItemBatcher,
          fill(state.ItemBatcher.BatchInput ?? {}, input, context),
        )
      : selected.map((item) => ({ input: item, items: 1 }));
    const toleratedCount = state.ToleratedFailureCount ?? Number.POSITIVE_INFINITY;
    const toleratedShare = state.ToleratedFailurePercentage ?? Number.POSITIVE_INFINITY;
    const noTolerance =
      state.ToleratedFailureCount === undefined && state.ToleratedFailurePercentage === undefined;
    const results: JsonValue[] = new Array(children.length);
    const records: ChildRecord[] = new Array(children.length);
    const abort = { aborted: false };
    let failedItems = 0;
    let failedChildren = 0;
    let nextChild = 0;
    const execution = context.Execution as { [key: string]: JsonValue };
    const label = state.Label ?? name;
    const worker = async () => {
      while (!abort.aborted && nextChild < children.length) {
        const i = nextChild++;
        const child = children[i] as { input: JsonValue; items: number };
        const childName = `${execution.Name}:${label}:${i}`;
        const startDate = new Date().toISOString();
        const childContext = {
          ...this.context,
          Execution: {
            Id: `${execution.Id}/${label}:${i}`,
            Name: childName,
            Input: child.input,
            StartTime: startDate,
          },
        };
        try {
          results[i] = await this.runStates(
            state.ItemProcessor,
            child.input,
            i,
            abort,
            childContext,
          );
          records[i] = { name: childName, input: child.input, startDate, output: results[i] };
        } catch (thrown) {
          if (abort.aborted) continue;
          const error = asStatesError(thrown);
          results[i] = { Error: error.error, Cause: error.cause };
          records[i] = { name: childName, input: child.input, startDate, error };
          failedItems += child.items;
          failedChildren += 1;
          const share = (failedItems / Math.max(1, items.length)) * 100;
          if (noTolerance || failedItems > toleratedCount || share > toleratedShare)
            abort.aborted = true;
        }
      }
    };
    const width =
      state.MaxConcurrency > 0 ? Math.min(state.MaxConcurrency, children.length) : children.length;
    await Promise.all(Array.from({ length: width }, worker));
    if (abort.aborted) {
      throw new StatesError(
        "States.ExceedToleratedFailureThreshold",
        `Map "${name}": ${failedChildren} child execution(s) failed (${failedItems} of ${items.length} items), more than the tolerated ${noTolerance ? "none" : `${state.ToleratedFailureCount ?? "any"} items / ${state.ToleratedFailurePercentage ?? 100} %`}`,
      );
    }
    const output = state.ResultWriter
      ? await this.writeResults(name, state, label, records, input, context)
      : results;
    return applyResultPath(state.ResultPath, input, output);
  }

  /**
   * ResultWriter, as the developer guide documents the export (Transformation NONE, JSON):
   * under `<Prefix>/<map run id>/`, the children that succeeded in `SUCCEEDED_0.json` and those
   * that failed (tolerated) in `FAILED_0.json`, each a JSON array of `{ ExecutionArn, Input,
   * InputDetails, Name, Output | Error + Cause, OutputDetails, RedriveCount, RedriveStatus,
   * RedriveStatusReason, StartDate, StateMachineArn, Status, StopDate }` with Input and Output
   * as JSON text; then `manifest.json`, `{ DestinationBucket, MapRunArn, ResultFiles: { FAILED,
   * PENDING, SUCCEEDED } }` listing each file as `{ Key, Size }` (a status without children
   * lists none). The state's result is `{ MapRunArn, ResultWriterDetails: { Bucket, Key } }`.
   * A failed write is `States.ResultWriterFailed`. Not emulated: the export of a Map Run that
   * failed, and splitting a status's results over several files (AWS does so past 5 GB).
   */
  private async writeResults(
    name: string,
    state: MapState,
    label: string,
    records: ChildRecord[],
    input: JsonValue,
    context: { [key: string]: JsonValue },
  ): Promise<JsonValue> {
    const params = fill(state.ResultWriter!.Parameters, input, context) as {
      Bucket?: unknown;
      Prefix?: unknown;
    };
    if (
      typeof params.Bucket !== "string" ||
      (params.Prefix !== undefined && typeof params.Prefix !== "string")
    ) {
      throw new StatesError(
        "States.Runtime",
        `Map "${name}": ResultWriter.Parameters must give Bucket (and Prefix) as strings`,
      );
    }
    const put = this.options.putObject;
    if (!put) {
      throw new SpecError(
        `Map "${name}" writes its results to S3, but the executor was given no putObject`,
      );
    }
    const bucket = params.Bucket;
    const machine = this.context.StateMachine as { Id: string; Name: string };
    const account = machine.Id.split(":").slice(0, 5).join(":"); // arn:aws:states:region:account
    const runId = randomUUID();
    const mapRunArn = `${account}:mapRun:${machine.Name}/${label}:${runId}`;
    const stopDate = new Date().toISOString();
    const dir = [params.Prefix?.replace(/\/+$/, ""), runId].filter(Boolean).join("/");
    const entry = (r: ChildRecord) => {
      const failed = r.error !== undefined;
      return {
        ExecutionArn: `${account}:execution:${machine.Name}/${label}:${r.name}`,
        Input: JSON.stringify(r.input),
        InputDetails: { Included: true },
        Name: r.name,
        ...(failed
          ? { Error: r.error!.error, Cause: r.error!.cause }
          : { Output: JSON.stringify(r.output ?? null), OutputDetails: { Included: true } }),
        RedriveCount: 0,
        RedriveStatus: failed ? "REDRIVABLE_BY_MAP_RUN" : "NOT_REDRIVABLE",
        RedriveStatusReason: failed
          ? "Execution is FAILED and can be redriven by its Map Run"
          : "Execution is SUCCEEDED and cannot be redriven",
        StartDate: r.startDate,
        StateMachineArn: `${account}:stateMachine:${machine.Name}/${label}`,
        Status: failed ? "FAILED" : "SUCCEEDED",
        StopDate: stopDate,
      };
    };
    const write = async (key: string, body: string) => {
      try {
        await put({ Bucket: bucket, Key: key, Body: body });
      } catch (thrown) {
        const error = asStatesError(thrown);
        throw new StatesError(
          "States.ResultWriterFailed",
          `Map "${name}" could not write s3://${bucket}/${key}: ${error.error}: ${error.cause}`,
        );
      }
      return { Key: key, Size: Buffer.byteLength(body, "utf8") };
    };
    const ran = records.filter((r) => r !== undefined);
    const files: Record<"FAILED" | "PENDING" | "SUCCEEDED", JsonValue[]> = {
      FAILED: [],
      PENDING: [],
      SUCCEEDED: [],
    };
    for (const status of ["SUCCEEDED", "FAILED"] as const) {
      const entries = ran.map(entry).filter((e) => e.Status === status);
      if (entries.length > 0)
        files[status].push(await write(`${dir}/${status}_0.json`, JSON.stringify(entries)));
    }
    const manifestKey = `${dir}/manifest.json`;
    await write(
      manifestKey,
      JSON.stringify({ DestinationBucket: bucket, MapRunArn: mapRunArn, ResultFiles: files }),
    );
    return { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: bucket, Key: manifestKey } };
  }

  private async readItems(
    name: string,
    state: MapState,
    input: JsonValue,
    context: { [key: string]: JsonValue },
  ): Promise<JsonValue[]> {
    const reader = state.ItemReader!;
    const params = fill(reader.Parameters, input, context) as {
      Bucket?: unknown;
      Prefix?: unknown;
    };
    if (
      typeof params.Bucket !== "string" ||
      (params.Prefix !== undefined && typeof params.Prefix !== "string")
    ) {
      throw new StatesError(
        "States.Runtime",
        `Map "${name}": ItemReader.Parameters must give Bucket (and Prefix) as strings`,
      );
    }
    if (!this.options.listObjects) {
      throw new SpecError(
        `Map "${name}" reads items from S3, but the executor was given no listObjects`,
      );
    }
    let items: JsonValue[];
    try {
      items = await this.options.listObjects({
        Bucket: params.Bucket,
        Prefix: params.Prefix ?? "",
      });
    } catch (thrown) {
      const error = asStatesError(thrown);
      throw new StatesError(
        "States.ItemReaderFailed",
        `Map "${name}" could not list s3://${params.Bucket}/${params.Prefix ?? ""}: ${error.error}: ${error.cause}`,
      );
    }
    const max = reader.ReaderConfig?.MaxItems;
    return max === undefined ? items : items.slice(0, max);
  }

  /** The Next of the first rule that holds, or undefined. */
  private choose(
    name: string,
    rules: (ChoiceRule & { Next: string })[],
    input: JsonValue,
    context: JsonValue,
  ): string | undefined {
    return rules.find((rule) => holds(name, rule, input, context))?.Next;
  }
}

function arrayAt(name: string, path: string, input: JsonValue, context: JsonValue): JsonValue[] {
  const items = readPath(path, input, context);
  if (!Array.isArray(items)) {
    throw new StatesError(
      "States.Runtime",
      `Map "${name}": ItemsPath ${path} must select an array, got ${describe(items)}`,
    );
  }
  return items;
}

/**
 * ItemBatcher: consecutive items, at most MaxItemsPerBatch per batch and at most
 * MaxInputBytesPerBatch of JSON per child input; each child gets `{ Items, BatchInput }`.
 */
function batches(
  items: JsonValue[],
  batcher: ItemBatcher,
  batchInput: JsonValue,
): { input: JsonValue; items: number }[] {
  const maxItems = batcher.MaxItemsPerBatch ?? Number.POSITIVE_INFINITY;
  const maxBytes = batcher.MaxInputBytesPerBatch ?? PAYLOAD_LIMIT_BYTES;
  const out: { input: JsonValue; items: number }[] = [];
  let current: JsonValue[] = [];
  const bytes = (batch: JsonValue[]) =>
    Buffer.byteLength(JSON.stringify({ Items: batch, BatchInput: batchInput }), "utf8");
  for (const item of items) {
    if (
      current.length > 0 &&
      (current.length >= maxItems || bytes([...current, item]) > maxBytes)
    ) {
      out.push({ input: { Items: current, BatchInput: batchInput }, items: current.length });
      current = [];
    }
    current.push(item);
  }
  if (current.length > 0)
    out.push({ input: { Items: current, BatchInput: batchInput }, items: current.length });
  return out;
}

function holds(name: string, rule: ChoiceRule, input: JsonValue, context: JsonValue): boolean {
  if ("And" in rule) return rule.And.every((r) => holds(name, r, input, context));
  if ("Or" in rule) return rule.Or.some((r) => holds(name, r, input, context));
  if ("Not" in rule) return !holds(name, rule.Not, input, context);
  const value = readPath(rule.Variable, input, context);
  if ("IsPresent" in rule) return (value !== undefined) === rule.IsPresent;
  if (value === undefined) {
    throw new StatesError(
      "States.Runtime",
      `Invalid path '${rule.Variable}' in Choice state "${name}": the choice state's condition path references an undefined value.`,
    );
  }
  if ("IsBoolean" in rule) return (typeof value === "boolean") === rule.IsBoolean;
  return value === rule.BooleanEquals;
}

/**
 * The wait before the `retry`-th retry (1-based) under one retrier: IntervalSeconds (default 1)
 * times BackoffRate (default 2) to the power retry - 1, at most MaxDelaySeconds; with FULL
 * jitter a uniform draw between 0 and that.
 */
export function retryDelayMs(
  retrier: Retrier,
  retry: number,
  random: () => number = Math.random,
): number {
  const interval = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** (retry - 1);
  const capped = Math.min(interval, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
  return (retrier.JitterStrategy === "FULL" ? random() * capped : capped) * 1000;
}

/** Whether an ErrorEquals list matches the error, with the wildcards' documented exceptions. */
function matches(names: string[], error: StatesError, stateType: State["Type"]): boolean {
  return names.some((n) => {
    if (n === error.error) return true;
    if (TERMINAL_ERRORS.has(error.error) || error.error === "States.Aborted") return false;
    if (n === "States.ALL") return true;
    return n === "States.TaskFailed" && stateType === "Task" && error.error !== "States.Timeout";
  });
}

function asStatesError(thrown: unknown): StatesError {
  if (thrown instanceof StatesError) return thrown;
  if (thrown instanceof ResultPathMatchFailure) return new StatesError(thrown.name, thrown.message);
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  return new StatesError(error.name || "Error", error.message);
}

/** InputPath/OutputPath: default `$`, null selects `{}`, a path that selects nothing fails. */
function select(
  path: string | null | undefined,
  input: JsonValue,
  context: JsonValue,
  field: string,
): JsonValue {
  if (path === null) return {};
  if (path === undefined || path === "$") return input;
  const value = readPath(path, input, context);
  if (value === undefined)
    throw new StatesError(
      "States.Runtime",
      `Invalid path '${path}' in ${field}: it selects nothing in the input`,
    );
  return value;
}

/** ResultPath: default `$` (the result replaces the input), null keeps the input. */
function applyResultPath(
  path: string | null | undefined,
  input: JsonValue,
  result: JsonValue,
): JsonValue {
  if (path === null) return input;
  return writePath(path ?? "$", input, result);
}

/** A payload template: keys ending in `.$` take the value their path selects. */
function fill(
  template: { [key: string]: JsonValue },
  input: JsonValue,
  context: JsonValue,
): JsonValue {
  const filled: { [key: string]: JsonValue } = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith(".$") && typeof value === "string") {
      const selected = readPath(value, input, context);
      if (selected === undefined) {
        throw new StatesError(
          "States.Runtime",
          `The JSONPath '${value}' specified for the field '${key}' could not be found in the input`,
        );
      }
      filled[key.slice(0, -2)] = selected;
    } else {
      filled[key] =
        value !== null && typeof value === "object" && !Array.isArray(value)
          ? fill(value, input, context)
          : value;
    }
  }
  return filled;
}

function stringAt(path: string, input: JsonValue, context: JsonValue): string | undefined {
  const value = readPath(path, input, context);
  return value === undefined
    ? undefined
    : typeof value === "string"
      ? value
      : JSON.stringify(value);
}

function checkSize(value: JsonValue, what: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(value ?? null), "utf8");
  if (bytes > PAYLOAD_LIMIT_BYTES) {
    throw new StatesError(
      "States.DataLimitExceeded",
      `${what} is ${Math.ceil(bytes / 1024)} KiB; state payloads are limited to ${PAYLOAD_LIMIT_BYTES / 1024} KiB: store the data as an artifact and pass its URI`,
    );
  }
}

function describe(value: JsonValue | undefined): string {
  if (value === undefined) return "nothing";
  return Array.isArray(value) ? "an array" : value === null ? "null" : typeof value;
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** Races the work against TimeoutSeconds (States.Timeout); the timer never keeps Node alive. */
async function withTimeout<T>(
  work: Promise<T>,
  seconds: number | undefined,
  what: string,
): Promise<T> {
  if (seconds === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StatesError(
            "States.Timeout",
            `${what} ran longer than its TimeoutSeconds (${seconds} s)`,
          ),
        ),
      seconds * 1000,
    );
    timer.unref();
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Folds a Step Functions execution history (GetExecutionHistory events, oldest first) into
 * what `orchard run` reports for a local execution: the same `ExecutionEvent`s (so the same
 * progress view renders a cloud execution), per-state records with durations and attempts,
 * and the state whose error ended the run.
 *
 * How the history is read:
 * - `<Type>StateEntered` opens a state; `<Type>StateExited` closes it. A state whose error was
 *   caught is not exited: it closes when the next state of its scope is entered.
 * - `LambdaFunction*` / `Task*` events are attempts of the open Task state they follow
 *   (through `previousEventId`); a second `Scheduled` in one state is a retry.
 * - Events inside an inline Map carry no iteration index; it is inherited along
 *   `previousEventId` from the `MapIterationStarted` event.
 */
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import {
  decodeCause,
  type ErrorInfo,
  type ExecutionEvent,
  type StateRecord,
  type StateStatus,
} from "../local/executor.ts";

/** A history event as the SDK returns it, or as JSON (timestamps as ISO text). */
export type HistoryEventLike = Omit<HistoryEvent, "timestamp"> & {
  timestamp: Date | string | number | undefined;
};

export interface Attempt {
  startedAt: number;
  endedAt?: number;
  /** The Lambda function (or integration) ARN the attempt invoked. */
  resource?: string;
  error?: ErrorInfo;
}

export interface CloudStateRecord extends StateRecord {
  /** `Task`, `Map`, `Choice`, `Succeed`, `Fail`, `Pass`, … */
  type: string;
  tries: Attempt[];
  /** The raw Cause of the last error (Lambda's JSON payload with the trace). */
  cause?: string;
}

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

export interface Failure extends ErrorInfo {
  state: string;
  cause?: string;
}

interface Open extends CloudStateRecord {
  scope: string;
  caught: boolean;
}

const TERMINAL: Record<string, ExecutionStatus> = {
  ExecutionSucceeded: "SUCCEEDED",
  ExecutionFailed: "FAILED",
  ExecutionTimedOut: "TIMED_OUT",
  ExecutionAborted: "ABORTED",
};

/** Events of one attempt of a Task state (a Lambda invoke or a service integration). */
const ATTEMPT_EVENT =
  /^(LambdaFunction|Task|Activity)(Scheduled|ScheduleFailed|Started|StartFailed|Submitted|SubmitFailed|Succeeded|Failed|TimedOut)$/;

const ITERATION_EVENTS = new Set([
  "MapIterationStarted",
  "MapIterationSucceeded",
  "MapIterationFailed",
  "MapIterationAborted",
]);

function millis(t: HistoryEventLike["timestamp"]): number {
  return t === undefined ? 0 : new Date(t).getTime();
}

/** The error and cause fields of whichever `*EventDetails` the event carries. */
function errorDetails(event: HistoryEventLike): { error?: string; cause?: string } | undefined {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith("EventDetails") && value && typeof value === "object" && "error" in value) {
      return value as { error?: string; cause?: string };
    }
  }
  return undefined;
}

export class HistoryTimeline {
  readonly records: CloudStateRecord[] = [];
  status: ExecutionStatus = "RUNNING";
  startedAt?: number;
  stoppedAt?: number;
  /** The error the execution itself ended with (ExecutionFailed / TimedOut / Aborted). */
  executionError?: ErrorInfo & { cause?: string };
  /** The id of the last event added; pollers continue after it. */
  lastEventId = 0;

  private readonly byId = new Map<number, { record?: Open; iteration?: number; type: string }>();
  private readonly open: Open[] = [];
  private firstCaught?: Open;

  constructor(private readonly onEvent?: (event: ExecutionEvent) => void) {}

  /** Adds events in id order; an event already seen is ignored. */
  addAll(events: HistoryEventLike[]): void {
    for (const event of events) this.add(event);
  }

  add(event: HistoryEventLike): void {
    const id = event.id ?? 0;
    if (id <= this.lastEventId) return;
    this.lastEventId = id;
    const type = event.type ?? "";
    const at = millis(event.timestamp);
    const prev = this.byId.get(event.previousEventId ?? -1);
    const iteration = this.iterationOf(event, type, prev);
    let record = prev?.record;

    if (type === "ExecutionStarted") this.startedAt = at;
    if (type === "ExecutionRedriven") {
      this.status = "RUNNING";
      this.stoppedAt = undefined;
      this.executionError = undefined;
      this.firstCaught = undefined;
    }
    if (type in TERMINAL) this.end(event, type, at);

    const scope = iteration === undefined ? "" : String(iteration);
    const entered = /^(\w+)StateEntered$/.exec(type);
    if (entered) {
      const name = event.stateEnteredEventDetails?.name ?? "?";
      // Entering a state ends whatever its scope still has open (a caught, unexited state).
      for (const o of this.open.filter((r) => r.scope === scope)) this.close(o, at);
      record = this.openRecord(name, entered[1], scope, iteration, at);
    } else if (/StateExited$/.test(type)) {
      const name = event.stateExitedEventDetails?.name;
      const exited = this.open.find((r) => r.scope === scope && r.name === name);
      if (exited) this.close(exited, at);
    } else if (record && ATTEMPT_EVENT.test(type)) {
      this.attemptEvent(record, type, event, at);
    }
    if (type === "MapIterationFailed" || type === "MapIterationAborted") {
      // The Map's error is its failed iteration's error.
      const failed = this.records.findLast((r) => r.iteration === iteration && r.error);
      const map = this.open.find((r) => r.scope === "" && r.type === "Map");
      if (map && failed?.error) {
        map.error = failed.error;
        map.cause = failed.cause;
      }
    }
    if (ITERATION_EVENTS.has(type) && type !== "MapIterationStarted") {
      for (const o of this.open.filter((r) => r.scope === scope)) this.close(o, at);
    }
    const live = record && this.open.includes(record) ? record : undefined;
    this.byId.set(id, { record: live, iteration, type });
  }

  /**
   * The state whose error ended the run: the first top-level state whose error was caught
   * (the Map, for a failed Train iteration); else the last top-level state that failed; else
   * the execution's own error.
   */
  failure(): Failure | undefined {
    if (this.status === "SUCCEEDED" || this.status === "RUNNING") return undefined;
    const top = this.records.filter((r) => r.iteration === undefined && r.type !== "Fail");
    const failed = this.firstCaught ?? top.findLast((r) => r.status === "FAILED" && r.error);
    if (failed?.error) return { state: failed.name, ...failed.error, cause: failed.cause };
    const error = this.executionError ?? { name: this.status, message: "" };
    return { state: top.at(-1)?.name ?? "(execution)", ...error };
  }

  /** Records as reported (open ones as they are now). */
  states(): CloudStateRecord[] {
    return this.records.map((r) => {
      const { scope: _s, caught: _c, ...rest } = r as Open;
      return { ...rest, tries: rest.tries.map((t) => ({ ...t })) };
    });
  }

  private iterationOf(
    event: HistoryEventLike,
    type: string,
    prev: { iteration?: number; type: string } | undefined,
  ): number | undefined {
    if (ITERATION_EVENTS.has(type)) {
      const details =
        event.mapIterationStartedEventDetails ??
        event.mapIterationSucceededEventDetails ??
        event.mapIterationFailedEventDetails ??
        event.mapIterationAbortedEventDetails;
      return details?.index;
    }
    if (/^(MapState|MapRun|Execution)/.test(type)) return undefined;
    if (!prev || (ITERATION_EVENTS.has(prev.type) && prev.type !== "MapIterationStarted")) {
      return undefined;
    }
    return prev.iteration;
  }

  private openRecord(
    name: string,
    type: string,
    scope: string,
    iteration: number | undefined,
    at: number,
  ): Open {
    const record: Open = {
      name,
      ...(iteration === undefined ? {} : { iteration }),
      startedAt: at,
      durationMs: 0,
      status: "RUNNING",
      attempts: 1,
      type,
      tries: [],
      scope,
      caught: false,
    };
    this.records.push(record);
    this.open.push(record);
    this.emit("started", record, at);
    return record;
  }

  private attemptEvent(record: Open, type: string, event: HistoryEventLike, at: number): void {
    if (type.endsWith("Scheduled")) {
      const last = record.tries.at(-1);
      if (last) {
        this.emit("retried", record, at, last.error);
        record.attempts = record.tries.length + 1;
      }
      const resource =
        event.lambdaFunctionScheduledEventDetails?.resource ??
        event.taskScheduledEventDetails?.resource;
      record.tries.push({ startedAt: at, ...(resource ? { resource } : {}) });
      return;
    }
    const attempt = record.tries.at(-1);
    if (/Succeeded$/.test(type) && attempt) {
      attempt.endedAt = at;
      delete attempt.error;
      return;
    }
    if (/(Failed|TimedOut)$/.test(type)) {
      const details = errorDetails(event);
      const name = details?.error ?? (type.endsWith("TimedOut") ? "States.Timeout" : "Error");
      const error = { name, message: decodeCause(details?.cause ?? "") };
      if (attempt) {
        attempt.endedAt = at;
        attempt.error = error;
      }
      record.error = error;
      record.cause = details?.cause;
    }
  }

  private end(event: HistoryEventLike, type: string, at: number): void {
    this.status = TERMINAL[type];
    this.stoppedAt = at;
    const details = errorDetails(event);
    if (type !== "ExecutionSucceeded") {
      this.executionError = {
        name: details?.error ?? (type === "ExecutionTimedOut" ? "States.Timeout" : this.status),
        message: decodeCause(details?.cause ?? ""),
        ...(details?.cause ? { cause: details.cause } : {}),
      };
    }
    for (const o of [...this.open]) this.close(o, at, type !== "ExecutionSucceeded");
  }

  /**
   * A state that ends with its last attempt failed (or a Map whose iteration failed) was
   * caught, or ended the run; a Fail state fails with the execution's error.
   */
  private close(record: Open, at: number, executionEnded = false): void {
    if (record.type === "Fail" && this.executionError) record.error = this.executionError;
    const last = record.tries.at(-1);
    const failed = record.error !== undefined && (last === undefined || last.error !== undefined);
    let status: StateStatus;
    if (failed) status = "FAILED";
    else if (executionEnded && record.type !== "Succeed") status = "ABORTED";
    else status = record.attempts > 1 ? "RETRIED" : "SUCCEEDED";
    if (!failed) {
      delete record.error;
      delete record.cause;
    }
    record.status = status;
    record.durationMs = at - record.startedAt;
    this.open.splice(this.open.indexOf(record), 1);
    if (status === "FAILED") {
      record.caught = !executionEnded;
      if (record.caught && !this.firstCaught && record.scope === "") this.firstCaught = record;
      this.emit("failed", record, at, record.error);
    } else if (status !== "ABORTED") {
      this.emit("succeeded", record, at);
    }
  }

  private emit(
    kind: ExecutionEvent["kind"],
    record: Open,
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

/** Folds a whole history at once. */
export function foldHistory(
  events: HistoryEventLike[],
  onEvent?: (event: ExecutionEvent) => void,
): HistoryTimeline {
  const timeline = new HistoryTimeline(onEvent);
  timeline.addAll([...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0)));
  return timeline;
}

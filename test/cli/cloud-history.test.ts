import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { historyText } from "../../cli/cloud/format.ts";
import { foldHistory, type HistoryEventLike, HistoryTimeline } from "../../cli/cloud/history.ts";
import { logLinks } from "../../cli/cloud/log-links.ts";
import type { ExecutionEvent } from "../../cli/local/executor.ts";
import { createProgress } from "../../cli/progress.ts";

const FIXTURE = JSON.parse(
  readFileSync(new URL("../fixtures/cloud/failed-execution-history.json", import.meta.url), "utf8"),
) as { executionArn: string; events: HistoryEventLike[] };
const EVENTS = FIXTURE.events;

const ms = (e: HistoryEventLike) => new Date(e.timestamp as string).getTime();

/** The fixture's own timestamp of the n-th event naming `state` with `type`. */
function at(type: string, state: string, nth = 0): number {
  const found = EVENTS.filter(
    (e) =>
      e.type === type &&
      (e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name) === state,
  );
  return ms(found[nth]);
}

function collect(events: HistoryEventLike[]) {
  const seen: ExecutionEvent[] = [];
  const timeline = foldHistory(events, (e) => seen.push(e));
  return { timeline, seen };
}

/** A stream the progress view writes to, recording what it wrote. */
function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = {
    isTTY,
    write: (s: string) => chunks.push(s) > 0,
  } as unknown as NodeJS.WriteStream;
  return { stream, text: () => chunks.join("") };
}

describe("HistoryTimeline over the recorded failed execution", () => {
  const { timeline, seen } = collect(EVENTS);
  const states = timeline.states();

  it.each([
    ["Ingest", undefined, "SUCCEEDED", 1],
    ["Validate", undefined, "SUCCEEDED", 1],
    ["Preprocess", undefined, "RETRIED", 2],
    ["Train", undefined, "SUCCEEDED", 1],
    ["TrainCandidate", 0, "SUCCEEDED", 1],
    ["TrainCandidate", 1, "SUCCEEDED", 1],
    ["Select", undefined, "SUCCEEDED", 1],
    ["Evaluate", undefined, "FAILED", 1],
    ["NotifyFailure", undefined, "SUCCEEDED", 1],
    ["Failed", undefined, "FAILED", 1],
  ])("%s[%s] ends %s after %i attempt(s)", (name, iteration, status, attempts) => {
    const record = states.find((s) => s.name === name && s.iteration === iteration);
    expect(record?.status).toBe(status);
    expect(record?.attempts).toBe(attempts);
  });

  it.each(["Ingest", "Validate", "Preprocess", "Select", "NotifyFailure"])(
    "%s lasts from its entry to its exit",
    (name) => {
      const record = states.find((s) => s.name === name);
      expect(record?.durationMs).toBe(at("TaskStateExited", name) - at("TaskStateEntered", name));
    },
  );

  it("a caught state (no exit event) lasts until the next state is entered", () => {
    const evaluate = states.find((s) => s.name === "Evaluate");
    expect(evaluate?.durationMs).toBe(
      at("TaskStateEntered", "NotifyFailure") - at("TaskStateEntered", "Evaluate"),
    );
  });

  it("Map iterations are told apart through previousEventId although they interleave", () => {
    const second = states.find((s) => s.name === "TrainCandidate" && s.iteration === 1);
    expect(second?.durationMs).toBe(
      at("TaskStateExited", "TrainCandidate", 0) - at("TaskStateEntered", "TrainCandidate", 1),
    );
  });

  it("reports the failing state with the decoded Lambda error and the raw cause", () => {
    const failure = timeline.failure();
    expect(failure?.state).toBe("Evaluate");
    expect(failure?.name).toBe("ArtifactError");
    expect(failure?.message).toMatch(/^The object at s3:\/\/.* is corrupt/);
    expect(JSON.parse(failure?.cause ?? "{}").errorType).toBe("ArtifactError");
    expect(timeline.status).toBe("FAILED");
  });

  it("emits a retried event carrying the first attempt's error", () => {
    const retried = seen.filter((e) => e.kind === "retried");
    expect(retried).toHaveLength(1);
    expect(retried[0]).toMatchObject({
      state: "Preprocess",
      attempt: 1,
      error: { name: "StorageUnavailableError" },
    });
  });

  it("emits started before the end of every state, in history order", () => {
    const started = seen.filter((e) => e.kind === "started").map((e) => e.state);
    expect(started).toEqual([
      "Ingest",
      "Validate",
      "Preprocess",
      "Train",
      "TrainCandidate",
      "TrainCandidate",
      "Select",
      "Evaluate",
      "NotifyFailure",
      "Failed",
    ]);
    const timestamps = seen.map((e) => e.timestamp);
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
  });

  it("gives the same events whatever the polls' page boundaries", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: EVENTS.length - 1 })), (cuts) => {
        const got: ExecutionEvent[] = [];
        const incremental = new HistoryTimeline((e) => got.push(e));
        const bounds = [0, ...[...cuts].sort((a, b) => a - b), EVENTS.length];
        for (let i = 1; i < bounds.length; i++) {
          // Each poll re-sends one already-seen event, as a poller may.
          incremental.addAll(EVENTS.slice(Math.max(0, bounds[i - 1] - 1), bounds[i]));
        }
        expect(got).toEqual(seen);
      }),
      { numRuns: 50 },
    );
  });
});

describe("rendering the recorded history", () => {
  it("plain progress (CI logs) prints one line per transition with durations from the history", () => {
    const { stream, text } = fakeStream(false);
    const progress = createProgress(stream, true);
    foldHistory(EVENTS, (e) => progress.onEvent(e));
    progress.finish();
    const lines = text().trimEnd().split("\n");
    expect(lines[0]).toBe("orchard: Ingest started");
    expect(lines).toContain(
      `orchard: Ingest succeeded in ${at("TaskStateExited", "Ingest") - at("TaskStateEntered", "Ingest")} ms`,
    );
    expect(lines).toContain(
      "orchard: Preprocess attempt 1 failed (StorageUnavailableError), retrying",
    );
    expect(lines).toContain("orchard: TrainCandidate[1] started");
    expect(lines.find((l) => l.startsWith("orchard: Evaluate failed in"))).toMatch(
      /: ArtifactError: The object at s3:\/\//,
    );
  });

  it("the live view (TTY) ends with every row settled: done, failed, and Map iterations counted", () => {
    const { stream, text } = fakeStream(true);
    const progress = createProgress(stream, true);
    foldHistory(EVENTS, (e) => progress.onEvent(e));
    progress.finish();
    const ESC = String.fromCharCode(27);
    const frames = text().split(new RegExp(`${ESC}\\[\\d+A`));
    const last = frames.at(-1)?.replaceAll(`${ESC}[2K`, "") ?? "";
    const rows = last.trimEnd().split("\n");
    expect(rows.map((r) => r.slice(2, 16).trim())).toEqual([
      "Ingest",
      "Validate",
      "Preprocess",
      "Train",
      "Select",
      "Evaluate",
      "NotifyFailure",
      "Failed",
    ]);
    expect(rows[0]).toMatch(/^✔ Ingest\s+1\.3s$/);
    expect(rows[3]).toMatch(/^✔ Train\s+\d+\.\ds 2\/2$/);
    expect(rows[5]).toMatch(/^✖ Evaluate/);
  });

  it("the history view lists iterations under their Map and ends with the failure and trace", () => {
    const text = historyText(foldHistory(EVENTS));
    expect(text).toContain("  Preprocess");
    expect(text).toMatch(/ {4}TrainCandidate\[0\]\s+\d+\.\d s {2}SUCCEEDED/);
    expect(text).toMatch(/Preprocess\s+\d+\.\d s {2}RETRIED \(2 attempts\)/);
    expect(text).toMatch(/\nFailed in Evaluate: ArtifactError: The object at/);
    expect(text).toMatch(/Cause:\n {2}ArtifactError: .*\n {6}at handler/);
  });
});

describe("other histories", () => {
  const base = EVENTS.slice(
    0,
    EVENTS.findIndex(
      (e) => e.type === "TaskStateEntered" && e.stateEnteredEventDetails?.name === "NotifyFailure",
    ),
  );
  const lastId = (events: HistoryEventLike[]) => events.at(-1)?.id ?? 0;
  const next = (
    events: HistoryEventLike[],
    type: string,
    extra: Partial<HistoryEventLike> = {},
  ) => {
    const prev = events.at(-1) as HistoryEventLike;
    return [
      ...events,
      {
        id: lastId(events) + 1,
        previousEventId: prev.id,
        timestamp: new Date(ms(prev) + 100).toISOString(),
        type,
        ...extra,
      } as HistoryEventLike,
    ];
  };

  it("a caught state that does have an exit event still counts as failed", () => {
    const withExit = next(base, "TaskStateExited", {
      stateExitedEventDetails: { name: "Evaluate" },
    });
    const timeline = foldHistory(
      next(withExit, "TaskStateEntered", { stateEnteredEventDetails: { name: "NotifyFailure" } }),
    );
    expect(timeline.states().find((s) => s.name === "Evaluate")?.status).toBe("FAILED");
  });

  it("an abort while a state runs leaves it ABORTED and the execution ABORTED", () => {
    const running = base.slice(0, -1); // Evaluate entered, scheduled, started
    const timeline = foldHistory(next(running, "ExecutionAborted"));
    expect(timeline.status).toBe("ABORTED");
    expect(timeline.states().find((s) => s.name === "Evaluate")?.status).toBe("ABORTED");
    expect(timeline.failure()).toMatchObject({ state: "Evaluate", name: "ABORTED" });
  });

  it("a still running execution has its open state RUNNING and no failure", () => {
    const timeline = foldHistory(base.slice(0, -1));
    expect(timeline.status).toBe("RUNNING");
    expect(timeline.states().at(-1)).toMatchObject({ name: "Evaluate", status: "RUNNING" });
    expect(timeline.failure()).toBeUndefined();
  });

  it("a failed Map iteration fails the Map with the iteration's error", () => {
    const upToMap = EVENTS.slice(
      0,
      EVENTS.findIndex((e) => e.type === "LambdaFunctionSucceeded" && e.id === 30),
    );
    const failedIteration = next(
      [
        ...upToMap,
        {
          id: 30,
          previousEventId: 29,
          timestamp: "2025-03-14T09:00:15.000Z",
          type: "LambdaFunctionFailed",
          lambdaFunctionFailedEventDetails: {
            error: "InsufficientDataError",
            cause: JSON.stringify({
              errorType: "InsufficientDataError",
              errorMessage: "too few rows",
            }),
          },
        } as HistoryEventLike,
      ],
      "MapIterationFailed",
      { mapIterationFailedEventDetails: { name: "Train", index: 1 } },
    );
    const ended = next(next(failedIteration, "MapStateFailed"), "TaskStateEntered", {
      stateEnteredEventDetails: { name: "NotifyFailure" },
    });
    const timeline = foldHistory(
      next(ended, "ExecutionFailed", {
        executionFailedEventDetails: { error: "InsufficientDataError" },
      }),
    );
    expect(timeline.states().find((s) => s.name === "Train")?.status).toBe("FAILED");
    expect(timeline.failure()).toMatchObject({
      state: "Train",
      name: "InsufficientDataError",
      message: "too few rows",
    });
  });

  it("after a redrive the execution's status follows the redriven run", () => {
    let events = next(EVENTS, "ExecutionRedriven", {
      executionRedrivenEventDetails: { redriveCount: 1 },
    });
    events = next(events, "TaskStateEntered", { stateEnteredEventDetails: { name: "Evaluate" } });
    events = next(events, "TaskStateExited", { stateExitedEventDetails: { name: "Evaluate" } });
    events = next(events, "ExecutionSucceeded");
    const timeline = foldHistory(events);
    expect(timeline.status).toBe("SUCCEEDED");
    expect(timeline.failure()).toBeUndefined();
    expect(
      timeline
        .states()
        .filter((s) => s.name === "Evaluate")
        .map((s) => s.status),
    ).toEqual(["FAILED", "SUCCEEDED"]);
  });
});

describe("log links", () => {
  const links = logLinks(foldHistory(EVENTS).states());

  it("has one link per Lambda invocation, retries and Map iterations included", () => {
    const invocations = EVENTS.filter((e) => e.type === "LambdaFunctionScheduled").length;
    expect(links).toHaveLength(invocations);
    expect(links.filter((l) => l.state === "Preprocess").map((l) => l.attempt)).toEqual([1, 2]);
  });

  it("points at Lambda's default log group, escaped the way the console expects", () => {
    const evaluate = links.find((l) => l.state === "Evaluate");
    expect(evaluate?.logGroup).toBe("/aws/lambda/orchard-penguins-evaluate-5f3c2a1");
    expect(evaluate?.fromOutputs).toBe(false);
    expect(evaluate?.url).toMatch(
      /^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=eu-west-1#logsV2:log-groups\/log-group\/\$252Faws\$252Flambda\$252Forchard-penguins-evaluate-5f3c2a1\/log-events\$3Fstart\$3D\d+\$26end\$3D\d+$/,
    );
    expect(evaluate?.error).toMatch(/^ArtifactError: /);
  });

  it("the window covers the attempt", () => {
    const evaluate = links.find((l) => l.state === "Evaluate");
    const [, start, end] = /start\$3D(\d+)\$26end\$3D(\d+)/.exec(evaluate?.url ?? "") ?? [];
    const scheduled = EVENTS.find(
      (e) =>
        e.type === "LambdaFunctionScheduled" &&
        e.lambdaFunctionScheduledEventDetails?.resource?.includes("evaluate"),
    );
    const failedAt = EVENTS.find(
      (e) => e.type === "LambdaFunctionFailed" && e.id && e.id > (scheduled?.id ?? 0),
    );
    expect(Number(start)).toBeLessThan(ms(scheduled as HistoryEventLike));
    expect(Number(end)).toBeGreaterThan(ms(failedAt as HistoryEventLike));
  });

  it("uses a step's log group from the stack outputs when given", () => {
    const custom = logLinks(foldHistory(EVENTS).states(), { train: "/orchard/staging/train" });
    const train = custom.filter((l) => l.state === "TrainCandidate");
    expect(train.map((l) => [l.iteration, l.logGroup, l.fromOutputs])).toEqual([
      [0, "/orchard/staging/train", true],
      [1, "/orchard/staging/train", true],
    ]);
  });
});

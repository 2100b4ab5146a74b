import { describe, expect, it, vi } from "vitest";
import { type ExecutionEvent, executeLocally, type StepHandler } from "../../cli/local/executor.ts";
import {
  InsufficientDataError,
  OrchardError,
  SpecError,
  TargetError,
  TransientError,
} from "../../pipeline/errors.ts";
import { type BatchMapRun, batchResults } from "../../pipeline/steps/batch-score.ts";
import { MemoryArtifactStore } from "../../pipeline/store-memory.ts";
import type { JsonValue } from "../../pipeline/workflow/asl.ts";
import { buildDefinition } from "../../pipeline/workflow/definition.ts";
import { localResources, type StepName } from "../../pipeline/workflow/steps.ts";

/** Stands in for lambdas/io's storage error: only its name matters to the state machine. */
class StorageUnavailableError extends OrchardError {}

const resources = localResources("demo");

interface Candidate {
  id: string;
  score: number;
}
interface RunState {
  preprocess?: { candidates: Candidate[] };
  train?: { candidate: string; score: number }[];
  evaluate?: { promote?: unknown };
  error?: { Error: string; Cause: string };
}

/** Small in-test steps that pass references only; each is a vi.fn so calls can be counted. */
function makeHandlers(
  candidates = 3,
  overrides: Partial<Record<StepName, StepHandler>> = {},
): Record<StepName, ReturnType<typeof vi.fn<StepHandler>>> {
  const defaults: Record<StepName, StepHandler> = {
    ingest: async () => ({ rawUri: "s3://raw/demo/abc.csv" }),
    validate: async () => ({ reportUri: "s3://artifacts/demo/report.json" }),
    drift: async () => ({ retrain: true }),
    preprocess: async () => ({
      candidates: Array.from({ length: candidates }, (_, i) => ({ id: `c${i}`, score: i / 10 })),
    }),
    train: async (event) => {
      const { candidate } = event as { candidate: Candidate };
      return { candidate: candidate.id, score: candidate.score };
    },
    select: async (event) => {
      const trained = (event as RunState).train ?? [];
      return { best: [...trained].sort((a, b) => b.score - a.score)[0]?.candidate };
    },
    trainShard: async (event) => {
      const { shard } = event as { shard: { from: number; to: number } };
      return { ...shard, shardUri: `s3://artifacts/demo/shards/${shard.from}.orchard-shard` };
    },
    assemble: async (event) => ({
      best: (event as { select?: { best?: string } }).select?.best,
      assembled: true,
    }),
    evaluate: async () => ({ promote: true }),
    report: async () => ({ reportUri: "s3://artifacts/demo/reports/test-run.html" }),
    canary: async () => ({ enabled: false, waitSeconds: 0 }),
    promote: async () => ({ version: 1 }),
    batchScore: async () => ({ enabled: false, reason: "no batch" }),
    notifyFailure: async () => ({ notified: true }),
  };
  const merged = { ...defaults, ...overrides };
  return Object.fromEntries(
    Object.entries(merged).map(([step, fn]) => [step, vi.fn<StepHandler>(fn)]),
  ) as Record<StepName, ReturnType<typeof vi.fn<StepHandler>>>;
}

function run(
  handlers: Record<StepName, StepHandler>,
  extra: {
    trainConcurrency?: number;
    onEvent?: (e: ExecutionEvent) => void;
    listObjects?: (r: { Bucket: string; Prefix: string }) => Promise<JsonValue[]>;
    putObject?: (r: { Bucket: string; Key: string; Body: string }) => Promise<void>;
  } = {},
) {
  return executeLocally({
    ...(extra.listObjects ? { listObjects: extra.listObjects } : {}),
    ...(extra.putObject ? { putObject: extra.putObject } : {}),
    definition: buildDefinition(
      { pipeline: "demo", trainConcurrency: extra.trainConcurrency },
      resources,
    ),
    handlers,
    resources,
    input: { pipeline: "demo", specUri: "s3://specs/demo.yaml", run: { pipeline: "demo" } },
    onEvent: extra.onEvent,
    retryIntervalOverrides: { Ingest: 0, Preprocess: 0, TrainCandidate: 0, NotifyFailure: 0 },
    executionId: "test-run",
  });
}

function topLevel(states: { name: string; iteration?: number }[]): string[] {
  return states.filter((s) => s.iteration === undefined).map((s) => s.name);
}

describe("executeLocally", () => {
  it("runs the happy path to Promoted with every step's references merged into the state", async () => {
    const handlers = makeHandlers();
    const result = await run(handlers);
    expect(result.status).toBe("SUCCEEDED");
    expect(result.endState).toBe("Promoted");
    expect(result.executionId).toBe("test-run");
    expect(topLevel(result.states)).toEqual([
      "Ingest",
      "Validate",
      "Drift",
      "Retrain",
      "Preprocess",
      "Train",
      "Select",
      "Sharded",
      "Evaluate",
      "Report",
      "Gate",
      "CanaryStart",
      "CanaryChoice",
      "Promote",
      "BatchScore",
      "Batch",
      "Promoted",
    ]);
    expect(result.output).toMatchObject({
      pipeline: "demo",
      ingest: { rawUri: "s3://raw/demo/abc.csv" },
      select: { best: "c2" },
      promote: { version: 1 },
    });
    expect(handlers.promote).toHaveBeenCalledTimes(1);
    expect(handlers.notifyFailure).not.toHaveBeenCalled();
    // Evaluate sees the references of every earlier step.
    expect(Object.keys(handlers.evaluate.mock.calls[0][0] as object)).toEqual(
      expect.arrayContaining(["ingest", "validate", "preprocess", "train", "select"]),
    );
  });

  it.each([
    ["false", false],
    ["the string 'true'", "true"],
    ["missing", undefined],
  ])(
    "ends in NotPromoted without calling Promote when evaluate.promote is %s",
    async (_, promote) => {
      const handlers = makeHandlers(2, {
        evaluate: async () => (promote === undefined ? { metrics: {} } : { promote }),
      });
      const result = await run(handlers);
      expect(result.status).toBe("SUCCEEDED");
      expect(result.endState).toBe("NotPromoted");
      expect(handlers.promote).not.toHaveBeenCalled();
    },
  );

  it.each([1, 5])(
    "fans Train out over %i candidates, each with its candidate and the run",
    async (n) => {
      const handlers = makeHandlers(n);
      const result = await run(handlers);
      expect(handlers.train).toHaveBeenCalledTimes(n);
      const events = handlers.train.mock.calls.map(
        ([e]) => e as { candidate: Candidate; run: RunState },
      );
      expect(events.map((e) => e.candidate.id).sort()).toEqual(
        Array.from({ length: n }, (_, i) => `c${i}`),
      );
      for (const e of events) expect(e.run.preprocess?.candidates).toHaveLength(n);
      expect((result.output as RunState).train?.map((t) => t.candidate)).toEqual(
        Array.from({ length: n }, (_, i) => `c${i}`),
      );
      const iterations = result.states.filter((s) => s.name === "TrainCandidate");
      expect(iterations.map((s) => s.iteration).sort()).toEqual(
        Array.from({ length: n }, (_, i) => i),
      );
    },
  );

  it("grows Select's shard plan in FitShards, one TrainShard per range, then Assemble replaces $.select", async () => {
    const plan = [
      { from: 0, to: 34 },
      { from: 34, to: 67 },
      { from: 67, to: 100 },
    ];
    const handlers = makeHandlers(2, {
      select: async () => ({ best: "c1", shards: plan }),
    });
    const result = await run(handlers);
    expect(result.status).toBe("SUCCEEDED");
    expect(topLevel(result.states).slice(6, 11)).toEqual([
      "Select",
      "Sharded",
      "FitShards",
      "Assemble",
      "Evaluate",
    ]);
    expect(handlers.trainShard.mock.calls.map(([e]) => (e as { shard: unknown }).shard)).toEqual(
      plan,
    );
    const assembled = handlers.assemble.mock.calls[0][0] as RunState & { shards: unknown[] };
    expect(assembled.shards).toHaveLength(3);
    expect(result.output).toMatchObject({ select: { best: "c1", assembled: true } });
    expect(handlers.evaluate.mock.calls[0][0]).toMatchObject({ select: { assembled: true } });
  });

  it("scores a listed prefix in ScoreFiles child executions when BatchScore enables it", async () => {
    const keys = Array.from({ length: 23 }, (_, i) => ({ Key: `in/f${i}.csv`, Size: 1 }));
    const listed: unknown[] = [];
    // The ResultWriter's export, kept here and read back by BatchResults.
    const exported = new MemoryArtifactStore();
    const handlers = makeHandlers(1, {
      batchScore: async (event) => {
        if ("Items" in (event as object))
          return { fileCount: (event as { Items: unknown[] }).Items.length, rowCount: 1 };
        const { mapRun } = (event as { batchScore: { mapRun?: BatchMapRun } }).batchScore ?? {};
        if (mapRun) return batchResults({ manifest: mapRun.ResultWriterDetails }, exported);
        return {
          enabled: true,
          modelVersion: "v1",
          listing: { bucket: "landing", prefix: "in/" },
          resultWriter: { bucket: "orchard-artifacts", prefix: "demo/batch-results" },
          capture: null,
        };
      },
    });
    const puts: string[] = [];
    const result = await run(handlers, {
      listObjects: async (request) => {
        listed.push(request);
        return keys;
      },
      putObject: async ({ Bucket, Key, Body }) => {
        puts.push(`${Bucket}/${Key}`);
        await exported.put("artifacts", Key, new TextEncoder().encode(Body));
      },
    });
    expect(result.status).toBe("SUCCEEDED");
    expect(listed).toEqual([{ Bucket: "landing", Prefix: "in/" }]);
    const children = result.states.filter((s) => s.name === "ScoreFileBatch");
    expect(children).toHaveLength(3);
    const first = handlers.batchScore.mock.calls[1][0] as { Items: unknown[]; BatchInput: unknown };
    expect(first.Items[0]).toEqual({ key: "in/f0.csv" });
    expect(first.BatchInput).toEqual({
      pipeline: "demo",
      version: "v1",
      bucket: "landing",
      capture: null,
    });
    // The children's results are in S3, the state holds the Map Run and BatchResults' totals.
    expect(puts.map((p) => p.split("/").pop()).sort()).toEqual([
      "SUCCEEDED_0.json",
      "manifest.json",
    ]);
    expect(result.output).toMatchObject({
      batchScore: {
        mapRun: { ResultWriterDetails: { Bucket: "orchard-artifacts" } },
        totals: { fileCount: 23, rowCount: 3, batches: 3, failedBatches: 0 },
      },
    });
    expect(JSON.stringify(result.output)).not.toContain("in/f0.csv");
  });

  it("runs at most trainConcurrency iterations at once, and does run them concurrently", async () => {
    let running = 0;
    let peak = 0;
    const handlers = makeHandlers(6, {
      train: async (event) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running -= 1;
        return { candidate: (event as { candidate: Candidate }).candidate.id, score: 0 };
      },
    });
    const result = await run(handlers, { trainConcurrency: 2 });
    expect(result.status).toBe("SUCCEEDED");
    expect(peak).toBe(2);
  });

  it.each([
    ["TransientError", () => new TransientError("S3 throttled")],
    ["StorageUnavailableError", () => new StorageUnavailableError("DynamoDB unavailable")],
  ])("retries %s and succeeds on the third attempt, recording the attempts", async (_, make) => {
    let calls = 0;
    const handlers = makeHandlers(2, {
      preprocess: async () => {
        calls += 1;
        if (calls <= 2) throw make();
        return { candidates: [{ id: "c0", score: 1 }] };
      },
    });
    const events: ExecutionEvent[] = [];
    const result = await run(handlers, { onEvent: (e) => events.push(e) });
    expect(result.status).toBe("SUCCEEDED");
    expect(handlers.preprocess).toHaveBeenCalledTimes(3);
    expect(result.states.find((s) => s.name === "Preprocess")).toMatchObject({
      status: "RETRIED",
      attempts: 3,
    });
    expect(
      events.filter((e) => e.kind === "retried").map((e) => [e.state, e.attempt, e.error?.name]),
    ).toEqual([
      ["Preprocess", 1, make().name],
      ["Preprocess", 2, make().name],
    ]);
  });

  it("retries a transient error inside one Train iteration without re-running the others", async () => {
    let failedOnce = false;
    const handlers = makeHandlers(3, {
      train: async (event) => {
        const { candidate } = event as { candidate: Candidate };
        if (candidate.id === "c1" && !failedOnce) {
          failedOnce = true;
          throw new TransientError("S3 slow down");
        }
        return { candidate: candidate.id, score: candidate.score };
      },
    });
    const result = await run(handlers);
    expect(result.status).toBe("SUCCEEDED");
    expect(handlers.train).toHaveBeenCalledTimes(4);
    expect(
      result.states
        .filter((s) => s.name === "TrainCandidate")
        .map((s) => [s.iteration, s.attempts]),
    ).toEqual(
      expect.arrayContaining([
        [0, 1],
        [1, 2],
        [2, 1],
      ]),
    );
    expect(result.states.find((s) => s.name === "Train")?.attempts).toBe(1);
  });

  it("gives up on a transient error after its retries and reports it against the step", async () => {
    const handlers = makeHandlers(2, {
      ingest: async () => {
        throw new TransientError("source unreachable");
      },
    });
    const result = await run(handlers);
    expect(result.status).toBe("FAILED");
    expect(handlers.ingest).toHaveBeenCalledTimes(4);
    expect(result.error).toEqual({
      state: "Ingest",
      name: "TransientError",
      message: "source unreachable",
    });
  });

  it("fails fast on a TargetError in Validate: one call, no later step, notified, reported as Validate", async () => {
    const handlers = makeHandlers(2, {
      validate: async () => {
        throw new TargetError('target "churned" has a single class', { column: "churned" });
      },
    });
    const result = await run(handlers);
    expect(result.status).toBe("FAILED");
    expect(result.endState).toBe("Failed");
    expect(result.error).toEqual({
      state: "Validate",
      name: "TargetError",
      message: 'target "churned" has a single class',
    });
    expect(handlers.validate).toHaveBeenCalledTimes(1);
    expect(handlers.preprocess).not.toHaveBeenCalled();
    expect(handlers.notifyFailure).toHaveBeenCalledTimes(1);
    expect(result.states.find((s) => s.name === "Validate")).toMatchObject({
      status: "FAILED",
      attempts: 1,
      error: { name: "TargetError" },
    });
  });

  it("hands NotifyFailure the error as Step Functions does: Error name, Cause as Lambda's JSON payload", async () => {
    const handlers = makeHandlers(2, {
      validate: async () => {
        throw new TargetError("bad target");
      },
    });
    await run(handlers);
    const { error } = handlers.notifyFailure.mock.calls[0][0] as RunState;
    expect(error?.Error).toBe("TargetError");
    expect(JSON.parse(error?.Cause ?? "")).toMatchObject({
      errorType: "TargetError",
      errorMessage: "bad target",
    });
  });

  it("fails naming the Train state when one Map iteration fails, without reaching Select", async () => {
    const handlers = makeHandlers(4, {
      train: async (event) => {
        const { candidate } = event as { candidate: Candidate };
        if (candidate.id === "c2") throw new InsufficientDataError("fold 3 has 1 row");
        return { candidate: candidate.id, score: 0 };
      },
    });
    const result = await run(handlers);
    expect(result.status).toBe("FAILED");
    expect(result.error).toEqual({
      state: "Train",
      name: "InsufficientDataError",
      message: "fold 3 has 1 row",
    });
    expect(handlers.select).not.toHaveBeenCalled();
    expect(
      result.states.find((s) => s.name === "TrainCandidate" && s.iteration === 2),
    ).toMatchObject({ status: "FAILED", attempts: 1 });
  });

  it("does not loop when NotifyFailure itself fails, and still reports the original error", async () => {
    const handlers = makeHandlers(2, {
      validate: async () => {
        throw new TargetError("bad target");
      },
      notifyFailure: async () => {
        throw new Error("SNS is down");
      },
    });
    const result = await run(handlers);
    expect(result.status).toBe("FAILED");
    expect(handlers.notifyFailure).toHaveBeenCalledTimes(1);
    expect(result.error).toMatchObject({ state: "Validate", name: "TargetError" });
  });

  it("fails with the uncatchable States.DataLimitExceeded when a step returns more than 256 KiB", async () => {
    const handlers = makeHandlers(2, { ingest: async () => ({ rows: "x".repeat(300 * 1024) }) });
    const result = await run(handlers);
    expect(result.status).toBe("FAILED");
    expect(result.error).toMatchObject({ state: "Ingest", name: "States.DataLimitExceeded" });
    expect(result.error?.message).toMatch(/ingest.*256 KiB/);
    expect(handlers.notifyFailure).not.toHaveBeenCalled();
  });

  it("reports a thrown non-Error value under the name Error", async () => {
    const handlers = makeHandlers(2, {
      select: async () => {
        throw "no candidates";
      },
    });
    const result = await run(handlers);
    expect(result.error).toEqual({ state: "Select", name: "Error", message: "no candidates" });
  });

  it("reports progress: each top-level state starts before it succeeds, in order", async () => {
    const events: ExecutionEvent[] = [];
    await run(makeHandlers(1), { onEvent: (e) => events.push(e) });
    const top = events.filter((e) => e.iteration === undefined);
    expect(top.slice(0, 4).map((e) => [e.kind, e.state])).toEqual([
      ["started", "Ingest"],
      ["succeeded", "Ingest"],
      ["started", "Validate"],
      ["succeeded", "Validate"],
    ]);
    expect(events.filter((e) => e.state === "TrainCandidate").map((e) => e.kind)).toEqual([
      "started",
      "succeeded",
    ]);
  });

  it("records start times and non-negative durations for every state", async () => {
    const before = Date.now();
    const result = await run(makeHandlers(2));
    for (const state of result.states) {
      expect(state.startedAt).toBeGreaterThanOrEqual(before);
      expect(state.durationMs).toBeGreaterThanOrEqual(0);
      expect(state.status).toBe("SUCCEEDED");
    }
  });

  it("rejects a definition whose Task invokes an ARN missing from the resources", async () => {
    const other = localResources("other");
    await expect(
      executeLocally({
        definition: buildDefinition({ pipeline: "other" }, other),
        handlers: makeHandlers(),
        resources,
        input: {},
      }),
    ).rejects.toThrow(SpecError);
  });

  it("rejects a missing handler, naming the step", async () => {
    const handlers: Partial<Record<StepName, StepHandler>> = makeHandlers();
    delete handlers.promote;
    await expect(
      executeLocally({
        definition: buildDefinition({ pipeline: "demo" }, resources),
        handlers: handlers as Record<StepName, StepHandler>,
        resources,
        input: {},
      }),
    ).rejects.toThrow(/handlers\.promote/);
  });
});

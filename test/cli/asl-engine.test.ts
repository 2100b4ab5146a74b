/**
 * The local ASL engine against the behaviour the Step Functions developer guide documents:
 * input/output processing, Retry and Catch (with the wildcards' exceptions), timeouts, Map,
 * Choice, Fail and the payload limit. Small definitions, one rule per test.
 */
import { describe, expect, it } from "vitest";
import {
  checkDefinition,
  type EngineEvent,
  retryDelayMs,
  runDefinition,
  type TaskInvoker,
} from "../../cli/local/asl-engine.ts";
import { SpecError } from "../../pipeline/errors.ts";
import type { JsonValue, State, StateMachineDefinition } from "../../pipeline/workflow/asl.ts";

const execution = { Id: "arn:aws:states:local:0:execution:m:e1", Name: "e1" };

function machine(States: Record<string, State>, StartAt = "A"): StateMachineDefinition {
  return { StartAt, States };
}

function run(
  definition: StateMachineDefinition,
  invoke: TaskInvoker,
  input: JsonValue = {},
  events: EngineEvent[] = [],
) {
  return runDefinition({
    definition,
    input,
    invoke,
    execution,
    onEvent: (e) => events.push(e),
    retryIntervalOverrides: { A: 0, M: 0 },
  });
}

function failing(name: string, times = Number.POSITIVE_INFINITY): TaskInvoker & { calls: number } {
  const invoke = Object.assign(
    async () => {
      invoke.calls += 1;
      if (invoke.calls <= times) {
        const error = new Error(`failure ${invoke.calls}`);
        error.name = name;
        throw error;
      }
      return { ok: invoke.calls };
    },
    { calls: 0 },
  );
  return invoke;
}

const task = (extra: Partial<State> = {}): State =>
  ({ Type: "Task", Resource: "arn:fn", End: true, ...extra }) as State;

describe("input and output processing", () => {
  it("replaces the input with the result by default, keeps it with ResultPath null, merges at a path", async () => {
    const invoke: TaskInvoker = async () => ({ r: 1 });
    const input = { a: 1 };
    expect(await run(machine({ A: task() }), invoke, input)).toEqual({
      status: "SUCCEEDED",
      output: { r: 1 },
    });
    expect((await run(machine({ A: task({ ResultPath: null }) }), invoke, input)).status).toBe(
      "SUCCEEDED",
    );
    expect(await run(machine({ A: task({ ResultPath: null }) }), invoke, input)).toMatchObject({
      output: { a: 1 },
    });
    expect(await run(machine({ A: task({ ResultPath: "$.x.y" }) }), invoke, input)).toMatchObject({
      output: { a: 1, x: { y: { r: 1 } } },
    });
  });

  it("selects with InputPath, fills Parameters from the input and the context, selects with OutputPath", async () => {
    const seen: JsonValue[] = [];
    const invoke: TaskInvoker = async ({ input }) => {
      seen.push(input);
      return "done";
    };
    const definition = machine({
      A: task({
        InputPath: "$.inner",
        Parameters: { "v.$": "$.v", "exec.$": "$$.Execution.Name", fixed: { k: 1 } },
        ResultPath: "$.result",
        OutputPath: "$.result",
      }),
    });
    const result = await run(definition, invoke, { inner: { v: [1, 2] } });
    expect(seen).toEqual([{ v: [1, 2], exec: "e1", fixed: { k: 1 } }]);
    expect(result).toEqual({ status: "SUCCEEDED", output: "done" });
  });

  it("fails with the uncatchable States.Runtime when a Parameters path selects nothing", async () => {
    const definition = machine({
      A: task({
        Parameters: { "v.$": "$.missing" },
        Catch: [{ ErrorEquals: ["States.ALL"], Next: "Caught" }],
        End: undefined,
        Next: "Caught",
      } as Partial<State>),
      Caught: { Type: "Succeed" },
    });
    const result = await run(definition, async () => 1);
    expect(result).toMatchObject({ status: "FAILED", error: "States.Runtime" });
  });

  it("fails with States.ResultPathMatchFailure, which Catch handles, when the ResultPath runs into a non-object", async () => {
    const definition = machine({
      A: task({
        ResultPath: "$.s.x",
        Catch: [
          { ErrorEquals: ["States.ResultPathMatchFailure"], Next: "Caught", ResultPath: "$.e" },
        ],
        End: undefined,
        Next: "Caught",
      } as Partial<State>),
      Caught: { Type: "Succeed" },
    });
    const result = await run(definition, async () => 1, { s: "text" });
    expect(result).toMatchObject({
      status: "SUCCEEDED",
      output: { s: "text", e: { Error: "States.ResultPathMatchFailure" } },
    });
  });
});

describe("Retry and Catch", () => {
  it("retries up to MaxAttempts under the first matching retrier, then catches with Error and Cause", async () => {
    const invoke = failing("Flaky");
    const definition = machine({
      A: task({
        Retry: [
          { ErrorEquals: ["Flaky"], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 2 },
          { ErrorEquals: ["States.ALL"], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 5 },
        ],
        Catch: [{ ErrorEquals: ["States.ALL"], Next: "Caught", ResultPath: "$.error" }],
        End: undefined,
        Next: "Caught",
      } as Partial<State>),
      Caught: { Type: "Succeed" },
    });
    const events: EngineEvent[] = [];
    const result = await run(definition, invoke, { a: 1 }, events);
    // One try and two retries: an exhausted retrier goes to Catch, never to a later retrier.
    expect(invoke.calls).toBe(3);
    expect(result).toEqual({
      status: "SUCCEEDED",
      output: { a: 1, error: { Error: "Flaky", Cause: "failure 3" } },
    });
    expect(events.filter((e) => e.type === "StateRetried")).toHaveLength(2);
    expect(events.filter((e) => e.type === "StateCaught")).toHaveLength(1);
  });

  it("succeeds after retries", async () => {
    const invoke = failing("Flaky", 2);
    const definition = machine({
      A: task({
        Retry: [{ ErrorEquals: ["Flaky"], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 3 }],
      }),
    });
    expect(await run(definition, invoke)).toEqual({ status: "SUCCEEDED", output: { ok: 3 } });
  });

  it("does not retry with MaxAttempts 0, and fails the execution when no catcher matches", async () => {
    const invoke = failing("Other");
    const definition = machine({
      A: task({
        Retry: [{ ErrorEquals: ["Other"], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 0 }],
        Catch: [{ ErrorEquals: ["Flaky"], Next: "Caught" }],
        End: undefined,
        Next: "Caught",
      } as Partial<State>),
      Caught: { Type: "Succeed" },
    });
    expect(await run(definition, invoke)).toEqual({
      status: "FAILED",
      error: "Other",
      cause: "failure 1",
    });
    expect(invoke.calls).toBe(1);
  });

  it("times a Task out with States.Timeout, which States.TaskFailed does not match but its own name does", async () => {
    const slow: TaskInvoker = () => new Promise((resolve) => setTimeout(() => resolve(1), 3_000));
    const definition = (errorEquals: string[]) =>
      machine({
        A: task({
          TimeoutSeconds: 1,
          Catch: [{ ErrorEquals: errorEquals, Next: "Caught" }],
          End: undefined,
          Next: "Caught",
        } as Partial<State>),
        Caught: { Type: "Succeed" },
      });
    expect(await run(definition(["States.TaskFailed"]), slow)).toMatchObject({
      status: "FAILED",
      error: "States.Timeout",
    });
    expect(await run(definition(["States.Timeout"]), slow)).toMatchObject({ status: "SUCCEEDED" });
  });

  it("computes waits as IntervalSeconds x BackoffRate^(n-1), capped by MaxDelaySeconds, jittered in [0, wait)", () => {
    const retrier = { ErrorEquals: ["E"], IntervalSeconds: 2, BackoffRate: 3, MaxAttempts: 5 };
    expect([1, 2, 3].map((n) => retryDelayMs(retrier, n))).toEqual([2000, 6000, 18000]);
    expect(retryDelayMs({ ...retrier, MaxDelaySeconds: 10 }, 3)).toBe(10000);
    const jittered = { ...retrier, JitterStrategy: "FULL" as const };
    expect(retryDelayMs(jittered, 2, () => 0.5)).toBe(3000);
    expect(retryDelayMs(jittered, 2, () => 0)).toBe(0);
  });
});

describe("the payload limit", () => {
  it("fails with States.DataLimitExceeded, which States.ALL does not catch, when a state's output passes 256 KiB", async () => {
    const definition = machine({
      A: task({
        Catch: [{ ErrorEquals: ["States.ALL"], Next: "Caught" }],
        End: undefined,
        Next: "Caught",
      } as Partial<State>),
      Caught: { Type: "Succeed" },
    });
    const result = await run(definition, async () => "x".repeat(257 * 1024));
    expect(result).toMatchObject({ status: "FAILED", error: "States.DataLimitExceeded" });
  });
});

describe("Map", () => {
  const mapDefinition = (MaxConcurrency: number, catchAll = false) =>
    machine(
      {
        M: {
          Type: "Map",
          ItemsPath: "$.items",
          ItemSelector: { "item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index" },
          MaxConcurrency,
          ItemProcessor: {
            ProcessorConfig: { Mode: "INLINE" },
            StartAt: "T",
            States: { T: { Type: "Task", Resource: "arn:fn", End: true } },
          },
          ResultPath: "$.results",
          ...(catchAll ? { Catch: [{ ErrorEquals: ["States.ALL"], Next: "Caught" }] } : {}),
          Next: "Done",
        },
        Done: { Type: "Succeed" },
        Caught: { Type: "Succeed" },
      },
      "M",
    );

  it("returns the iterations' results in item order, running at most MaxConcurrency at once", async () => {
    let running = 0;
    let peak = 0;
    const invoke: TaskInvoker = async ({ input }) => {
      running += 1;
      peak = Math.max(peak, running);
      const { item, index } = input as { item: number; index: number };
      await new Promise((resolve) => setTimeout(resolve, (5 - index) * 3));
      running -= 1;
      return item * 10;
    };
    const result = await run(mapDefinition(2), invoke, { items: [1, 2, 3, 4, 5] });
    expect(result).toEqual({
      status: "SUCCEEDED",
      output: { items: [1, 2, 3, 4, 5], results: [10, 20, 30, 40, 50] },
    });
    expect(peak).toBe(2);
  });

  it("fails the Map with the first failed iteration's error and starts no further iteration", async () => {
    const started: number[] = [];
    const invoke: TaskInvoker = async ({ input }) => {
      const { index } = input as { index: number };
      started.push(index);
      if (index === 1)
        throw Object.assign(new Error("bad fold"), { name: "InsufficientDataError" });
      return index;
    };
    const events: EngineEvent[] = [];
    const result = await run(mapDefinition(1, true), invoke, { items: [0, 1, 2, 3] }, events);
    // The catcher's default ResultPath ($) replaces the state with the error.
    expect(result).toEqual({
      status: "SUCCEEDED",
      output: { Error: "InsufficientDataError", Cause: "bad fold" },
    });
    expect(started).toEqual([0, 1]);
    expect(events.find((e) => e.type === "StateCaught")).toMatchObject({
      state: { name: "M" },
      Error: "InsufficientDataError",
    });
  });

  it("fails with States.Runtime when ItemsPath does not select an array", async () => {
    const result = await run(mapDefinition(1), async () => 1, { items: "no" });
    expect(result).toMatchObject({ status: "FAILED", error: "States.Runtime" });
  });
});

describe("Choice, Wait, Pass and Fail", () => {
  const choice = (rule: object) =>
    machine({
      A: { Type: "Choice", Choices: [{ ...rule, Next: "Yes" }], Default: "No" } as State,
      Yes: { Type: "Pass", Result: "yes", End: true },
      No: { Type: "Pass", Result: "no", End: true },
    });

  it.each([
    [{ Variable: "$.p", IsPresent: true }, { p: 1 }, "yes"],
    [{ Variable: "$.p", IsPresent: true }, {}, "no"],
    [{ Variable: "$.p", BooleanEquals: true }, { p: true }, "yes"],
    [{ Variable: "$.p", BooleanEquals: true }, { p: "true" }, "no"],
    [{ Variable: "$.p", IsBoolean: true }, { p: false }, "yes"],
    [{ Not: { Variable: "$.p", IsBoolean: true } }, { p: 0 }, "yes"],
    [
      {
        And: [
          { Variable: "$.p", IsPresent: true },
          { Variable: "$.p", BooleanEquals: true },
        ],
      },
      {},
      "no",
    ],
    [
      {
        Or: [
          { Variable: "$.a", IsPresent: true },
          { Variable: "$.b", IsPresent: true },
        ],
      },
      { b: 1 },
      "yes",
    ],
  ])("rule %j on %j goes to %s", async (rule, input, expected) => {
    expect(await run(choice(rule), async () => 1, input)).toEqual({
      status: "SUCCEEDED",
      output: expected,
    });
  });

  it("fails with States.Runtime when a rule other than IsPresent reads a missing variable", async () => {
    expect(
      await run(choice({ Variable: "$.p", BooleanEquals: true }), async () => 1, {}),
    ).toMatchObject({
      status: "FAILED",
      error: "States.Runtime",
    });
  });

  it("waits SecondsPath seconds and refuses a value that is not a whole number", async () => {
    const wait = (input: JsonValue) =>
      run(machine({ A: { Type: "Wait", SecondsPath: "$.s", End: true } }), async () => 1, input);
    expect(await wait({ s: 0 })).toEqual({ status: "SUCCEEDED", output: { s: 0 } });
    expect(await wait({ s: "5" })).toMatchObject({ status: "FAILED", error: "States.Runtime" });
  });

  it("ends the execution with the Error and Cause a Fail state reads from the input", async () => {
    const definition = machine({
      A: { Type: "Fail", ErrorPath: "$.e.Error", CausePath: "$.e.Cause" },
    });
    expect(
      await run(definition, async () => 1, { e: { Error: "TargetError", Cause: "why" } }),
    ).toEqual({
      status: "FAILED",
      error: "TargetError",
      cause: "why",
    });
  });

  it("fails with States.Timeout when the execution passes its TimeoutSeconds", async () => {
    const definition: StateMachineDefinition = {
      StartAt: "A",
      TimeoutSeconds: 1,
      States: { A: { Type: "Wait", Seconds: 3, End: true } },
    };
    expect(await run(definition, async () => 1)).toMatchObject({
      status: "FAILED",
      error: "States.Timeout",
    });
  });
});

describe("checkDefinition", () => {
  it.each([
    [
      "a field outside the subset",
      { A: { ...task(), ResultSelector: {} } as unknown as State },
      /ResultSelector/,
    ],
    [
      "a missing transition target",
      { A: task({ End: undefined, Next: "Nowhere" } as Partial<State>) },
      /Nowhere/,
    ],
    [
      "a filter path",
      { A: task({ InputPath: "$.a[?(@.b)]" } as Partial<State>) },
      /reference path/,
    ],
    [
      "a Choice operator outside the subset",
      {
        A: {
          Type: "Choice",
          Choices: [{ Variable: "$.a", StringEquals: "x", Next: "A" }],
          Default: "A",
        } as unknown as State,
      },
      /StringEquals/,
    ],
  ])("refuses %s before running, naming the state", (_, States, message) => {
    expect(() => checkDefinition({ StartAt: "A", States })).toThrow(SpecError);
    expect(() => checkDefinition({ StartAt: "A", States })).toThrow(message);
    expect(() => checkDefinition({ StartAt: "A", States })).toThrow(/state "A"/);
  });
});

describe("Distributed Map (emulated as child executions in this process)", () => {
  // The shape of the developer guide's example: the objects under a prefix, one child each.
  const objects = Array.from({ length: 60 }, (_, i) => ({
    Key: `processData/part-${String(i).padStart(3, "0")}.csv`,
    Etag: `"e${i}"`,
    LastModified: 1_668_699_881,
    Size: 100 + i,
    StorageClass: "STANDARD",
  }));
  const listed: { Bucket: string; Prefix: string }[] = [];
  const listObjects = async (request: { Bucket: string; Prefix: string }) => {
    listed.push(request);
    return objects;
  };

  function distributed(extra: Record<string, JsonValue> = {}, processor?: Record<string, State>) {
    return machine(
      {
        M: {
          Type: "Map",
          ItemReader: {
            Resource: "arn:aws:states:::s3:listObjectsV2",
            Parameters: { "Bucket.$": "$.bucket", Prefix: "processData" },
          },
          ItemSelector: { "key.$": "$$.Map.Item.Value.Key", "index.$": "$$.Map.Item.Index" },
          ItemProcessor: {
            ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
            StartAt: "Process",
            States: processor ?? {
              Process: {
                Type: "Task",
                Resource: "arn:fn",
                Parameters: {
                  "key.$": "$.key",
                  "index.$": "$.index",
                  "execution.$": "$$.Execution.Name",
                },
                End: true,
              },
            },
          },
          MaxConcurrency: 5,
          Label: "S3objectkeys",
          ResultPath: "$.results",
          ...extra,
          Next: "Done",
        } as State,
        Done: { Type: "Succeed" },
      },
      "M",
    );
  }

  function runDistributed(definition: StateMachineDefinition, invoke: TaskInvoker) {
    return runDefinition({
      definition,
      input: { bucket: "demo-bucket" },
      invoke,
      execution,
      listObjects,
      retryIntervalOverrides: {},
    });
  }

  it("lists the prefix, runs one child execution per object at most MaxConcurrency at once, outputs in key order", async () => {
    let running = 0;
    let peak = 0;
    const invoke: TaskInvoker = async ({ input }) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      running -= 1;
      return input;
    };
    listed.length = 0;
    const result = await runDistributed(distributed(), invoke);
    expect(listed).toEqual([{ Bucket: "demo-bucket", Prefix: "processData" }]);
    expect(result.status).toBe("SUCCEEDED");
    const results = (
      result as unknown as {
        output: { results: { key: string; index: number; execution: string }[] };
      }
    ).output.results;
    expect(results.map((r) => r.key)).toEqual(objects.map((o) => o.Key));
    expect(results.map((r) => r.index)).toEqual(objects.map((_, i) => i));
    // Each child is an execution of its own.
    expect(new Set(results.map((r) => r.execution)).size).toBe(60);
    expect(peak).toBe(5);
  });

  it("batches items with ItemBatcher: each child gets Items and the BatchInput", async () => {
    const seen: JsonValue[] = [];
    const invoke: TaskInvoker = async ({ input }) => {
      seen.push(input);
      return (input as { Items: unknown[] }).Items.length;
    };
    const definition = distributed(
      { ItemBatcher: { MaxItemsPerBatch: 25, BatchInput: { "bucket.$": "$.bucket" } } },
      { Process: { Type: "Task", Resource: "arn:fn", End: true } },
    );
    const result = await runDistributed(definition, invoke);
    expect(result).toMatchObject({ status: "SUCCEEDED", output: { results: [25, 25, 10] } });
    expect(seen[0]).toMatchObject({ BatchInput: { bucket: "demo-bucket" } });
    expect((seen[0] as { Items: { key: string }[] }).Items[0]?.key).toBe(objects[0]?.Key);
  });

  const failEveryTwentieth: TaskInvoker = async ({ input }) => {
    const { index } = input as { index: number };
    if (index % 20 === 7)
      throw Object.assign(new Error(`bad file ${index}`), { name: "DataFormatError" });
    return index;
  };

  it("tolerates failed children within ToleratedFailurePercentage, keeping their errors in place", async () => {
    const result = await runDistributed(
      distributed({ ToleratedFailurePercentage: 10 }),
      failEveryTwentieth,
    );
    expect(result.status).toBe("SUCCEEDED");
    const results = (result as unknown as { output: { results: JsonValue[] } }).output.results;
    expect(results[7]).toEqual({ Error: "DataFormatError", Cause: "bad file 7" });
    expect(results[8]).toBe(8);
  });

  it.each([
    ["ToleratedFailureCount 2", { ToleratedFailureCount: 2 }],
    ["ToleratedFailurePercentage 4", { ToleratedFailurePercentage: 4 }],
    ["no tolerance", {}],
  ])("fails with States.ExceedToleratedFailureThreshold past %s", async (_, tolerance) => {
    const result = await runDistributed(distributed(tolerance), failEveryTwentieth);
    expect(result).toMatchObject({
      status: "FAILED",
      error: "States.ExceedToleratedFailureThreshold",
    });
  });

  it("starts no further child once the threshold is passed", async () => {
    let started = 0;
    const invoke: TaskInvoker = async (task) => {
      started += 1;
      return failEveryTwentieth(task);
    };
    await runDistributed(distributed({ MaxConcurrency: 1 }), invoke);
    expect(started).toBe(8);
  });

  it("fails with States.ItemReaderFailed, which Catch handles, when the listing fails", async () => {
    const definition = distributed({
      Catch: [{ ErrorEquals: ["States.ItemReaderFailed"], Next: "Done", ResultPath: "$.error" }],
    });
    const result = await runDefinition({
      definition,
      input: { bucket: "demo-bucket" },
      invoke: async () => 1,
      execution,
      listObjects: async () => {
        throw Object.assign(new Error("Access Denied"), { name: "AccessDenied" });
      },
    });
    expect(result).toMatchObject({
      status: "SUCCEEDED",
      output: { error: { Error: "States.ItemReaderFailed" } },
    });
    expect(
      (result as unknown as { output: { error: { Cause: string } } }).output.error.Cause,
    ).toMatch(/s3:\/\/demo-bucket\/processData: AccessDenied/);
  });

  describe("ResultWriter (the export the developer guide documents)", () => {
    const writer = {
      ResultWriter: {
        Resource: "arn:aws:states:::s3:putObject",
        Parameters: { "Bucket.$": "$.bucket", Prefix: "csvProcessJobs" },
      },
    };

    async function exported(tolerance: Record<string, JsonValue> = {}) {
      const stored = new Map<string, string>();
      const result = await runDefinition({
        definition: distributed({ ...writer, ...tolerance }),
        input: { bucket: "demo-bucket" },
        invoke: failEveryTwentieth,
        execution,
        listObjects,
        putObject: async ({ Bucket, Key, Body }) => {
          stored.set(`${Bucket}/${Key}`, Body);
        },
      });
      return { result, stored };
    }

    it("returns only the Map Run ARN and the manifest's location, not the children's outputs", async () => {
      const { result } = await exported({ ToleratedFailurePercentage: 10 });
      expect(result.status).toBe("SUCCEEDED");
      const out = (result as unknown as { output: { results: Record<string, JsonValue> } }).output
        .results;
      expect(Object.keys(out).sort()).toEqual(["MapRunArn", "ResultWriterDetails"]);
      expect(out.MapRunArn).toMatch(
        /^arn:aws:states:[^:]+:\d+:mapRun:[^/]+\/S3objectkeys:[0-9a-f-]{36}$/,
      );
      const id = String(out.MapRunArn).split(":").pop();
      expect(out.ResultWriterDetails).toEqual({
        Bucket: "demo-bucket",
        Key: `csvProcessJobs/${id}/manifest.json`,
      });
    });

    it("writes manifest.json listing SUCCEEDED_0.json and FAILED_0.json with their sizes", async () => {
      const { result, stored } = await exported({ ToleratedFailurePercentage: 10 });
      const { MapRunArn, ResultWriterDetails } = (
        result as unknown as {
          output: { results: { MapRunArn: string; ResultWriterDetails: { Key: string } } };
        }
      ).output.results;
      const dir = ResultWriterDetails.Key.replace(/manifest\.json$/, "");
      const manifest = JSON.parse(stored.get(`demo-bucket/${ResultWriterDetails.Key}`)!);
      expect(manifest).toEqual({
        DestinationBucket: "demo-bucket",
        MapRunArn,
        ResultFiles: {
          FAILED: [
            {
              Key: `${dir}FAILED_0.json`,
              Size: Buffer.byteLength(stored.get(`demo-bucket/${dir}FAILED_0.json`)!),
            },
          ],
          PENDING: [],
          SUCCEEDED: [
            {
              Key: `${dir}SUCCEEDED_0.json`,
              Size: Buffer.byteLength(stored.get(`demo-bucket/${dir}SUCCEEDED_0.json`)!),
            },
          ],
        },
      });
      expect([...stored.keys()].sort()).toEqual(
        ["FAILED_0.json", "SUCCEEDED_0.json", "manifest.json"].map((f) => `demo-bucket/${dir}${f}`),
      );
    });

    it("stores each child as the export does: Input and Output as JSON text, failures with Error and Cause", async () => {
      const { stored } = await exported({ ToleratedFailurePercentage: 10 });
      const file = (name: string) =>
        JSON.parse([...stored.entries()].find(([k]) => k.endsWith(name))![1]) as Record<
          string,
          JsonValue
        >[];
      const succeeded = file("SUCCEEDED_0.json");
      const failed = file("FAILED_0.json");
      expect(succeeded).toHaveLength(57);
      expect(failed).toHaveLength(3);
      expect(Object.keys(succeeded[0]!).sort()).toEqual(
        [
          "ExecutionArn",
          "Input",
          "InputDetails",
          "Name",
          "Output",
          "OutputDetails",
          "RedriveCount",
          "RedriveStatus",
          "RedriveStatusReason",
          "StartDate",
          "StateMachineArn",
          "Status",
          "StopDate",
        ].sort(),
      );
      expect(succeeded[0]).toMatchObject({
        Status: "SUCCEEDED",
        InputDetails: { Included: true },
        OutputDetails: { Included: true },
        Output: "0",
      });
      expect(JSON.parse(succeeded[0]!.Input as string)).toMatchObject({ key: objects[0]!.Key });
      expect(failed.map((f) => f.Status)).toEqual(["FAILED", "FAILED", "FAILED"]);
      expect(failed[0]).toMatchObject({ Error: "DataFormatError", Cause: "bad file 7" });
      expect(failed[0]).not.toHaveProperty("Output");
    });

    it("writes no file for a status without children", async () => {
      const { stored } = await exported();
      const fileNames = [...stored.keys()].map((k) => k.split("/").pop());
      // failEveryTwentieth fails some; with no tolerance the Map fails and exports nothing.
      expect(fileNames).toEqual([]);
      const ok = new Map<string, string>();
      await runDefinition({
        definition: distributed(writer),
        input: { bucket: "demo-bucket" },
        invoke: async () => 1,
        execution,
        listObjects,
        putObject: async ({ Key, Body }) => {
          ok.set(Key, Body);
        },
      });
      const manifest = JSON.parse([...ok.entries()].find(([k]) => k.endsWith("manifest.json"))![1]);
      expect(manifest.ResultFiles.FAILED).toEqual([]);
      expect([...ok.keys()].some((k) => k.endsWith("FAILED_0.json"))).toBe(false);
    });

    it("fails with States.ResultWriterFailed when a write is refused", async () => {
      const result = await runDefinition({
        definition: distributed(writer),
        input: { bucket: "demo-bucket" },
        invoke: async () => 1,
        execution,
        listObjects,
        putObject: async () => {
          throw Object.assign(new Error("Access Denied"), { name: "AccessDenied" });
        },
      });
      expect(result).toMatchObject({ status: "FAILED", error: "States.ResultWriterFailed" });
    });

    it("refuses a WriterConfig it does not emulate", () => {
      const definition = distributed({
        ResultWriter: { ...writer.ResultWriter, WriterConfig: { Transformation: "FLATTEN" } },
      });
      expect(() => checkDefinition(definition)).toThrow(/ResultWriter.*WriterConfig/);
    });
  });

  it.each([
    ["an ItemReader on an INLINE Map", { Mode: "INLINE" }, {}, /ItemReader.*DISTRIBUTED/],
    [
      "an ItemReader other than an S3 listing",
      { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
      { ItemReader: { Resource: "arn:aws:states:::s3:getObject", Parameters: { Bucket: "b" } } },
      /listObjectsV2/,
    ],
    [
      "a tolerance over 100 %",
      { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
      { ToleratedFailurePercentage: 150 },
      /ToleratedFailurePercentage/,
    ],
  ])("refuses %s before running", (_, ProcessorConfig, extra, message) => {
    const definition = distributed(extra as Record<string, JsonValue>);
    const map = definition.States.M as { ItemProcessor: { ProcessorConfig: unknown } };
    map.ItemProcessor.ProcessorConfig = ProcessorConfig;
    expect(() => checkDefinition(definition)).toThrow(message);
  });
});

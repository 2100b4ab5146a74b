import aslValidator from "asl-validator";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ArtifactError,
  DataFormatError,
  InsufficientDataError,
  MissingColumnError,
  SpecError,
  TargetError,
  TransientError,
  TypeMismatchError,
} from "../../pipeline/errors.ts";
import type { MapState, Retrier, State, TaskState } from "../../pipeline/workflow/asl.ts";
import {
  buildDefinition,
  LAMBDA_SERVICE_ERROR_NAMES,
  TRANSIENT_ERROR_NAMES,
  type WorkflowOptions,
} from "../../pipeline/workflow/definition.ts";
import {
  localResources,
  STATE_NAMES,
  STEP_NAMES,
  type StepResources,
  TASK_STATE_OF_STEP,
} from "../../pipeline/workflow/steps.ts";

const resources = localResources("demo");
const definition = buildDefinition({ pipeline: "demo" }, resources);

/** Every state, Map iterations included, with its name. */
function allStates(states: Record<string, State>): [string, State][] {
  return Object.entries(states).flatMap(([name, state]): [string, State][] =>
    state.Type === "Map"
      ? [[name, state], ...allStates(state.ItemProcessor.States)]
      : [[name, state]],
  );
}

const tasks = allStates(definition.States).filter(
  (entry): entry is [string, TaskState] => entry[1].Type === "Task",
);
const trainMap = definition.States.Train as MapState;

function retriesError(retry: Retrier[] | undefined, name: string): boolean {
  return (retry ?? []).some((r) =>
    r.ErrorEquals.some((e) => e === name || e === "States.ALL" || e === "States.TaskFailed"),
  );
}

/** The longest total wait a retrier can impose (FULL jitter waits at most this). */
function worstCaseWaitSeconds(r: Retrier): number {
  let total = 0;
  for (let k = 0; k < r.MaxAttempts; k++) {
    total += Math.min(r.IntervalSeconds * r.BackoffRate ** k, r.MaxDelaySeconds ?? Infinity);
  }
  return total;
}

describe("buildDefinition", () => {
  it.each<WorkflowOptions>([
    { pipeline: "demo" },
    { pipeline: "churn-model", trainConcurrency: 1 },
    { pipeline: "x", trainConcurrency: 40, taskTimeoutSeconds: 60 },
  ])("passes asl-validator with ARN and path checks for %o", (options) => {
    const built = buildDefinition(options, localResources(options.pipeline));
    const result = aslValidator(structuredClone(built), { checkArn: true, checkPaths: true });
    expect(result.errorsText()).toBe("");
    expect(result.isValid).toBe(true);
  });

  it("defines exactly the exported state names", () => {
    expect(
      allStates(definition.States)
        .map(([name]) => name)
        .sort(),
    ).toEqual([...STATE_NAMES].sort());
  });

  it("runs the steps in pipeline order on the promoted path", () => {
    const path: string[] = [];
    let name: string | undefined = definition.StartAt;
    while (name) {
      path.push(name);
      const state: State = definition.States[name];
      name =
        state.Type === "Choice"
          ? state.Choices[0].Next
          : "Next" in state && typeof state.Next === "string"
            ? state.Next
            : undefined;
    }
    expect(path).toEqual([
      "Ingest",
      "Validate",
      "Drift",
      "Retrain",
      "Preprocess",
      "Train",
      "Select",
      "Sharded",
      "FitShards",
      "Assemble",
      "Evaluate",
      "Report",
      "Gate",
      "CanaryStart",
      "CanaryChoice",
      "CanaryWait",
      "CanaryCheck",
      "CanaryDecision",
      "Promote",
      "BatchScore",
      "Batch",
      "ScoreFiles",
      "BatchResults",
      "Promoted",
    ]);
    expect(definition.States.Sharded).toMatchObject({ Type: "Choice", Default: "Evaluate" });
    expect(definition.States.Batch).toMatchObject({ Type: "Choice", Default: "Promoted" });
    expect(definition.States.Gate).toMatchObject({ Type: "Choice", Default: "NotPromoted" });
  });

  it.each(STEP_NAMES)("invokes step %s with its own resource ARN", (step) => {
    const [, task] = tasks.find(([name]) => name === TASK_STATE_OF_STEP[step])!;
    expect(task.Resource).toBe(resources[step]);
  });

  it.each(
    STEP_NAMES.filter((s) => !["train", "trainShard", "assemble", "notifyFailure"].includes(s)),
  )("merges step %s's result under $.<step>", (step) => {
    expect((definition.States[TASK_STATE_OF_STEP[step]] as TaskState).ResultPath).toBe(`$.${step}`);
  });

  it("catches every error of every step (the Map for its iterations) into NotifyFailure at $.error", () => {
    const maps = ["Train", "FitShards", "ScoreFiles"] as const;
    const catchers = [
      ...tasks.filter(
        ([name]) =>
          ![
            "NotifyFailure",
            "ReportFailure",
            "TrainCandidate",
            "TrainShard",
            "ScoreFileBatch",
          ].includes(name),
      ),
      ...maps.map((name) => [name, definition.States[name] as MapState] as const),
    ].map(([name, state]) => [name, state.Catch]);
    // Every step but notifyFailure, plus the second states of report (outside the failure
    // path), canary and batchScore (the ScoreFiles Map, and BatchResults after it).
    expect(catchers).toHaveLength(
      STEP_NAMES.length - 1 + ["ReportNoDrift", "CanaryCheck", "ScoreFiles", "BatchResults"].length,
    );
    for (const [, catchers_] of catchers) {
      expect(catchers_).toEqual([
        { ErrorEquals: ["States.ALL"], Next: "NotifyFailure", ResultPath: "$.error" },
      ]);
    }
  });

  it("never routes NotifyFailure back into itself and reports the original error", () => {
    const notify = definition.States.NotifyFailure as TaskState;
    expect(notify.Next).toBe("ReportFailure");
    expect(notify.Catch?.map((c) => c.Next)).toEqual(["ReportFailure"]);
    expect(notify.Catch?.[0].ResultPath).not.toBe("$.error");
    const report = definition.States.ReportFailure as TaskState;
    expect(report.Next).toBe("Failed");
    expect(report.Catch?.map((c) => [c.Next, c.ResultPath])).toEqual([["Failed", "$.reportError"]]);
    expect(definition.States.Failed).toEqual({
      Type: "Fail",
      ErrorPath: "$.error.Error",
      CausePath: "$.error.Cause",
    });
  });

  it.each([
    new TargetError("x").name,
    new SpecError("x").name,
    new DataFormatError("x").name,
    new MissingColumnError("x").name,
    new TypeMismatchError("x").name,
    new InsufficientDataError("x").name,
    new ArtifactError("x").name,
    "Lambda.Unknown",
    "States.Timeout",
    "Error",
  ])("fails fast on %s: no Task retries it", (name) => {
    for (const [, task] of tasks) expect(retriesError(task.Retry, name)).toBe(false);
    expect(retriesError(trainMap.Retry, name)).toBe(false);
  });

  it("retries no error name outside the transient lists (property)", () => {
    const retried = new Set<string>([...TRANSIENT_ERROR_NAMES, ...LAMBDA_SERVICE_ERROR_NAMES]);
    fc.assert(
      fc.property(
        fc.string().filter((s) => !retried.has(s)),
        (name) => !tasks.some(([, task]) => retriesError(task.Retry, name)),
      ),
    );
  });

  it.each([new TransientError("x").name, "StorageUnavailableError"])(
    "retries our transient error %s in every pipeline step",
    (name) => {
      for (const [stateName, task] of tasks) {
        if (stateName !== "NotifyFailure") expect(retriesError(task.Retry, name)).toBe(true);
      }
    },
  );

  it.each([...LAMBDA_SERVICE_ERROR_NAMES])(
    "retries the Lambda service error %s in every Task",
    (name) => {
      for (const [, task] of tasks) expect(retriesError(task.Retry, name)).toBe(true);
    },
  );

  it("uses AWS's recommended numbers for Lambda service errors, capped and fully jittered", () => {
    const lambda = (definition.States.Ingest as TaskState).Retry?.find((r) =>
      r.ErrorEquals.includes("Lambda.ServiceException"),
    );
    expect(lambda).toMatchObject({
      IntervalSeconds: 2,
      BackoffRate: 2,
      MaxAttempts: 6,
      JitterStrategy: "FULL",
    });
    expect(worstCaseWaitSeconds(lambda!)).toBeLessThanOrEqual(180);
  });

  it("retries transient errors a few times with backoff, full jitter and a bounded total wait", () => {
    const transient = (definition.States.Ingest as TaskState).Retry?.find((r) =>
      r.ErrorEquals.includes("TransientError"),
    );
    expect(transient?.JitterStrategy).toBe("FULL");
    expect(transient?.BackoffRate).toBeGreaterThan(1);
    expect(transient?.MaxAttempts).toBeGreaterThanOrEqual(2);
    expect(transient?.MaxAttempts).toBeLessThanOrEqual(5);
    expect(worstCaseWaitSeconds(transient!)).toBeLessThanOrEqual(60);
  });

  it("fans Train out over the candidates, one candidate and the run's references per iteration", () => {
    expect(trainMap).toMatchObject({
      ItemsPath: "$.preprocess.candidates",
      ItemSelector: { "candidate.$": "$$.Map.Item.Value", "run.$": "$" },
      ResultPath: "$.train",
      MaxConcurrency: 4,
    });
    expect(trainMap.ItemProcessor.ProcessorConfig).toEqual({ Mode: "INLINE" });
  });

  it("treats an explicit undefined option as its default", () => {
    const built = buildDefinition(
      { pipeline: "demo", trainConcurrency: undefined, taskTimeoutSeconds: undefined },
      resources,
    );
    expect(built).toEqual(definition);
  });

  it.each([1, 7, 40])("sets the Map's MaxConcurrency to trainConcurrency %i", (n) => {
    const built = buildDefinition({ pipeline: "demo", trainConcurrency: n }, resources);
    expect((built.States.Train as MapState).MaxConcurrency).toBe(n);
  });

  it("gives every Task a timeout (the local engine would default to 60 s)", () => {
    for (const [, task] of tasks) expect(task.TimeoutSeconds).toBe(900);
  });

  it("is deterministic: the same inputs give byte-identical JSON", () => {
    const again = buildDefinition({ pipeline: "demo" }, localResources("demo"));
    expect(JSON.stringify(again)).toBe(JSON.stringify(definition));
  });

  it("shares no objects between states, so mutating one cannot change another", () => {
    const built = buildDefinition({ pipeline: "demo" }, resources);
    (built.States.Ingest as TaskState).Retry?.[0].ErrorEquals.push("TargetError");
    expect(retriesError((built.States.Validate as TaskState).Retry, "TargetError")).toBe(false);
  });

  it.each([0, -1, 1.5, 41, Number.NaN])("rejects trainConcurrency %s naming the key", (n) => {
    expect(() => buildDefinition({ pipeline: "demo", trainConcurrency: n }, resources)).toThrow(
      expect.objectContaining({ name: "SpecError", location: { path: "trainConcurrency" } }),
    );
  });

  it.each(["", "Demo", "my_pipe", "-x", "a".repeat(43)])("rejects pipeline name %j", (pipeline) => {
    expect(() => buildDefinition({ pipeline }, resources)).toThrow(SpecError);
  });

  it.each<[string, (r: StepResources) => StepResources]>([
    ["not an ARN", (r) => ({ ...r, validate: "orchard-demo-validate" })],
    ["an S3 ARN", (r) => ({ ...r, train: "arn:aws:s3:::bucket" })],
    ["a duplicate", (r) => ({ ...r, select: r.train })],
  ])("rejects a step resource that is %s, naming the step", (_, change) => {
    const bad = change(resources);
    const step = STEP_NAMES.find((s) => bad[s] !== resources[s])!;
    expect(() => buildDefinition({ pipeline: "demo" }, bad)).toThrow(
      expect.objectContaining({ location: { path: `resources.${step}` } }),
    );
  });
});

describe("localResources", () => {
  it.each(STEP_NAMES)("gives step %s the documented fake Lambda ARN", (step) => {
    expect(localResources("churn")[step]).toBe(
      `arn:aws:lambda:us-east-1:000000000000:function:orchard-churn-${step}`,
    );
  });

  it("gives valid, distinct ARNs for any usable pipeline name (property)", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,40}[a-z0-9])?$/), (pipeline) => {
        const arns = localResources(pipeline);
        expect(new Set(Object.values(arns)).size).toBe(STEP_NAMES.length);
        // buildDefinition checks every ARN's syntax and length.
        expect(() => buildDefinition({ pipeline }, arns)).not.toThrow();
      }),
    );
  });
});

describe("fan-out states", () => {
  it("grows the sharded fit's tree ranges in an inline Map and assembles in Select's place", () => {
    expect(definition.States.Sharded).toEqual({
      Type: "Choice",
      Choices: [{ Variable: "$.select.shards", IsPresent: true, Next: "FitShards" }],
      Default: "Evaluate",
    });
    const fit = definition.States.FitShards as MapState;
    expect(fit).toMatchObject({
      ItemsPath: "$.select.shards",
      ItemSelector: { "shard.$": "$$.Map.Item.Value", "run.$": "$" },
      ResultPath: "$.shards",
      Next: "Assemble",
    });
    expect(fit.ItemProcessor.ProcessorConfig).toEqual({ Mode: "INLINE" });
    expect((fit.ItemProcessor.States.TrainShard as TaskState).Resource).toBe(resources.trainShard);
    expect(definition.States.Assemble).toMatchObject({ ResultPath: "$.select", Next: "Evaluate" });
  });

  it("scores the batch prefix with a Distributed Map of the shape AWS documents", () => {
    const map = definition.States.ScoreFiles as MapState;
    expect(map.ItemReader).toEqual({
      Resource: "arn:aws:states:::s3:listObjectsV2",
      Parameters: {
        "Bucket.$": "$.batchScore.listing.bucket",
        "Prefix.$": "$.batchScore.listing.prefix",
      },
    });
    expect(map.ItemProcessor.ProcessorConfig).toEqual({
      Mode: "DISTRIBUTED",
      ExecutionType: "STANDARD",
    });
    expect(map).toMatchObject({
      ItemSelector: { "key.$": "$$.Map.Item.Value.Key" },
      ItemBatcher: { MaxItemsPerBatch: 10 },
      MaxConcurrency: 20,
      ToleratedFailurePercentage: 0,
      ResultPath: "$.batchScore.mapRun",
      Next: "BatchResults",
    });
    // The children's results go to S3, where BatchScore said, not into the 256 KiB state.
    expect(map.ResultWriter).toEqual({
      Resource: "arn:aws:states:::s3:putObject",
      Parameters: {
        "Bucket.$": "$.batchScore.resultWriter.bucket",
        "Prefix.$": "$.batchScore.resultWriter.prefix",
      },
    });
    expect((map.ItemProcessor.States.ScoreFileBatch as TaskState).Resource).toBe(
      resources.batchScore,
    );
    // BatchResults reads the export with the batchScore function; only totals in the state.
    expect(definition.States.BatchResults).toMatchObject({
      Type: "Task",
      Resource: resources.batchScore,
      ResultPath: "$.batchScore.totals",
      Next: "Promoted",
    });
  });

  it("takes the batch concurrency and tolerated failure share from the options", () => {
    const built = buildDefinition(
      { pipeline: "demo", batchConcurrency: 100, batchToleratedFailurePercent: 5 },
      resources,
    );
    expect(built.States.ScoreFiles).toMatchObject({
      MaxConcurrency: 100,
      ToleratedFailurePercentage: 5,
    });
    expect(() =>
      buildDefinition({ pipeline: "demo", batchToleratedFailurePercent: 101 }, resources),
    ).toThrow(SpecError);
  });
});

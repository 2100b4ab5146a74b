/** Cost per run: transitions walked from the definition, GB-seconds from the step settings. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FUNCTION_KEYS, STEP_DEFAULTS, type StepSettings } from "../../infra/config.ts";
import { estimateRunCost, PRICES, runPaths } from "../../infra/cost.ts";
import { buildDefinition } from "../../pipeline/workflow/definition.ts";
import { localResources, type StepName } from "../../pipeline/workflow/steps.ts";

const resources = localResources("churn");
const definition = buildDefinition({ pipeline: "churn" }, resources);
const lambdaSettings = Object.fromEntries(
  FUNCTION_KEYS.map((k) => [k, { compute: "lambda", ...STEP_DEFAULTS[k], cpu: 0 }]),
) as Record<StepName, StepSettings>;

describe("runPaths", () => {
  it.each([
    // Ingest Validate Drift Retrain Preprocess Train, n x TrainCandidate, Select Sharded
    // Evaluate Report Gate, then CanaryStart CanaryChoice Promote BatchScore Batch Promoted
    // (promoted) or NotPromoted.
    [1, 18, 13],
    [4, 21, 16],
    [12, 29, 24],
  ])("counts the transitions of a run over %i candidates", (candidates, promoted, notPromoted) => {
    const [a, b] = runPaths(definition, resources, candidates);
    expect([a.outcome, a.transitions]).toEqual(["promoted", promoted]);
    expect([b.outcome, b.transitions]).toEqual(["not promoted", notPromoted]);
  });

  it("counts FitShards once per shard and ScoreFiles once per child execution", () => {
    const [promoted, notPromoted] = runPaths(definition, resources, 1, {
      shards: 4,
      batchChildren: 3,
    });
    // + FitShards, 4 x TrainShard, Assemble; + ScoreFiles, 3 x ScoreFileBatch, BatchResults
    expect(promoted.transitions).toBe(18 + 6 + 5);
    expect(notPromoted.transitions).toBe(13 + 6);
    expect(promoted.invocations).toMatchObject({ select: 1, trainShard: 4, assemble: 1 });
    expect(promoted.invocations.batchScore).toBe(1 + 3 + 1);
    expect(notPromoted.invocations.batchScore).toBeUndefined();
  });

  it("invokes train once per candidate, promote and batchScore only on the promoted path", () => {
    const [promoted, notPromoted] = runPaths(definition, resources, 6);
    expect(promoted.invocations).toEqual({
      ingest: 1,
      validate: 1,
      drift: 1,
      preprocess: 1,
      train: 6,
      select: 1,
      evaluate: 1,
      report: 1,
      canary: 1,
      promote: 1,
      batchScore: 1,
    });
    expect(notPromoted.invocations.promote).toBeUndefined();
    expect(notPromoted.invocations.batchScore).toBeUndefined();
    expect(notPromoted.invocations.notifyFailure).toBeUndefined();
  });
});

describe("estimateRunCost", () => {
  it("prices Lambda by GB-second and request, and transitions per state", () => {
    const [path] = runPaths(definition, resources, 2);
    const cost = estimateRunCost(path, lambdaSettings, { train: 10 });
    const train = cost.steps.find((s) => s.step === "train")!;
    expect(train.gbSeconds).toBeCloseTo(2 * (STEP_DEFAULTS.train.memoryMb / 1024) * 10);
    expect(train.usd).toBeCloseTo(
      train.gbSeconds * PRICES.perLambdaGbSecond + 2 * PRICES.perLambdaRequest,
      12,
    );
    // 18 transitions with one candidate (above), one more for the second.
    expect(cost.transitionsUsd).toBeCloseTo(19 * PRICES.perTransition, 12);
    const ingest = cost.steps.find((s) => s.step === "ingest")!;
    expect(ingest.seconds).toBe(STEP_DEFAULTS.ingest.timeoutSeconds);
  });

  it("prices a container step by vCPU-hours and GB-hours, with no Lambda GB-seconds", () => {
    const [path] = runPaths(definition, resources, 1);
    const settings = {
      ...lambdaSettings,
      preprocess: { compute: "container", cpu: 2048, memoryMb: 4096, timeoutSeconds: 3600 },
    } as Record<StepName, StepSettings>;
    const step = estimateRunCost(path, settings).steps.find((s) => s.step === "preprocess")!;
    expect(step.gbSeconds).toBe(0);
    expect(step.usd).toBeCloseTo(2 * PRICES.perFargateVcpuHour + 4 * PRICES.perFargateGbHour);
  });

  it("never costs less with more candidates or longer steps", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 900 }),
        (n, more, seconds) => {
          const cost = (c: number, s: number) =>
            estimateRunCost(runPaths(definition, resources, c)[0], lambdaSettings, { train: s })
              .usd;
          return (
            cost(n + more, seconds) >= cost(n, seconds) && cost(n, seconds + 1) > cost(n, seconds)
          );
        },
      ),
    );
  });
});

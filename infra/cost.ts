/**
 * Cost of one pipeline run, computed from the definition the stack deploys and the stack's
 * step settings: Step Functions Standard bills per state transition, Lambda per request and
 * GB-second, Fargate per vCPU-hour and GB-hour. Pure; `scripts/cost-estimate.ts` prints it.
 *
 * A run is walked through the definition: every state entered is one transition, the Train
 * Map's inner states once per search candidate (FitShards' once per shard, ScoreFiles' once
 * per child execution, see FanOut), the Gate's two outcomes as two paths
 * (promoted, not promoted). Durations default to each step's timeout, so the figure is an
 * upper bound for a successful run; pass measured durations for a typical one. Retries add
 * transitions and invocations that are not counted.
 */
import type { State, StateMachineDefinition } from "../pipeline/workflow/asl.ts";
import { CANARY_CHOICE_STATE } from "../pipeline/workflow/canary-states.ts";
import { RETRAIN_STATE } from "../pipeline/workflow/drift-report-states.ts";
import { STEP_NAMES, type StepName, type StepResources } from "../pipeline/workflow/steps.ts";
import type { StepSettings } from "./config.ts";

/**
 * List prices, us-east-1 and eu-west-1 (USD), arm64. Check https://aws.amazon.com/pricing for
 * your region; the free tiers are ignored.
 */
export const PRICES = {
  perTransition: 0.025 / 1000,
  perLambdaRequest: 0.2 / 1_000_000,
  perLambdaGbSecond: 0.0000133334,
  perFargateVcpuHour: 0.03238,
  perFargateGbHour: 0.00356,
} as const;

export type Outcome = "promoted" | "not promoted";

export interface RunPath {
  outcome: Outcome;
  transitions: number;
  invocations: Partial<Record<StepName, number>>;
}

/**
 * How wide a run fans out beyond the search: `shards`, the sharded final fit's FitShards
 * iterations (1: Select fits every tree); `batchChildren`, the ScoreFiles child executions of
 * the promoted path (0: no deploy.batch; one child per 10 files otherwise).
 */
export interface FanOut {
  shards?: number;
  batchChildren?: number;
}

/** The state transitions and step invocations of each successful outcome of a run. */
export function runPaths(
  definition: StateMachineDefinition,
  resources: StepResources,
  candidates: number,
  fanOut: FanOut = {},
): RunPath[] {
  const shards = fanOut.shards ?? 1;
  const batchChildren = fanOut.batchChildren ?? 0;
  const width: Record<string, number> = { FitShards: shards, ScoreFiles: batchChildren };
  const stepOf = new Map(STEP_NAMES.map((s) => [resources[s], s]));
  return (["promoted", "not promoted"] as const).map((outcome) => {
    const path: RunPath = { outcome, transitions: 0, invocations: {} };
    walk(definition.States, definition.StartAt, 1);
    return path;

    function walk(states: Record<string, State>, start: string, times: number): void {
      let name: string | undefined = start;
      const seen = new Set<string>();
      while (name !== undefined) {
        if (seen.has(name)) throw new Error(`the definition loops at ${name}`);
        seen.add(name);
        const state: State = states[name];
        path.transitions += times;
        if (state.Type === "Task") {
          const step = stepOf.get(state.Resource);
          if (step) path.invocations[step] = (path.invocations[step] ?? 0) + times;
        } else if (state.Type === "Map") {
          const items = width[name] ?? candidates;
          walk(state.ItemProcessor.States, state.ItemProcessor.StartAt, times * items);
        }
        name = next(name, state);
      }
    }

    function next(name: string, state: State): string | undefined {
      if (state.Type === "Choice") {
        // Both priced outcomes train: a run that ends as NoDrift costs less than either.
        if (name === RETRAIN_STATE) return state.Choices[0].Next;
        // The plain promotion; a canary adds its Wait, Check and Decision (4 transitions).
        if (name === CANARY_CHOICE_STATE) return state.Default;
        if (name === "Sharded") return shards > 1 ? state.Choices[0].Next : state.Default;
        if (name === "Batch") {
          return outcome === "promoted" && batchChildren > 0
            ? state.Choices[0].Next
            : state.Default;
        }
        return outcome === "promoted" ? state.Choices[0].Next : state.Default;
      }
      if (state.Type === "Succeed" || state.Type === "Fail") return undefined;
      return state.Next;
    }
  });
}

export interface StepCost {
  step: StepName;
  compute: StepSettings["compute"];
  invocations: number;
  seconds: number;
  /** Lambda GB-seconds (0 for a container step). */
  gbSeconds: number;
  usd: number;
}

export interface RunCost {
  outcome: Outcome;
  transitions: number;
  transitionsUsd: number;
  steps: StepCost[];
  gbSeconds: number;
  usd: number;
}

export function estimateRunCost(
  path: RunPath,
  settings: Record<StepName, StepSettings>,
  durations: Partial<Record<StepName, number>> = {},
): RunCost {
  const steps: StepCost[] = [];
  for (const step of STEP_NAMES) {
    const invocations = path.invocations[step] ?? 0;
    if (invocations === 0) continue;
    const s = settings[step];
    const seconds = durations[step] ?? s.timeoutSeconds;
    if (s.compute === "lambda") {
      const gbSeconds = invocations * (s.memoryMb / 1024) * seconds;
      const usd = gbSeconds * PRICES.perLambdaGbSecond + invocations * PRICES.perLambdaRequest;
      steps.push({ step, compute: s.compute, invocations, seconds, gbSeconds, usd });
    } else {
      const hours = (invocations * seconds) / 3600;
      const usd =
        hours *
        ((s.cpu / 1024) * PRICES.perFargateVcpuHour +
          (s.memoryMb / 1024) * PRICES.perFargateGbHour);
      steps.push({ step, compute: s.compute, invocations, seconds, gbSeconds: 0, usd });
    }
  }
  const transitionsUsd = path.transitions * PRICES.perTransition;
  return {
    outcome: path.outcome,
    transitions: path.transitions,
    transitionsUsd,
    steps,
    gbSeconds: steps.reduce((sum, s) => sum + s.gbSeconds, 0),
    usd: transitionsUsd + steps.reduce((sum, s) => sum + s.usd, 0),
  };
}

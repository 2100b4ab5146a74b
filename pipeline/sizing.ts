/**
 * Sizing: will a pipeline's declared data size (`source.expectedRows`) fit its steps' memory
 * and time limits? A growth model linear in cells (rows x features), from measured runs
 * (bench/RESULTS.md, "Every state as fast as its engine"):
 *
 * - time: each step's CPU seconds at 80,000 rows x 20 features (1.6 M cells) in a local
 *   `orchard run` after issue 16's speed work (bench/e2e-cpu.ts; one thread), divided by
 *   1.6 M cells: Validate 0.51 s (3.1 M cells/s), Drift 0.52 s (3.1 M cells/s), Preprocess
 *   3.0 s (0.53 M cells/s, i.e. 27,000 rows/s at 20 features). At 1,000,000 x 50 the data path
 *   measured 0.27, 0.30 and 1.55 s per M cells: the model takes the larger (80k) figures.
 *   Select: 9.84 s on a quiet machine (the lead's bench:e2e baseline), about 0.6 s of it
 *   loading, scoring and storing (its profile), the rest growing 100 trees on 64,000 rows:
 *   5.5 s per M cells per 100 trees (8,200 source rows/s). One cross-validation fit is the
 *   issue's measure (27.8 s for five 100-tree folds). Tree growing scales with the trees. On
 *   Lambda, a function with less than 1,769 MB has less than one vCPU, and these
 *   single-threaded steps slow down in proportion.
 * - memory: a base for the runtime plus bytes per cell: 39 B/cell for fitting (bench/RESULTS.md:
 *   107 MB peak for 80,000 x 20, about 45 MB of which is Node itself), 120 B/cell for the
 *   steps that read the parsed table (the data path's 5.9 GB peak at 1,000,000 x 50, i.e. 50 M
 *   cells, in one process holding every step's data), and 100 B/cell for the steps that hold
 *   the prepared dataset and its transformed copy (an estimate).
 *
 * One machine's figures (a 2-core VM); Report is not modelled (its explanations are a
 * fixed-size sample: bench/RESULTS.md has its time).
 */
import type { PipelineSpec } from "./spec/types.ts";

/** The feature count the measured figures are for, assumed when the spec lists none. */
export const ASSUMED_FEATURES = 20;
const MEASURED_CELLS = 80_000 * 20;
/** Lambda gives a function one vCPU at 1,769 MB, less below. */
const ONE_VCPU_MB = 1769;
export const LAMBDA_MAX_MEMORY_MB = 10_240;
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;

/** Per million cells: seconds at one vCPU (per 100 trees per fit where trees are grown). */
export const GROWTH = {
  validate: { seconds: 0.51 / 1.6, bytesPerCell: 120 },
  drift: { seconds: 0.52 / 1.6, bytesPerCell: 120 },
  preprocess: { seconds: 3.03 / 1.6, bytesPerCell: 120 },
  /** One cross-validation fit (the Train measure over 5 folds). */
  trainFit: { seconds: 27.848 / 5 / 1.6, bytesPerCell: 100 },
  /** Growing 100 trees on the training rows (Select's fit in the 80,000 x 20 run). */
  grow: { seconds: (9.84 - 0.6) / 1.6, bytesPerCell: 39 },
  /** Select's loading, preprocessing and scoring around the fit. */
  selectRest: { seconds: 0.6 / 1.6, bytesPerCell: 100 },
} as const;
const BASE_MB = 200;

export interface StepLimits {
  compute: "lambda" | "container";
  memoryMb: number;
  timeoutSeconds: number;
}

export type SizedStep =
  | "validate"
  | "drift"
  | "preprocess"
  | "train"
  | "select"
  | "trainShard"
  | "assemble";

export interface SizingWarning {
  step: SizedStep;
  kind: "memory" | "time";
  /** Estimated MB or seconds. */
  estimate: number;
  /** The configured memoryMb or timeoutSeconds. */
  limit: number;
  message: string;
}

export interface StepEstimate {
  step: SizedStep;
  memoryMb: number;
  /** At one vCPU; `warnings` apply Lambda's slower CPU below 1,769 MB. */
  seconds: number;
}

/** The estimate of every modelled step at `spec.source.expectedRows` (none without it). */
export function estimateSteps(spec: PipelineSpec): StepEstimate[] {
  const rows = spec.source.expectedRows;
  if (rows === null) return [];
  const declared = spec.features.numeric.length + spec.features.categorical.length;
  const mcells = (rows * (declared > 0 ? declared : ASSUMED_FEATURES)) / 1e6;
  const trees = Math.max(spec.model.trees, ...(spec.search.grid.trees ?? [])) / 100;
  const shards = spec.model.shards;
  const mem = (bytesPerCell: number) => BASE_MB + (mcells * 1e6 * bytesPerCell) / 2 ** 20;
  const sec = (perMcell: number) => perMcell * mcells;
  const out: StepEstimate[] = [
    {
      step: "validate",
      memoryMb: mem(GROWTH.validate.bytesPerCell),
      seconds: sec(GROWTH.validate.seconds),
    },
    { step: "drift", memoryMb: mem(GROWTH.drift.bytesPerCell), seconds: sec(GROWTH.drift.seconds) },
    {
      step: "preprocess",
      memoryMb: mem(GROWTH.preprocess.bytesPerCell),
      seconds: sec(GROWTH.preprocess.seconds),
    },
  ];
  if (spec.search.folds !== null) {
    // one Train invocation cross-validates one candidate: `folds` fits
    out.push({
      step: "train",
      memoryMb: mem(GROWTH.trainFit.bytesPerCell),
      seconds: sec(GROWTH.trainFit.seconds) * trees * spec.search.folds,
    });
  }
  const fitMemory = mem(GROWTH.selectRest.bytesPerCell + GROWTH.grow.bytesPerCell);
  if (shards <= 1) {
    out.push({
      step: "select",
      memoryMb: fitMemory,
      seconds: sec(GROWTH.selectRest.seconds + GROWTH.grow.seconds * trees),
    });
  } else {
    out.push(
      { step: "select", memoryMb: mem(0), seconds: 0 },
      {
        step: "trainShard",
        memoryMb: fitMemory,
        seconds: sec(GROWTH.selectRest.seconds + (GROWTH.grow.seconds * trees) / shards),
      },
      { step: "assemble", memoryMb: fitMemory, seconds: sec(GROWTH.selectRest.seconds * 2) },
    );
  }
  return out;
}

/** Warnings for every modelled step whose estimate exceeds its configured memory or time. */
export function sizingWarnings(
  spec: PipelineSpec,
  limits: Record<SizedStep, StepLimits>,
): SizingWarning[] {
  const warnings: SizingWarning[] = [];
  const rows = spec.source.expectedRows ?? 0;
  for (const e of estimateSteps(spec)) {
    const limit = limits[e.step];
    const lambda = limit.compute === "lambda";
    const seconds = lambda ? e.seconds * Math.max(1, ONE_VCPU_MB / limit.memoryMb) : e.seconds;
    const at = `at ${rows.toLocaleString("en-US")} expected rows (source.expectedRows)`;
    if (e.memoryMb > limit.memoryMb) {
      const needed = Math.ceil(e.memoryMb / 64) * 64;
      const fix =
        lambda && needed > LAMBDA_MAX_MEMORY_MB
          ? `more than Lambda's ${LAMBDA_MAX_MEMORY_MB} MB: set orchard:steps.${e.step}.compute: container with memoryMb ${needed} or more`
          : `raise orchard:steps.${e.step}.memoryMb to ${needed} or more`;
      warnings.push({
        step: e.step,
        kind: "memory",
        estimate: Math.round(e.memoryMb),
        limit: limit.memoryMb,
        message: `${e.step} needs about ${Math.round(e.memoryMb)} MB ${at}, over its ${limit.memoryMb} MB: ${fix}`,
      });
    }
    if (seconds > limit.timeoutSeconds) {
      const needed = Math.ceil(seconds / 60) * 60;
      const fix =
        lambda && needed > LAMBDA_MAX_TIMEOUT_SECONDS
          ? `more than Lambda's 15 minutes: set orchard:steps.${e.step}.compute: container (timeoutSeconds ${needed} or more)`
          : `raise orchard:steps.${e.step}.timeoutSeconds to ${needed} or more`;
      warnings.push({
        step: e.step,
        kind: "time",
        estimate: Math.round(seconds),
        limit: limit.timeoutSeconds,
        message: `${e.step} takes about ${Math.round(seconds)} s ${at}, over its ${limit.timeoutSeconds} s: ${fix}${shardHint(spec, e.step)}`,
      });
    }
  }
  return warnings;
}

/**
 * Where growing the trees takes too long, sharding them is the other way out (not for
 * memory: every shard holds the whole training split).
 */
function shardHint(spec: PipelineSpec, step: SizedStep): string {
  if (step !== "select" && step !== "trainShard") return "";
  if (spec.model.engine !== "orchard") return "";
  const more = Math.min(40, Math.max(2, spec.model.shards * 2));
  return `; or split the final fit's trees with model.shards: ${more}`;
}

/** The model's constants as measured-figure provenance, for docs and messages. */
export const SIZING_BASIS = `linear in rows x features, from 80,000 x 20 (${MEASURED_CELLS.toLocaleString("en-US")} cells) measured runs; estimates`;

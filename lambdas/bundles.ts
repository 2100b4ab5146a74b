/**
 * Which handler runs each function, in one place: the step Lambdas and predict are each built
 * from `lambdas/<bundle>.ts` into `dist/lambdas/<bundle>/index.mjs` (scripts/build-lambdas.ts)
 * and deployed from there (infra/); the steps that may run as Fargate tasks instead are run by
 * lambdas/container-runner.ts, which must have a handler for each of them.
 */
import { STEP_NAMES, type StepName } from "../pipeline/workflow/steps.ts";

export const BUNDLE_OF = {
  ingest: "ingest",
  validate: "validate",
  drift: "drift",
  preprocess: "preprocess",
  train: "train",
  select: "select",
  trainShard: "train-shard",
  assemble: "assemble",
  evaluate: "evaluate",
  report: "report",
  canary: "canary",
  promote: "promote",
  batchScore: "batch-score",
  notifyFailure: "notify-failure",
  predict: "predict",
} as const satisfies Record<StepName | "predict", string>;

/** The handler of every feature view's materialization state machine (infra/feature-view.ts). */
export const MATERIALIZE_BUNDLE = "materialize";

/** The handler of every pipeline's Monitor state machine (infra/monitor.ts). */
export const MONITOR_BUNDLE = "monitor";

/** Every deployable handler: `lambdas/<name>.ts`, exporting `handler`. */
export const BUNDLES = [...Object.values(BUNDLE_OF), MATERIALIZE_BUNDLE, MONITOR_BUNDLE] as const;

export type BundleName = (typeof BUNDLES)[number];

/**
 * Steps that may run as Fargate tasks (`compute: container`): every step but these two, which
 * stay Lambdas: the Report task's input comes from Parameters, which the container rewrite
 * replaces, and the failure path should not wait for a task to start.
 */
const LAMBDA_ONLY_STEPS = ["report", "notifyFailure"] as const;

export type ContainerStep = Exclude<StepName, (typeof LAMBDA_ONLY_STEPS)[number]>;

export const CONTAINER_STEPS: readonly ContainerStep[] = STEP_NAMES.filter(
  (step): step is ContainerStep => !(LAMBDA_ONLY_STEPS as readonly StepName[]).includes(step),
);

/**
 * Which handler runs each function, in one place: the step Lambdas and predict are each built
 * from `lambdas/<bundle>.ts` into `dist/lambdas/<bundle>/index.mjs` (scripts/build-lambdas.ts)
 * and deployed from there (infra/); the steps that may run as Fargate tasks instead are run by
 * lambdas/container-runner.ts, which must have a handler for each of them.
 */
import type { StepName } from "../pipeline/workflow/steps.ts";

export const BUNDLE_OF = {
  ingest: "ingest",
  validate: "validate",
  drift: "drift",
  preprocess: "preprocess",
  train: "train",
  select: "select",
  evaluate: "evaluate",
  report: "report",
  canary: "canary",
  promote: "promote",
  batchScore: "batch-score",
  notifyFailure: "notify-failure",
  predict: "predict",
} as const satisfies Record<StepName | "predict", string>;

/** Every deployable handler: `lambdas/<name>.ts`, exporting `handler`. */
export const BUNDLES = Object.values(BUNDLE_OF);

export type BundleName = (typeof BUNDLES)[number];

/**
 * Steps that may run as Fargate tasks (`compute: container`). notifyFailure and report stay
 * Lambdas: the Report task's input comes from Parameters, which the container rewrite
 * replaces, and the failure path should not wait for a task to start.
 */
export const CONTAINER_STEPS = [
  "ingest",
  "validate",
  "drift",
  "preprocess",
  "train",
  "select",
  "evaluate",
  "canary",
  "promote",
  "batchScore",
] as const satisfies readonly StepName[];

export type ContainerStep = (typeof CONTAINER_STEPS)[number];

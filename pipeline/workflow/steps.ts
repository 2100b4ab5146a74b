/**
 * The steps of an Orchard pipeline as the state machine sees them: one Lambda function per
 * step, and the names of the states that invoke them. State names are part of the contract
 * between the definition, the local executor's timeline and the user's error messages
 * ("Validate failed: TargetError: ...").
 */

import { SpecError } from "../errors.ts";

export const STEP_NAMES = [
  "ingest",
  "validate",
  "drift",
  "preprocess",
  "train",
  "select",
  "trainShard",
  "assemble",
  "evaluate",
  "report",
  "canary",
  "promote",
  "batchScore",
  "notifyFailure",
] as const;

export type StepName = (typeof STEP_NAMES)[number];

/** The Lambda function ARN that runs each step (real ARNs in the cloud, fake ones locally). */
export type StepResources = Record<StepName, string>;

/** Every state of the definition, in execution order; the last three only run on failure. */
export const STATE_NAMES = [
  "Ingest",
  "Validate",
  "Drift",
  "Retrain",
  "Preprocess",
  "Train",
  "TrainCandidate",
  "Select",
  "Sharded",
  "FitShards",
  "TrainShard",
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
  "ScoreFileBatch",
  "BatchResults",
  "Promoted",
  "NotPromoted",
  "RolledBack",
  "ReportNoDrift",
  "NoDrift",
  "NotifyFailure",
  "ReportFailure",
  "Failed",
] as const;

export type StateName = (typeof STATE_NAMES)[number];

/**
 * The Task state that invokes each step. `train` runs inside the `Train` Map, once per
 * candidate, as `TrainCandidate`; `trainShard` inside the `FitShards` Map, once per tree range; `report` also runs as `ReportNoDrift` and `ReportFailure`;
 * `canary` also runs as `CanaryCheck`.
 */
export const TASK_STATE_OF_STEP = {
  ingest: "Ingest",
  validate: "Validate",
  drift: "Drift",
  preprocess: "Preprocess",
  train: "TrainCandidate",
  select: "Select",
  trainShard: "TrainShard",
  assemble: "Assemble",
  evaluate: "Evaluate",
  report: "Report",
  canary: "CanaryStart",
  promote: "Promote",
  batchScore: "BatchScore",
  notifyFailure: "NotifyFailure",
} as const satisfies Record<StepName, StateName>;

/** Lambda function names: letters, digits, `-` and `_`, at most 64 characters. */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const PIPELINE_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const LAMBDA_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9_$-]{1,128})?$/;

/** Throws a SpecError unless `pipeline` can name AWS resources (`orchard-<pipeline>-<step>`). */
export function checkPipelineName(pipeline: string): void {
  if (!PIPELINE_NAME.test(pipeline)) {
    throw new SpecError(
      `pipeline name "${pipeline}" is not usable in resource names: use lowercase letters, digits and inner hyphens (e.g. "churn-model")`,
      { path: "pipeline" },
    );
  }
  const longest = `orchard-${pipeline}-notifyFailure`;
  if (!FUNCTION_NAME.test(longest)) {
    throw new SpecError(
      `pipeline name "${pipeline}" is too long: Lambda function names such as "${longest}" must be at most 64 characters; shorten the name to ${64 - "orchard--notifyFailure".length} characters or fewer`,
      { path: "pipeline" },
    );
  }
}

/** Throws a SpecError naming the step unless every step has a distinct, valid Lambda ARN. */
export function checkResources(resources: StepResources): void {
  const seen = new Map<string, StepName>();
  for (const step of STEP_NAMES) {
    const arn = resources[step];
    if (typeof arn !== "string" || !LAMBDA_ARN.test(arn)) {
      throw new SpecError(
        `resource for step "${step}" is ${JSON.stringify(arn)}, not a Lambda function ARN: pass arn:aws:lambda:<region>:<account>:function:<name>`,
        { path: `resources.${step}` },
      );
    }
    const other = seen.get(arn);
    if (other) {
      throw new SpecError(
        `steps "${other}" and "${step}" share the Lambda ARN ${arn}: each step needs its own function so failures name the right step`,
        { path: `resources.${step}` },
      );
    }
    seen.set(arn, step);
  }
}

/** Fake-but-valid Lambda ARNs for `orchard run`; handlers are substituted by state name. */
export function localResources(pipeline: string): StepResources {
  checkPipelineName(pipeline);
  const arn = (step: StepName) =>
    `arn:aws:lambda:us-east-1:000000000000:function:orchard-${pipeline}-${step}`;
  return Object.fromEntries(STEP_NAMES.map((step) => [step, arn(step)])) as StepResources;
}

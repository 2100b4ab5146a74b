/**
 * The contract between Orchard and a team's own trainer (`model.type: custom`,
 * docs/custom-training.md), as data: what the trainer is given (the prepared matrices and
 * their schema, as URIs in its environment) and what it must leave (an ONNX model and
 * metrics.json at the URIs it is given). Who runs it is a `CustomTrainer`: a Fargate task of
 * the team's image in the cloud, a child process in `orchard run` (lambdas/io/process-trainer.ts).
 */
import type { FeatureMatrix, Target } from "../data/frame.ts";
import { CustomTrainingError } from "../errors.ts";

/**
 * The role a trainer acts as (its Fargate task role; infra/access/custom-trainer.ts): read
 * its inputs, write its outputs, nothing else. `orchard run`'s process trainer copies the
 * files as this role, so an IAM-enforced local run checks the same grants.
 */
export const CUSTOM_TRAINER_ROLE = "customTrainer";

/** The schema.json format's name and version (`format`). */
export const CUSTOM_TRAINING_FORMAT = "orchard-custom-training/1";

export interface CustomTrainingJob {
  pipeline: string;
  image: string | null;
  command: string[];
  seed: number;
  /** `s3://` URIs Orchard wrote: the prepared train and test matrices (CSV) and schema.json. */
  inputs: { train: string; test: string; schema: string };
  /** `s3://` URIs the trainer writes: the model (ONNX) and its metrics (JSON). */
  outputs: { model: string; metrics: string };
}

/** Runs one training job to completion; throws CustomTrainingError (errors.ts) when it fails. */
export interface CustomTrainer {
  run(job: CustomTrainingJob): Promise<void>;
}

/** The trainer's environment: the URIs of its inputs and outputs, and the run's seed. */
export function trainerEnvironment(
  job: Pick<CustomTrainingJob, "inputs" | "outputs" | "seed">,
): Record<string, string> {
  return {
    ORCHARD_TRAIN_URI: job.inputs.train,
    ORCHARD_TEST_URI: job.inputs.test,
    ORCHARD_SCHEMA_URI: job.inputs.schema,
    ORCHARD_MODEL_URI: job.outputs.model,
    ORCHARD_METRICS_URI: job.outputs.metrics,
    ORCHARD_SEED: String(job.seed),
  };
}

export interface TrainingSchema {
  format: typeof CUSTOM_TRAINING_FORMAT;
  task: "classification" | "regression";
  /** The CSV's last column: the class code (0..k-1, into `classes`) or the value. */
  target: string;
  /** The matrix's columns, in order: what the ONNX model's input [N, features] holds. */
  features: string[];
  classes: string[] | null;
  /** The spec's search metric, for the trainer's own model selection and metrics.json. */
  metric: string;
  seed: number;
  rows: { train: number; test: number };
}

/**
 * One prepared matrix as CSV: a header (the features, then the target), one line per row;
 * numbers as JavaScript prints them (shortest round-trip), a missing value as `nan`.
 */
export function matrixCsv(X: FeatureMatrix, target: Target, targetName: string): Uint8Array {
  const lines = [[...X.names, targetName].map(csvField).join(",")];
  for (let r = 0; r < X.rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < X.cols; c++) cells.push(numberCell(X.values[r * X.cols + c]));
    cells.push(
      target.kind === "classification" ? String(target.codes[r]) : numberCell(target.values[r]),
    );
    lines.push(cells.join(","));
  }
  return new TextEncoder().encode(`${lines.join("\n")}\n`);
}

function numberCell(v: number): string {
  return Number.isNaN(v) ? "nan" : String(v);
}

function csvField(name: string): string {
  return /[",\n\r]/.test(name) ? `"${name.replace(/"/g, '""')}"` : name;
}

/** metrics.json: a JSON object of finite numbers, or a CustomTrainingError saying what is wrong. */
export function parseReportedMetrics(bytes: Uint8Array, uri: string): Record<string, number> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new CustomTrainingError(
      `${uri} is not JSON; the trainer must write metrics.json as an object of numbers, e.g. {"accuracy": 0.97}`,
      { file: uri },
      { cause },
    );
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new CustomTrainingError(
      `${uri} is not a JSON object; write an object of numbers, e.g. {"accuracy": 0.97}`,
      { file: uri },
    );
  }
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new CustomTrainingError(
        `${uri}: "${key}" is ${JSON.stringify(v)}, not a finite number`,
        { file: uri },
      );
    }
    out[key] = v;
  }
  return out;
}

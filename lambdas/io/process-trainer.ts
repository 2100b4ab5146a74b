/**
 * The custom-training contract (pipeline/train/custom-trainer.ts) run with a process instead
 * of a container: what `orchard run` does for `model.type: custom`. The command runs from the
 * spec's directory with the environment a task of the image would get (the contract's
 * variables, and only PATH, HOME, LANG and TMPDIR from this process): its input URIs are
 * `file://` copies of the objects Select wrote, and what it leaves at its output `file://`
 * URIs is uploaded to the `s3://` URIs Select reads. A Fargate task gets the `s3://` URIs
 * themselves (docs/custom-training.md).
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { CustomTrainingError } from "../../pipeline/errors.ts";
import { type ArtifactStore, parseS3Uri } from "../../pipeline/store.ts";
import {
  CUSTOM_TRAINER_ROLE,
  type CustomTrainer,
  type CustomTrainingJob,
  trainerEnvironment,
} from "../../pipeline/train/custom-trainer.ts";
import { runAs } from "./caller.ts";

/** How much of the trainer's output a failure message quotes (its end: where errors are). */
const OUTPUT_TAIL = 4000;

export interface ProcessTrainerOptions {
  /** Where the command runs: the spec's directory. */
  cwd: string;
  artifacts: Pick<ArtifactStore, "get" | "put">;
}

export function processTrainer({ cwd, artifacts }: ProcessTrainerOptions): CustomTrainer {
  return {
    async run(job) {
      const dir = await mkdtemp(path.join(tmpdir(), "orchard-custom-train-"));
      try {
        const local = {
          train: path.join(dir, "inputs", "train.csv"),
          test: path.join(dir, "inputs", "test.csv"),
          schema: path.join(dir, "inputs", "schema.json"),
          model: path.join(dir, "outputs", "model.onnx"),
          metrics: path.join(dir, "outputs", "metrics.json"),
        };
        await mkdir(path.join(dir, "inputs"));
        await mkdir(path.join(dir, "outputs"));
        // The copies a task would make itself, as its role (what an enforced run checks).
        const asTrainer = <T>(fn: () => Promise<T>) =>
          runAs({ role: CUSTOM_TRAINER_ROLE, pipeline: job.pipeline }, fn);
        for (const name of ["train", "test", "schema"] as const) {
          await writeFile(local[name], await asTrainer(() => artifacts.get(job.inputs[name])));
        }
        const url = (file: string) => pathToFileURL(file).href;
        const env = {
          ...inherited(dir),
          ...trainerEnvironment({
            seed: job.seed,
            inputs: { train: url(local.train), test: url(local.test), schema: url(local.schema) },
            outputs: { model: url(local.model), metrics: url(local.metrics) },
          }),
        };
        await runCommand(job, cwd, env);
        for (const name of ["model", "metrics"] as const) {
          const bytes = await readFile(local[name]).catch(() => null);
          // A missing output is reported by Select, which reads the s3:// URI.
          if (bytes) {
            const key = parseS3Uri(job.outputs[name]).key;
            await asTrainer(() => artifacts.put("artifacts", key, bytes));
          }
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

function inherited(dir: string): Record<string, string> {
  const env: Record<string, string> = { TMPDIR: dir };
  for (const key of ["PATH", "HOME", "LANG"]) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

function runCommand(
  job: CustomTrainingJob,
  cwd: string,
  env: Record<string, string>,
): Promise<void> {
  const [command, ...args] = job.command;
  const shown = job.command.join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (d: Buffer) => {
      output = (output + d.toString("utf8")).slice(-OUTPUT_TAIL);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", (err) => {
      reject(
        new CustomTrainingError(
          `the trainer command "${shown}" could not start in ${cwd} (${err.message}); model.command runs from the spec's directory`,
          { path: "model.command" },
          { cause: err },
        ),
      );
    });
    child.once("close", (code, signal) => {
      if (code === 0) return resolve();
      reject(
        new CustomTrainingError(
          `the trainer command "${shown}" ${signal ? `was killed by ${signal}` : `exited with code ${code}`}; its output ends with:\n${output.trimEnd()}`,
          { path: "model.command" },
        ),
      );
    });
  });
}

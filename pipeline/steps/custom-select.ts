/**
 * Select for `model.type: custom` (docs/custom-training.md): instead of refitting Orchard's
 * best candidate, it fits the preprocessor on the training rows (as for every family), writes
 * the prepared train and test matrices and schema.json, has the team's trainer run
 * (`deps.customTrainer`), reads back its ONNX model and metrics.json, and stores a model bundle
 * like any other: the preprocessor, the ONNX bytes, and Orchard's own test metrics (the
 * trainer's are recorded beside them, not trusted for the gate).
 */
import { takeRows } from "../data/frame.ts";
import { ArtifactNotFoundError, CustomTrainingError, SpecError } from "../errors.ts";
import { fitPreprocessor } from "../features/preprocessor.ts";
import { OnnxTreeModel } from "../onnx/onnx-model.ts";
import type { PipelineSpec } from "../spec/types.ts";
import { sha256Hex } from "../store.ts";
import {
  CUSTOM_TRAINING_FORMAT,
  type CustomTrainingJob,
  matrixCsv,
  parseReportedMetrics,
  type TrainingSchema,
} from "../train/custom-trainer.ts";
import { takeTarget } from "../train/fit.ts";
import { need } from "./context.ts";
import { loadDataset } from "./load-dataset.ts";
import { rankedCandidates, storeModel } from "./select.ts";
import { preprocessingOptions } from "./setup.ts";
import type { RunState, SelectOutput, StepDeps } from "./types.ts";

/** Where a run's custom-training inputs and outputs live in the artifacts bucket. */
export function customTrainingKeys(pipeline: string, inputsSha256: string) {
  const inputs = `${pipeline}/custom-train/inputs/${inputsSha256}`;
  const outputs = `${pipeline}/custom-train/outputs/${inputsSha256}`;
  return {
    train: `${inputs}/train.csv`,
    test: `${inputs}/test.csv`,
    schema: `${inputs}/schema.json`,
    model: `${outputs}/model.onnx`,
    metrics: `${outputs}/metrics.json`,
  };
}

export async function selectCustom(
  state: RunState,
  deps: StepDeps,
  spec: PipelineSpec,
): Promise<SelectOutput> {
  const custom = spec.model.custom;
  if (!custom) {
    throw new SpecError("model.type is custom but the spec has no model.command", {
      path: "model.command",
    });
  }
  if (!deps.customTrainer) {
    throw new CustomTrainingError(
      "model.type is custom, but this Select has no trainer to run it with: run it with `orchard run`, or deploy the pipeline with model.image set (docs/custom-training.md)",
      { path: "model.image" },
    );
  }
  const prepared = need(state, "preprocess");
  const data = await loadDataset(deps, prepared.datasetUri);
  const train = takeRows(data.frame, data.train);
  const test = takeRows(data.frame, data.test);
  const trainTarget = takeTarget(data.target, data.train);
  const testTarget = takeTarget(data.target, data.test);
  const preprocessor = fitPreprocessor(train, prepared.features, preprocessingOptions(spec));
  const classes = data.target.kind === "classification" ? data.target.classes : null;
  const schema: TrainingSchema = {
    format: CUSTOM_TRAINING_FORMAT,
    task: spec.task,
    target: spec.target,
    features: preprocessor.outputNames,
    classes,
    metric: spec.search.metric,
    seed: spec.seed,
    rows: { train: data.train.length, test: data.test.length },
  };
  const files = {
    train: matrixCsv(preprocessor.transform(train), trainTarget, spec.target),
    test: matrixCsv(preprocessor.transform(test), testTarget, spec.target),
    schema: new TextEncoder().encode(`${JSON.stringify(schema, null, 2)}\n`),
  };
  // The same inputs and trainer give the same keys: a rerun overwrites its own outputs only.
  const inputsSha256 = sha256Hex(
    new TextEncoder().encode(
      JSON.stringify([
        sha256Hex(files.train),
        sha256Hex(files.test),
        sha256Hex(files.schema),
        custom.image,
        custom.command,
      ]),
    ),
  );
  const keys = customTrainingKeys(spec.name, inputsSha256);
  const uri = (key: string) => deps.artifacts.uriFor("artifacts", key);
  await deps.artifacts.put("artifacts", keys.train, files.train);
  await deps.artifacts.put("artifacts", keys.test, files.test);
  await deps.artifacts.put("artifacts", keys.schema, files.schema);
  const job: CustomTrainingJob = {
    pipeline: spec.name,
    image: custom.image,
    command: custom.command,
    seed: spec.seed,
    inputs: { train: uri(keys.train), test: uri(keys.test), schema: uri(keys.schema) },
    outputs: { model: uri(keys.model), metrics: uri(keys.metrics) },
  };
  await deps.customTrainer.run(job);
  const modelBytes = await output(deps, job.outputs.model, "the ONNX model");
  const reported = parseReportedMetrics(
    await output(deps, job.outputs.metrics, "metrics.json"),
    job.outputs.metrics,
  );
  const model = new OnnxTreeModel(
    modelBytes,
    { features: preprocessor.outputNames, classes },
    job.outputs.model,
  );
  return storeModel(
    state,
    deps,
    spec,
    data,
    rankedCandidates(state),
    { preprocessor, forest: model },
    {
      customTraining: {
        image: custom.image,
        command: custom.command,
        inputs: job.inputs,
        outputs: job.outputs,
        reportedMetrics: reported,
      },
    },
  );
}

async function output(deps: StepDeps, uri: string, what: string): Promise<Uint8Array> {
  try {
    return await deps.artifacts.get(uri);
  } catch (cause) {
    if (!(cause instanceof ArtifactNotFoundError)) throw cause;
    throw new CustomTrainingError(
      `the trainer exited 0 but wrote no ${what} at ${uri}; write it to the URI in ${what === "metrics.json" ? "ORCHARD_METRICS_URI" : "ORCHARD_MODEL_URI"}`,
      { file: uri },
      { cause },
    );
  }
}

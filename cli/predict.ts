/**
 * Usage: orchard predict <spec.yaml> --input FILE|DIR|s3://bucket/prefix/ [--version vN]
 *        [--state-dir DIR]
 *
 * Predicts every row of FILE (CSV, or JSON Lines: .csv, .jsonl, .ndjson) with the pipeline's
 * champion model (or the registered version `--version` names) from the local registry and prints one JSON object per input row, in input
 * order, on stdout:
 *
 *   {"prediction": "Adelie", "probabilities": {"Adelie": 0.97, "Chinstrap": 0.02, "Gentoo": 0.01}}
 *   {"prediction": 412.5}                       (regression: no probabilities)
 *
 * Columns the model does not use (the target, ids) are ignored. A missing feature column or a
 * value of the wrong type stops before anything is printed, naming the row and column. A model
 * trained with features from views looks them up in the online store by the rows' entity
 * keys, as POST /predict does; a row whose features were imputed carries `missingFeatures`.
 * Exit 0 success, 1 bad input or no champion yet (run the pipeline first), 2 usage error.
 */
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { runAs } from "../lambdas/io/caller.ts";
import { championBundle, NoChampionError } from "../lambdas/predict.ts";
import { withExplanations } from "../lambdas/predict-explain.ts";
import { stepDeps } from "../lambdas/step-handler.ts";
import { DataFormatError } from "../pipeline/errors.ts";
import type { ModelBundle } from "../pipeline/model/bundle.ts";
import { whyNoChampion } from "../pipeline/model/gate.ts";
import type { RawRow } from "../pipeline/model/schema.ts";
import {
  type FlaggedPrediction,
  flagMissing,
  lookupForModel,
} from "../pipeline/serving/online-features.ts";
import type { PipelineSpec } from "../pipeline/spec/types.ts";
import { predictIn, versionBundle } from "../pipeline/steps/batch-score.ts";
import { type ModelVersion, parseVersionId } from "../pipeline/store.ts";
import { parse, UsageError } from "./args.ts";
import { DEFAULT_STATE_DIR, loadSpecFile, withLocalStores } from "./local/run-pipeline.ts";
import { parseRows, rowFormatOf } from "./read-rows.ts";
import { fail } from "./report-error.ts";

const USAGE = `Usage: orchard predict <spec.yaml> --input FILE|DIR|s3://bucket/prefix/ [--version vN] [--state-dir DIR]

Predicts every row of FILE with the pipeline's champion model and prints one JSON
object per row, in input order: {"prediction": …, "probabilities": {label: p}}.
With a directory or an s3:// prefix, scores every .csv/.jsonl file under it into a
<name>.predictions.<ext> file next to it and prints one JSON line per file.

  --input FILE     rows to predict: .csv (with a header) or .jsonl/.ndjson
  --version vN     predict with this registered version instead of the champion
                   (any status: rejected and rolled-back ones too; "orchard models" lists them)
  --explain        add each row's TreeSHAP explanation: "explanation": {"class",
                   "expectedValue", "output", "contributions": {feature: value}}
  --state-dir DIR  the local storage "orchard run" wrote (default .orchard)`;

export interface PredictFileOptions {
  specPath: string;
  inputPath: string;
  stateDir?: string;
  /** Add TreeSHAP explanations (see lambdas/predict-explain.ts). */
  explain?: boolean;
  /** A registered version (`v3`) to predict with instead of the champion. */
  version?: string;
  /** The time view features' TTL is judged at (online lookup). Default: now. */
  now?: () => Date;
}

export interface PredictFileResult {
  pipeline: string;
  modelVersion: string;
  predictions: FlaggedPrediction[];
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(
      argv,
      {
        input: { type: "string" },
        "state-dir": { type: "string" },
        version: { type: "string" },
        explain: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(`expected one spec file\n\n${USAGE}`);
    if (!values.input) throw new UsageError(`--input FILE is required\n\n${USAGE}`);
    if (values.version !== undefined && parseVersionId(values.version) === null) {
      throw new UsageError(
        `--version ${JSON.stringify(values.version)} is not a version id; expected v1, v2, … ("orchard models" lists them)`,
      );
    }
    const isDirectory = statSync(values.input, { throwIfNoEntry: false })?.isDirectory();
    if (values.input.startsWith("s3://") || isDirectory) {
      const { formatBatch, predictBatch } = await import("./predict-batch.ts");
      const specPath = positionals[0];
      const batch = await predictBatch({
        specPath,
        inputUri: isDirectory ? `${pathToFileURL(resolve(values.input)).href}/` : values.input,
        stateDir: values["state-dir"],
        version: values.version,
      });
      process.stdout.write(formatBatch(batch));
      return 0;
    }
    const result = await predictFile({
      specPath: positionals[0],
      inputPath: values.input,
      stateDir: values["state-dir"],
      explain: values.explain,
      version: values.version,
    });
    // A reader that stops early (`| head`) closes the pipe: that is not a failure.
    process.stdout.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
    });
    if (result.predictions.length > 0) {
      process.stdout.write(`${result.predictions.map((p) => JSON.stringify(p)).join("\n")}\n`);
    }
    return 0;
  } catch (err) {
    return fail("predict", err);
  }
}

/**
 * Reads the input, then scores it with the champion (or `options.version`) in the local
 * registry under `stateDir`.
 */
export async function predictFile(options: PredictFileOptions): Promise<PredictFileResult> {
  const format = rowFormatOf(options.inputPath);
  if (!format) {
    throw new UsageError(
      `--input ${options.inputPath}: expected a .csv, .jsonl or .ndjson file\n\n${USAGE}`,
    );
  }
  const { spec } = await loadSpecFile(options.specPath);
  const rows = parseRows(await readInput(options.inputPath), format, options.inputPath);
  const stateDir = resolve(options.stateDir ?? DEFAULT_STATE_DIR);
  const runCommand = `orchard run ${options.specPath}${options.stateDir === undefined ? "" : ` --state-dir ${options.stateDir}`}`;
  // A state directory that does not exist holds no model: say so instead of creating it.
  if (!existsSync(stateDir)) throw noChampionError(spec, stateDir, null, runCommand);
  // What the predict Lambda does for a direct invocation, as its role.
  return withLocalStores(stateDir, () =>
    runAs({ role: "predict", pipeline: spec.name }, async () => {
      const deps = stepDeps();
      let model: { version: string; bundle: ModelBundle };
      try {
        model = options.version
          ? await versionBundle(deps, spec.name, options.version)
          : await championBundle(spec.name);
      } catch (err) {
        if (!(err instanceof NoChampionError)) throw err;
        const [newest] = await deps.registry.listVersions(spec.name);
        throw noChampionError(spec, stateDir, newest ?? null, runCommand);
      }
      // A model that takes view features gets them from the online store, as POST /predict.
      const looked = await lookupForModel(
        model.bundle,
        rows,
        deps.features,
        options.now?.() ?? new Date(),
        `model ${model.version}`,
      );
      const filled = (looked?.rows ?? rows) as RawRow[];
      const predictions = flagMissing(
        predictIn(model.bundle, filled, options.inputPath),
        looked?.missing ?? null,
      );
      return {
        pipeline: spec.name,
        modelVersion: model.version,
        predictions: options.explain
          ? await withExplanations(spec.name, model.version, model.bundle, filled, predictions)
          : predictions,
      };
    }),
  );
}

/** No champion: why (the gate's verdict on the newest version), and what to do about it. */
export function noChampionError(
  spec: PipelineSpec,
  stateDir: string,
  newest: ModelVersion | null,
  runCommand: string,
): NoChampionError {
  const next = newest
    ? `; or predict with a registered version: --version ${newest.version} ("orchard models" lists them)`
    : `; run "${runCommand}" until a model is promoted, then predict again`;
  return new NoChampionError(
    `pipeline "${spec.name}" has no champion model in ${stateDir}: ${whyNoChampion(spec.gate, newest)}${next}`,
  );
}

async function readInput(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const what = code === "ENOENT" ? "does not exist" : `cannot be read (${code})`;
    throw new DataFormatError(
      `input file ${path} ${what}; check --input`,
      { file: path },
      { cause },
    );
  }
}

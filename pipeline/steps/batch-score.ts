/**
 * Batch scoring: every input file under an S3 prefix or a local directory (`.csv`, `.jsonl`,
 * `.ndjson`) scored with the champion into a predictions file next to it:
 *
 *   s3://landing/scores/2026-03.csv    → s3://landing/scores/2026-03.predictions.csv
 *   s3://landing/scores/day.jsonl      → s3://landing/scores/day.predictions.jsonl
 *
 * A CSV output repeats the input columns and adds `prediction` and, for classification,
 * `probability_<label>` per class; text cells are formula-neutralized (csv-output.ts). A JSON
 * Lines output has one `{"prediction", "probabilities"?}` per input line, in order. Files
 * already named `*.predictions.*` are never inputs. A file with a bad row fails the step
 * naming the file, row and column; files scored before it keep their outputs (each output is
 * a whole object, written once its file is scored). The result lists at most 100 files (the
 * state payload stays small) and counts all of them.
 *
 * Storage is any S3 location, not only Orchard's buckets (locally also a directory), so the
 * step takes its own small object interface (`BatchObjects`); lambdas/batch-score.ts
 * implements it over S3 and the file system.
 *
 * Two entry points: `batchScore` (a prefix and the pipeline, scored with the champion, or with
 * a given version), as `orchard predict --input` and a direct invocation run it; and
 * `batchScoreStep`, the BatchScore state after Promote, which scores the run input's
 * `batchUri` (the spec's `deploy.batch.inputUri`) with the version this run promoted. The
 * state runs after the promotion: if it fails, the execution fails (and notifies) but the new
 * champion stays; an empty prefix is no failure there (`fileCount: 0`).
 */
import { readCsv } from "../data/read-csv.ts";
import { csvTableRows, jsonlRows } from "../data/read-rows.ts";
import {
  DataFormatError,
  ModelVersionNotFoundError,
  OrchardError,
  SourceNotFoundError,
} from "../errors.ts";
import { loadBundle, type ModelBundle, type Prediction } from "../model/bundle.ts";
import type { RawRow } from "../model/schema.ts";
import { type CsvCell, toCsv } from "../serving/csv-output.ts";
import { ServedModels } from "../serving/served-models.ts";
import type { ArtifactStore, ModelRegistry } from "../store.ts";
import type { RunState } from "./types.ts";

export interface BatchObjects {
  /** Every object under `s3://bucket/prefix` (all pages) or `file:///dir/`, as full URIs. */
  list(prefixUri: string): Promise<string[]>;
  get(uri: string): Promise<Uint8Array>;
  put(uri: string, bytes: Uint8Array, contentType: string): Promise<void>;
}

export interface BatchScoreDeps {
  registry: ModelRegistry;
  artifacts: ArtifactStore;
  objects: BatchObjects;
}

export interface BatchScoreEvent {
  pipeline: string;
  /** `s3://bucket/prefix/` (or one object's URI); `file:///dir/` where the objects allow it. */
  inputUri: string;
  /** The registry version to score with. Default: the champion. */
  version?: string;
}

export interface ScoredFile {
  input: string;
  output: string;
  rows: number;
}

export interface BatchScoreOutput {
  modelVersion: string;
  files: ScoredFile[];
  fileCount: number;
  rowCount: number;
}

/** The BatchScore state's result, under `$.batchScore`. */
export type BatchScoreStepOutput =
  | ({ enabled: true; inputUri: string } & BatchScoreOutput)
  | { enabled: false; reason: string };

const MAX_LISTED = 100;
const FORMATS: Record<string, "csv" | "jsonl"> = { csv: "csv", jsonl: "jsonl", ndjson: "jsonl" };

/** The predictions file next to `uri`, or null when `uri` is not an input file. */
export function outputUriOf(uri: string): string | null {
  const m = /^(.*?)(\.predictions)?\.(csv|jsonl|ndjson)$/i.exec(uri);
  if (!m || m[2]) return null;
  return `${m[1]}.predictions.${m[3].toLowerCase()}`;
}

export async function batchScore(
  event: BatchScoreEvent,
  deps: BatchScoreDeps,
  options: { allowEmpty?: boolean } = {},
): Promise<BatchScoreOutput> {
  if (!/^(s3:\/\/[^/]+(\/.*)?|file:\/\/\/.*)$/.test(event.inputUri ?? "")) {
    throw new SourceNotFoundError(
      `inputUri ${JSON.stringify(event.inputUri)} is not an S3 location or a directory; pass s3://bucket/prefix/`,
    );
  }
  const { version, bundle } = event.version
    ? await versionBundle(deps, event.pipeline, event.version)
    : await new ServedModels({
        pipeline: event.pipeline,
        registry: deps.registry,
        artifacts: deps.artifacts,
      }).champion();
  const inputs = (await deps.objects.list(event.inputUri)).filter((u) => outputUriOf(u)).sort();
  if (inputs.length === 0 && !options.allowEmpty) {
    throw new SourceNotFoundError(
      `no .csv, .jsonl or .ndjson files under ${event.inputUri}; upload the rows to score there`,
    );
  }
  const files: ScoredFile[] = [];
  let rowCount = 0;
  for (const input of inputs) {
    const output = outputUriOf(input)!;
    const format = FORMATS[input.split(".").pop()!.toLowerCase()];
    const scored = scoreFile(bundle, await deps.objects.get(input), format, input);
    await deps.objects.put(output, scored.bytes, scored.contentType);
    rowCount += scored.rows;
    if (files.length < MAX_LISTED) files.push({ input, output, rows: scored.rows });
  }
  return { modelVersion: version, files, fileCount: inputs.length, rowCount };
}

/**
 * The BatchScore state: scores the run's `batchUri` with the version this run promoted. Runs
 * nothing (`enabled: false`) when the spec has no `deploy.batch` or Promote lost its
 * conditional write to another run (that run's model is not this run's to publish).
 */
export async function batchScoreStep(
  state: RunState,
  deps: BatchScoreDeps,
): Promise<BatchScoreStepOutput> {
  const inputUri = state.run.batchUri;
  if (!inputUri) return { enabled: false, reason: "the spec has no deploy.batch.inputUri" };
  if (state.promote?.promoted !== true || !state.evaluate) {
    return { enabled: false, reason: "this run promoted no model" };
  }
  // A scheduled run whose prefix got no new files this time has nothing to do, not a failure.
  const scored = await batchScore(
    { pipeline: state.run.pipeline, inputUri, version: state.evaluate.version },
    deps,
    { allowEmpty: true },
  );
  return { enabled: true, inputUri, ...scored };
}

/** A registered version's bundle; `ModelVersionNotFoundError` naming `orchard models` when absent. */
export async function versionBundle(
  deps: Pick<BatchScoreDeps, "registry" | "artifacts">,
  pipeline: string,
  version: string,
): Promise<{ version: string; bundle: ModelBundle }> {
  const record = await deps.registry.getVersion(pipeline, version);
  if (!record) {
    throw new ModelVersionNotFoundError(
      `pipeline "${pipeline}" has no model version ${version}; list the versions with "orchard models"`,
    );
  }
  return {
    version,
    bundle: loadBundle(await deps.artifacts.get(record.modelUri), record.modelUri),
  };
}

/** One file's predictions file. */
export function scoreFile(
  bundle: ModelBundle,
  bytes: Uint8Array,
  format: "csv" | "jsonl",
  file: string,
): { bytes: Uint8Array; contentType: string; rows: number } {
  const encode = (text: string) => new TextEncoder().encode(text);
  if (format === "jsonl") {
    const predictions = predictIn(bundle, jsonlRows(bytes, file), file);
    const text = predictions.map((p) => JSON.stringify(p)).join("\n");
    return {
      bytes: encode(`${text}\n`),
      contentType: "application/x-ndjson",
      rows: predictions.length,
    };
  }
  const table = readCsv(bytes, file);
  const classes = bundle.header.schema.classes ?? [];
  const added = ["prediction", ...classes.map((label) => `probability_${label}`)];
  const clash = added.find((name) => table.names.includes(name));
  if (clash) {
    throw new DataFormatError(
      `${file}: column "${clash}" is also an output column of the predictions file; rename or drop it in the input (is it an earlier predictions export?)`,
      { file, column: clash },
    );
  }
  const predictions = predictIn(bundle, csvTableRows(table), file);
  const header = [...table.names, ...added];
  const out: CsvCell[][] = predictions.map((p, r) => [
    ...table.names.map((_, c) => table.columns[c][r] as CsvCell),
    p.prediction,
    ...classes.map((label) => p.probabilities?.[label] ?? null),
  ]);
  return { bytes: encode(toCsv(header, out)), contentType: "text/csv", rows: predictions.length };
}

/** The bundle's predictions; its row/column errors are re-raised naming the input file too. */
export function predictIn(
  bundle: Pick<ModelBundle, "predict">,
  rows: RawRow[],
  file: string,
): Prediction[] {
  try {
    return bundle.predict(rows);
  } catch (err) {
    if (!(err instanceof OrchardError)) throw err;
    const ErrorClass = err.constructor as new (
      message: string,
      location: OrchardError["location"],
      options: { cause: unknown },
    ) => OrchardError;
    throw new ErrorClass(`${file}: ${err.message}`, { ...err.location, file }, { cause: err });
  }
}

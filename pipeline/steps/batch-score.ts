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
 * Entry points: `batchScore` (a prefix and the pipeline, scored with the champion, or with
 * a given version), as `orchard predict --input` and a direct invocation run it; and in the
 * state machine, after Promote, `batchScoreStep` (the BatchScore state: score the run input's
 * `batchUri`, the spec's `deploy.batch.inputUri`, with the version this run promoted?) then
 * the ScoreFiles Distributed Map over the prefix's S3 listing, each child execution running
 * `scoreFiles` on a batch of keys. They run after the promotion: if scoring fails, the
 * execution fails (and notifies) but the new champion stays; an empty prefix is no failure.
 */
import { randomUUID } from "node:crypto";
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
import {
  type CaptureRecord,
  capturePrefix,
  captureRecords,
  rowRequestId,
  sampled,
} from "../monitor/capture.ts";
import { type CsvCell, toCsv } from "../serving/csv-output.ts";
import {
  type FlaggedPrediction,
  flagMissing,
  lookupForModel,
  MISSING_FEATURES_COLUMN,
  missingFeaturesCell,
} from "../serving/online-features.ts";
import { ServedModels } from "../serving/served-models.ts";
import type { PipelineSpec } from "../spec/types.ts";
import {
  type ArtifactStore,
  type FeatureStore,
  formatS3Uri,
  type ModelRegistry,
  parseS3Uri,
} from "../store.ts";
import { StateContractError } from "./context.ts";
import { batchResultsPrefix } from "./intermediate-keys.ts";
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
  /** The online store, for a model that takes features from views (looked up as predict does). */
  features?: Pick<FeatureStore, "getLatest">;
  /** The time a view's TTL is judged at, and the captures' time. Default: the clock. */
  now?: () => Date;
}

/**
 * What ScoreFiles captures of its predictions (the spec's `monitor.capture` and `id`), as
 * serving does (docs/monitoring.md); null: nothing.
 */
export interface BatchCapture {
  sampleRate: number;
  exclude: string[];
  idColumn: string | null;
}

export function batchCaptureOf(spec: Pick<PipelineSpec, "monitor" | "id">): BatchCapture | null {
  const capture = spec.monitor.capture;
  if (!capture) return null;
  return { sampleRate: capture.sampleRate, exclude: [...capture.exclude], idColumn: spec.id };
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

/**
 * What the ScoreFiles Distributed Map lists: `s3://bucket/prefix` as its ItemReader's Bucket
 * and Prefix. A local directory (`orchard run` only) goes by LOCAL_DIRECTORY_BUCKET and its
 * absolute path without the leading `/`, which the local executor lists from the disk.
 */
export interface BatchListing {
  bucket: string;
  prefix: string;
}

/** No S3 bucket name holds a colon, so a directory listing can never reach a real bucket. */
export const LOCAL_DIRECTORY_BUCKET = "file:";

/** One ScoreFiles child's event: a batch of listed keys (ItemBatcher) and where they are. */
export interface BatchFilesEvent {
  Items: { key: string }[];
  BatchInput: {
    pipeline: string;
    version: string;
    bucket: string;
    /** The plan's capture settings (absent: nothing captured). */
    capture?: BatchCapture | null;
  };
}

/**
 * One ScoreFiles child's result. Counts only: the Map's output (every child's result) must
 * stay within the 256 KiB state, so 10,000 children must fit.
 */
export interface BatchFilesOutput {
  fileCount: number;
  rowCount: number;
}

/** The ScoreFiles Map's result with its ResultWriter: the Map Run and its manifest's location. */
export interface BatchMapRun {
  MapRunArn: string;
  ResultWriterDetails: { Bucket: string; Key: string };
}

/** What the ScoreFiles children did, summed from the exported results by BatchResults. */
export interface BatchTotals {
  fileCount: number;
  rowCount: number;
  /** Child executions (batches of keys) that ran. */
  batches: number;
  /** Of those, the ones that failed within ToleratedFailurePercentage. */
  failedBatches: number;
}

/**
 * The BatchScore state's result, under `$.batchScore`: whether to score, with what and where,
 * and where ScoreFiles exports its results. ScoreFiles adds its Map Run as `mapRun`, and the
 * BatchResults state the totals it read from the export as `totals`.
 */
export type BatchScoreStepOutput =
  | {
      enabled: true;
      inputUri: string;
      modelVersion: string;
      listing: BatchListing;
      /** What the children capture of their predictions; null: nothing. */
      capture: BatchCapture | null;
      /** The ScoreFiles ResultWriter's Bucket and Prefix. */
      resultWriter: { bucket: string; prefix: string };
      mapRun?: BatchMapRun;
      totals?: BatchTotals;
    }
  | { enabled: false; reason: string };

/** The BatchResults state's event: the manifest ScoreFiles' ResultWriter wrote. */
export interface BatchResultsEvent {
  manifest: BatchMapRun["ResultWriterDetails"];
}

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
    const scored = await scoreFile(
      bundle,
      await deps.objects.get(input),
      format,
      input,
      lookupIn(deps),
    );
    await deps.objects.put(output, scored.bytes, scored.contentType);
    rowCount += scored.rows;
    if (files.length < MAX_LISTED) files.push({ input, output, rows: scored.rows });
  }
  return { modelVersion: version, files, fileCount: inputs.length, rowCount };
}

/** The ItemReader's Bucket and Prefix of `s3://bucket/prefix` or `file:///dir/`. */
export function listingOf(inputUri: string): BatchListing {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(inputUri);
  if (s3) return { bucket: s3[1], prefix: s3[2] };
  if (inputUri.startsWith("file:///")) {
    const path = decodeURIComponent(new URL(inputUri).pathname);
    return { bucket: LOCAL_DIRECTORY_BUCKET, prefix: path.replace(/^\/+/, "") };
  }
  throw new SourceNotFoundError(
    `batchUri ${JSON.stringify(inputUri)} is not an S3 location or a directory; set deploy.batch.inputUri to s3://bucket/prefix/`,
  );
}

/** The URI of a listed key: `s3://bucket/key`, or the file of a local directory listing. */
export function uriOfKey(bucket: string, key: string): string {
  if (bucket === LOCAL_DIRECTORY_BUCKET) return new URL(`file:///${encodeURI(key)}`).href;
  return `s3://${bucket}/${key}`;
}

/**
 * The BatchScore state: decides whether this run scores its `batchUri` and with which
 * version (the one it promoted), and names the listing the ScoreFiles Distributed Map reads.
 * Nothing to score (`enabled: false`) when the spec has no `deploy.batch` or Promote lost its
 * conditional write to another run (that run's model is not this run's to publish). An empty
 * prefix is no failure: the Map then has no items.
 */
export async function batchScoreStep(
  state: RunState,
  artifacts: Pick<ArtifactStore, "uriFor">,
  loadCapture: () => Promise<BatchCapture | null> = async () => null,
): Promise<BatchScoreStepOutput> {
  const inputUri = state.run.batchUri;
  if (!inputUri) return { enabled: false, reason: "the spec has no deploy.batch.inputUri" };
  if (state.promote?.promoted !== true || !state.evaluate) {
    return { enabled: false, reason: "this run promoted no model" };
  }
  return {
    enabled: true,
    inputUri,
    modelVersion: state.evaluate.version,
    listing: listingOf(inputUri),
    capture: await loadCapture(),
    resultWriter: {
      bucket: parseS3Uri(artifacts.uriFor("artifacts", batchResultsPrefix(state.run.pipeline)))
        .bucket,
      prefix: batchResultsPrefix(state.run.pipeline),
    },
  };
}

/**
 * One ScoreFiles child: scores its batch of listed keys with the version BatchScore chose.
 * Keys that are not inputs (earlier `*.predictions.*` files, other extensions) are skipped.
 * A bad row fails the child naming file, row and column; files scored before it keep their
 * outputs.
 */
export async function scoreFiles(
  event: BatchFilesEvent,
  deps: BatchScoreDeps,
): Promise<BatchFilesOutput> {
  const { pipeline, version, bucket } = event.BatchInput;
  const inputs = event.Items.map((item) => uriOfKey(bucket, item.key)).filter((u) =>
    outputUriOf(u),
  );
  if (inputs.length === 0) return { fileCount: 0, rowCount: 0 };
  const { bundle } = await versionBundle(deps, pipeline, version);
  const capture = event.BatchInput.capture ?? null;
  const captured: CaptureRecord[] = [];
  let rowCount = 0;
  try {
    for (const input of inputs) {
      const format = FORMATS[input.split(".").pop()!.toLowerCase()];
      const scored = await scoreFile(
        bundle,
        await deps.objects.get(input),
        format,
        input,
        lookupIn(deps),
      );
      await deps.objects.put(outputUriOf(input)!, scored.bytes, scored.contentType);
      rowCount += scored.rows;
      if (capture) captured.push(...captureScored(pipeline, version, scored, capture, deps));
    }
  } finally {
    // One object for the child's files (also those scored before a failing one).
    if (captured.length > 0) await writeCaptures(pipeline, captured, deps);
  }
  return { fileCount: inputs.length, rowCount };
}

/**
 * The capture records of one scored file: each row is its own request, `<file id>#<n>`, so
 * `sampleRate` samples rows (as serve samples requests) and labels can name any row by its
 * request id or by the spec's `id` column.
 */
function captureScored(
  pipeline: string,
  modelVersion: string,
  scored: { inputs: RawRow[]; predictions: Prediction[] },
  capture: BatchCapture,
  deps: Pick<BatchScoreDeps, "now">,
): CaptureRecord[] {
  const fileId = randomUUID();
  const at = (deps.now?.() ?? new Date()).getTime();
  const settings = { ...capture, source: "batch" as const };
  const out: CaptureRecord[] = [];
  const count = scored.predictions.length;
  for (let i = 0; i < count; i++) {
    const requestId = rowRequestId(fileId, i + 1, Math.max(count, 2));
    if (!sampled(requestId, capture.sampleRate)) continue;
    out.push(
      ...captureRecords(
        {
          requestId,
          at,
          pipeline,
          modelVersion,
          rows: [scored.inputs[i]],
          predictions: [scored.predictions[i]],
        },
        settings,
      ),
    );
  }
  return out;
}

async function writeCaptures(
  pipeline: string,
  records: CaptureRecord[],
  deps: Pick<BatchScoreDeps, "artifacts" | "now">,
): Promise<void> {
  const now = deps.now?.() ?? new Date();
  const key = `${capturePrefix(pipeline, now)}${now.getTime()}-${randomUUID()}.jsonl`;
  const text = `${records.map((r) => JSON.stringify(r)).join("\n")}\n`;
  await deps.artifacts.put("artifacts", key, new TextEncoder().encode(text));
}

/** The totals of ScoreFiles children's results (a tolerated failure as `{ Error, Cause }`). */
export function batchTotals(
  results: (BatchFilesOutput | { Error: string; Cause: string })[],
): BatchTotals {
  let fileCount = 0;
  let rowCount = 0;
  let failedBatches = 0;
  for (const r of results) {
    if ("Error" in r) failedBatches++;
    else {
      fileCount += r.fileCount;
      rowCount += r.rowCount;
    }
  }
  return { fileCount, rowCount, batches: results.length, failedBatches };
}

/**
 * The BatchResults state, after ScoreFiles: reads the ResultWriter's manifest and the result
 * files it lists (each a JSON array of child executions, whose `Output` is the child's result
 * as JSON text; a failed child has `Error` and `Cause` instead) and sums them. Only the
 * totals go back into the state, so it stays small however many children ran.
 */
export async function batchResults(
  event: BatchResultsEvent,
  artifacts: Pick<ArtifactStore, "get">,
): Promise<BatchTotals> {
  const { Bucket, Key } = event.manifest ?? {};
  if (typeof Bucket !== "string" || typeof Key !== "string") {
    throw new StateContractError(
      "BatchResults needs the ScoreFiles ResultWriter's manifest as { manifest: { Bucket, Key } }",
    );
  }
  const read = async (key: string): Promise<unknown> => {
    const uri = formatS3Uri(Bucket, key);
    const bytes = await artifacts.get(uri);
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (cause) {
      throw new StateContractError(
        `${uri} is not the JSON a Distributed Map's ResultWriter writes`,
        {},
        { cause },
      );
    }
  };
  const manifest = (await read(Key)) as {
    ResultFiles?: Partial<Record<"SUCCEEDED" | "FAILED" | "PENDING", { Key: string }[]>>;
  };
  const results: (BatchFilesOutput | { Error: string; Cause: string })[] = [];
  for (const status of ["SUCCEEDED", "FAILED"] as const) {
    for (const file of manifest.ResultFiles?.[status] ?? []) {
      const entries = (await read(file.Key)) as {
        Output?: string;
        Error?: string;
        Cause?: string;
      }[];
      for (const entry of entries) {
        results.push(
          status === "SUCCEEDED"
            ? (JSON.parse(entry.Output ?? "null") as BatchFilesOutput)
            : { Error: entry.Error ?? "", Cause: entry.Cause ?? "" },
        );
      }
    }
  }
  return batchTotals(results);
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

/** Where a file's rows get their view features: the online store at the deps' time. */
export interface FileLookup {
  store?: Pick<FeatureStore, "getLatest">;
  now: Date;
}

function lookupIn(deps: Pick<BatchScoreDeps, "features" | "now">): FileLookup {
  return { store: deps.features, now: deps.now?.() ?? new Date() };
}

/**
 * The predictions of a file's rows, their view features looked up online first as
 * `POST /predict` does (one batched read per view for the file); rows whose features were
 * imputed are flagged (`missingFeatures`).
 */
async function predictRows(
  bundle: ModelBundle,
  rows: RawRow[],
  file: string,
  lookup: FileLookup | undefined,
): Promise<{ inputs: RawRow[]; predictions: FlaggedPrediction[] }> {
  const looked = lookup ? await lookupForModel(bundle, rows, lookup.store, lookup.now) : null;
  const inputs = (looked?.rows ?? rows) as RawRow[];
  return {
    inputs,
    predictions: flagMissing(predictIn(bundle, inputs, file), looked?.missing ?? null),
  };
}

/**
 * One file's predictions file. A CSV for a model that takes view features has a
 * `_missing_features` column (`view:reason;…`, empty when every feature was found).
 */
export async function scoreFile(
  bundle: ModelBundle,
  bytes: Uint8Array,
  format: "csv" | "jsonl",
  file: string,
  lookup?: FileLookup,
): Promise<ScoredBytes> {
  const encode = (text: string) => new TextEncoder().encode(text);
  if (format === "jsonl") {
    const { inputs, predictions } = await predictRows(bundle, jsonlRows(bytes, file), file, lookup);
    const text = predictions.map((p) => JSON.stringify(p)).join("\n");
    return {
      bytes: encode(`${text}\n`),
      contentType: "application/x-ndjson",
      rows: predictions.length,
      inputs,
      predictions,
    };
  }
  const table = readCsv(bytes, file);
  const classes = bundle.header.schema.classes ?? [];
  const views = (bundle.header.lineage.featureViews ?? []).length > 0;
  const added = [
    "prediction",
    ...classes.map((label) => `probability_${label}`),
    ...(views ? [MISSING_FEATURES_COLUMN] : []),
  ];
  const clash = added.find((name) => table.names.includes(name));
  if (clash) {
    throw new DataFormatError(
      `${file}: column "${clash}" is also an output column of the predictions file; rename or drop it in the input (is it an earlier predictions export?)`,
      { file, column: clash },
    );
  }
  const { inputs, predictions } = await predictRows(bundle, csvTableRows(table), file, lookup);
  const header = [...table.names, ...added];
  const out: CsvCell[][] = predictions.map((p, r) => [
    ...table.names.map((_, c) => table.columns[c][r] as CsvCell),
    p.prediction,
    ...classes.map((label) => p.probabilities?.[label] ?? null),
    ...(views ? [missingFeaturesCell(p.missingFeatures ?? null)] : []),
  ]);
  return {
    bytes: encode(toCsv(header, out)),
    contentType: "text/csv",
    rows: predictions.length,
    inputs,
    predictions,
  };
}

/** A predictions file, and the rows and predictions it was made of (for capture). */
export interface ScoredBytes {
  bytes: Uint8Array;
  contentType: string;
  rows: number;
  inputs: RawRow[];
  predictions: Prediction[];
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

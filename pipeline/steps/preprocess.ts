/**
 * Preprocess: dedupe, encode the target, split train/test (by a stable hash of each row's key,
 * or by time), then write three things: the prepared dataset (feature columns, target, split,
 * split keys) that training reads, the offline feature set (the transformed rows, with a preprocessor fitted on
 * TRAIN rows only), and the latest raw feature row per entity into the online store. It also
 * expands the search into the candidates the Train Map fans out over.
 */
import { type Column, cellValue, getColumn, takeRows } from "../data/frame.ts";
import { inferSchema } from "../data/infer-schema.ts";
import { modelColumnsOf } from "../derived/spec-derived.ts";
import { InsufficientDataError, MissingColumnError } from "../errors.ts";
import { dedupeRows } from "../features/dedupe.ts";
import { dropMissingTarget } from "../features/drop-missing-target.ts";
import { fitPreprocessor } from "../features/preprocessor.ts";
import { encodeTarget } from "../features/target.ts";
import { expandCandidates } from "../search/candidates.ts";
import type { PipelineSpec } from "../spec/types.ts";
import { HASH_SPLIT_SCHEME, hashSplit } from "../split/hash-split.ts";
import type { Split } from "../split/indices.ts";
import { rowKeyDigests, type SplitRecord } from "../split/split-record.ts";
import { timeSplit } from "../split/time-split.ts";
import type { FeatureRowInput } from "../store.ts";
import { displayName, loadSpec, need, readRaw } from "./context.ts";
import { encodeDataset } from "./dataset.ts";
import { preprocessingOptions } from "./setup.ts";
import type { PreprocessOutput, RunState, StepDeps } from "./types.ts";

export async function preprocess(state: RunState, deps: StepDeps): Promise<PreprocessOutput> {
  const spec = await loadSpec(deps, state);
  const raw = await readRaw(deps, spec, state);
  const labelled = spec.preprocessing.dropMissingTarget
    ? dropMissingTarget(raw, spec.target)
    : { frame: raw, removed: 0 };
  const { frame, removed } = spec.preprocessing.dedupe
    ? dedupeRows(labelled.frame)
    : { frame: labelled.frame, removed: 0 };
  const schema = inferSchema(frame, { ...spec, file: need(state, "ingest").sourceUri });
  const timeColumn = spec.split.strategy === "time" ? spec.split.timeColumn : null;
  // The time column orders the split; as a feature it would only teach the model the calendar.
  const features = {
    numeric: schema.numeric.filter((c) => c !== timeColumn),
    categorical: schema.categorical.filter((c) => c !== timeColumn),
  };
  const target = encodeTarget(column(frame, spec.target), spec.task);
  const { split, record, splitKeys, times } = splitRows(
    spec,
    frame,
    timeColumn ? column(frame, timeColumn) : null,
  );
  checkFoldsFit(spec, target, split, displayName(need(state, "ingest").sourceUri));
  checkGateMetricDefined(spec, target, split, displayName(need(state, "ingest").sourceUri));

  const featureFrame = {
    rowCount: frame.rowCount,
    columns: [...features.numeric, ...features.categorical].map((c) => column(frame, c)),
  };
  const idColumn = spec.id ? column(frame, spec.id) : null;
  const ids = idColumn
    ? Array.from({ length: frame.rowCount }, (_, r) => String(cellValue(idColumn, r)))
    : null;
  const dataset = await deps.artifacts.putContent(
    "features",
    `${spec.name}/datasets`,
    encodeDataset({
      frame: featureFrame,
      target,
      ids,
      train: split.train,
      test: split.test,
      splitKeys,
      times,
    }),
    "bin",
  );

  const preprocessor = fitPreprocessor(
    takeRows(featureFrame, split.train),
    features,
    preprocessingOptions(spec),
  );
  const offline = await deps.artifacts.putContent(
    "features",
    `${spec.name}/offline`,
    offlineCsv(preprocessor.transform(featureFrame), ids, split, column(frame, spec.target)),
    "csv",
  );

  let onlineRows = 0;
  if (ids) {
    const rows: FeatureRowInput[] = ids.map((id, r) => ({
      id,
      values: Object.fromEntries(featureFrame.columns.map((c) => [c.name, cellValue(c, r)])),
    }));
    await deps.features.putLatest(spec.name, rows, { version: dataset.sha256, now: deps.now() });
    onlineRows = new Set(ids).size;
  }

  return {
    datasetUri: dataset.uri,
    offlineFeaturesUri: offline.uri,
    features,
    rows: {
      input: raw.rowCount,
      missingTargetDropped: labelled.removed,
      duplicatesRemoved: removed,
      train: split.train.length,
      test: split.test.length,
    },
    onlineRows,
    split: record,
    candidates: expandCandidates(spec.model, spec.search, spec.seed),
    // Only with derived features or a transform: other pipelines' state keeps its shape.
    ...modelColumnsOf(raw),
  };
}

/**
 * Cross-validation runs on the training split: every class needs a row in each fold there.
 * Checked here, where the split is known exactly, so the run stops before Train with the file
 * and the class named rather than inside a Map iteration.
 */
function checkFoldsFit(
  spec: PipelineSpec,
  target: ReturnType<typeof encodeTarget>,
  split: Split,
  file: string,
): void {
  const k = spec.search.folds;
  if (k === null) return;
  const lower = (n: number) =>
    n >= 2 ? `, or lower search.folds to ${Math.min(n, k - 1)}` : ", or merge rare classes";
  if (spec.split.strategy === "time" && split.train.length < k + 1) {
    throw new InsufficientDataError(
      `${file}: the training split has ${split.train.length} rows; ${k} forward-chaining folds (a time split's cross-validation) need at least ${k + 1} — add rows${lower(split.train.length - 1)}.`,
      { file },
    );
  }
  if (target.kind !== "classification") {
    if (split.train.length < k) {
      throw new InsufficientDataError(
        `${file}: the training split has ${split.train.length} rows; ${k}-fold cross-validation needs at least ${k} — add rows${lower(split.train.length)}.`,
        { file },
      );
    }
    return;
  }
  const inTrain = new Array<number>(target.classes.length).fill(0);
  const inData = new Array<number>(target.classes.length).fill(0);
  for (const r of split.train) inTrain[target.codes[r]]++;
  for (const c of target.codes) inData[c]++;
  const short = inTrain.map((n, c) => [n, c]).filter(([n]) => n < k);
  if (short.length === 0) return;
  const [n, c] = short[0];
  const others = short.length > 1 ? ` (and ${short.length - 1} more classes)` : "";
  throw new InsufficientDataError(
    `${file}: class "${target.classes[c]}" has ${n} row${n === 1 ? "" : "s"} in the training split (${inData[c]} in the data, the rest held out for testing)${others}; ${k}-fold cross-validation needs at least ${k} per class — add rows of that class${lower(n)}.`,
    { file, column: spec.target },
  );
}

/**
 * roc_auc is undefined when a class has no test row. The hash split does not guarantee every
 * class a test row (a class of m rows has none with probability (1 - testFraction)^m), so a
 * roc_auc gate is checked here, before training, rather than failing in Evaluate.
 */
function checkGateMetricDefined(
  spec: PipelineSpec,
  target: ReturnType<typeof encodeTarget>,
  split: Split,
  file: string,
): void {
  if (spec.gate.metric !== "roc_auc" || target.kind !== "classification") return;
  const inTest = new Array<number>(target.classes.length).fill(0);
  for (const r of split.test) inTest[target.codes[r]]++;
  const missing = inTest.indexOf(0);
  if (missing < 0) return;
  const rows = target.codes.filter((c) => c === missing).length;
  throw new InsufficientDataError(
    `${file}: class "${target.classes[missing]}" (${rows} row${rows === 1 ? "" : "s"}) has no row in the test split, so the gate's roc_auc cannot be computed — add rows of that class, change split.seed, or gate on a metric that needs no row of every class (accuracy, f1_macro).`,
    { file, column: spec.target },
  );
}

function column(frame: { columns: Column[] }, name: string): Column {
  const col = getColumn({ rowCount: 0, columns: frame.columns }, name);
  if (!col) throw new MissingColumnError(`column "${name}" is not in the data`, { column: name });
  return col;
}

/**
 * Train/test rows by a stable hash of each row's key, or by time (see pipeline/split/), with
 * what Evaluate needs to recognise a champion's training rows later: the record, every row's
 * key digest and, for a time split, every row's time.
 */
function splitRows(
  spec: PipelineSpec,
  frame: { rowCount: number; columns: Column[] },
  time: Column | null,
): { split: Split; record: SplitRecord; splitKeys: Uint32Array; times: Float64Array | null } {
  const { split } = spec;
  const { digests: splitKeys, key } = rowKeyDigests(frame, {
    idColumn: spec.id,
    target: spec.target,
  });
  if (split.strategy === "time" && time) {
    const times =
      time.kind === "numeric"
        ? time.values
        : Float64Array.from(time.codes, (c) => (c < 0 ? Number.NaN : Date.parse(time.levels[c])));
    const rows = timeSplit(times, split.testFraction, { column: time.name });
    let trainUntil = -Infinity;
    let testFrom = Infinity;
    for (const r of rows.train) trainUntil = Math.max(trainUntil, times[r]);
    for (const r of rows.test) testFrom = Math.min(testFrom, times[r]);
    return {
      split: rows,
      record: {
        strategy: "time",
        column: time.name,
        testFraction: split.testFraction,
        trainUntil,
        testFrom,
        unit: time.kind === "numeric" ? "number" : "date",
        key,
      },
      splitKeys,
      times: Float64Array.from(times),
    };
  }
  const strategy = split.strategy === "time" ? "random" : split.strategy;
  return {
    split: hashSplit(splitKeys, { testFraction: split.testFraction, seed: split.seed }),
    record: {
      strategy,
      scheme: HASH_SPLIT_SCHEME,
      seed: split.seed,
      testFraction: split.testFraction,
      key,
    },
    splitKeys,
    times: null,
  };
}

/** The transformed rows as CSV: id (when any), split, target, then the model's input columns. */
function offlineCsv(
  X: { values: Float64Array; rows: number; cols: number; names: string[] },
  ids: string[] | null,
  split: Split,
  target: Column,
): Uint8Array {
  const test = new Uint8Array(X.rows);
  for (const r of split.test) test[r] = 1;
  const header = [...(ids ? ["id"] : []), "split", target.name, ...X.names];
  const encoder = new TextEncoder();
  // Encoded a block of rows at a time: one string of a million wide rows would pass V8's
  // string length limit (about 512 M characters).
  const chunks: Uint8Array[] = [encoder.encode(`${header.map(csvField).join(",")}\n`)];
  const BLOCK = 4096;
  for (let from = 0; from < X.rows; from += BLOCK) {
    let text = "";
    for (let r = from; r < Math.min(X.rows, from + BLOCK); r++) {
      const lead = [...(ids ? [ids[r]] : []), test[r] ? "test" : "train"];
      text += [...lead, String(cellValue(target, r) ?? "")].map(csvField).join(",");
      // A number's text never holds a quote, comma or line break: no quoting to check.
      for (let c = 0; c < X.cols; c++) text += `,${X.values[r * X.cols + c]}`;
      text += "\n";
    }
    chunks.push(encoder.encode(text));
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Ingest: copies the source bytes to `raw/<pipeline>/<sha256>.<ext>`. The key is the content
 * hash, so ingesting the same bytes again reuses the snapshot and never rewrites raw data.
 */
import { cellReadingOf } from "../data/infer-schema.ts";
import { decodeTable, type TableFormat } from "../data/read-table.ts";
import { encodeTable } from "../data/table-file.ts";
import { OrchardError, SpecError } from "../errors.ts";
import { joinFeatureViews, tableToJsonl } from "../feature-store/training-set.ts";
import type { PipelineSpec } from "../spec/types.ts";
import { displayName, loadSpec } from "./context.ts";
import { parseSource, rememberStoredTable, tableReadingKey } from "./load-table.ts";
import type { IngestOutput, RunState, StepDeps } from "./types.ts";

export async function ingest(state: RunState, deps: StepDeps): Promise<IngestOutput> {
  const spec = await loadSpec(deps, state);
  const sourceUri = state.run.sourceUri ?? spec.source.uri;
  if (!/^(s3|file):\/\//.test(sourceUri)) {
    throw new SpecError(
      `source.uri "${sourceUri}" is not absolute; the execution input must carry run.sourceUri as s3://… or file://… (orchard run resolves it against the spec file)`,
      { path: "source.uri" },
    );
  }
  const bytes = await deps.readSource(sourceUri);
  if (spec.features.from.length > 0) return ingestWithViews(spec, sourceUri, bytes, deps);
  const stored = await deps.artifacts.putContent("raw", spec.name, bytes, spec.source.format);
  return {
    rawUri: stored.uri,
    sha256: stored.sha256,
    size: stored.size,
    created: stored.created,
    sourceUri,
    tableUri: await storeTable(deps, spec, bytes, sourceUri),
    startedAt: deps.now().toISOString(),
  };
}

/**
 * With `features.from`, the snapshot is the source's rows with the views' features joined on
 * point-in-time, as JSON Lines (cells as the source had them, so they read as training would
 * read the source): every later step, the drift check and the data hash see what the model
 * learns from, and the same source with the same view watermarks gives the same snapshot.
 */
async function ingestWithViews(
  spec: PipelineSpec,
  sourceUri: string,
  bytes: Uint8Array,
  deps: StepDeps,
): Promise<IngestOutput> {
  const file = displayName(sourceUri);
  const table = await decodeTable(bytes, {
    file,
    format: spec.source.format,
    delimiter: spec.source.delimiter,
  });
  const joined = await joinFeatureViews(
    deps.artifacts,
    spec.features.from,
    table,
    file,
    cellReadingOf(spec),
  );
  const snapshot = tableToJsonl(joined.table);
  const stored = await deps.artifacts.putContent("raw", spec.name, snapshot, "jsonl");
  return {
    rawUri: stored.uri,
    sha256: stored.sha256,
    size: stored.size,
    created: stored.created,
    sourceUri,
    startedAt: deps.now().toISOString(),
    format: "jsonl",
    // Typed, as for a plain source: the later steps read it instead of the JSON Lines.
    tableUri: await storeTable(deps, spec, snapshot, sourceUri, "jsonl"),
    featureViews: joined.lineage,
  };
}

/**
 * Parses the snapshot once and stores its typed columns beside it, content-addressed. A source
 * that does not parse stores nothing: judging data is Validate's job, which parses it again
 * and fails with the same error, its report stored first.
 */
async function storeTable(
  deps: StepDeps,
  spec: PipelineSpec,
  bytes: Uint8Array,
  sourceUri: string,
  format: TableFormat = spec.source.format,
): Promise<string | null> {
  let table: Awaited<ReturnType<typeof parseSource>>;
  try {
    table = await parseSource(bytes, spec, displayName(sourceUri), format);
  } catch (err) {
    if (err instanceof OrchardError) return null;
    throw err;
  }
  const stored = await deps.artifacts.putContent(
    "raw",
    spec.name,
    encodeTable(table, tableReadingKey(spec, format)),
    "table",
  );
  rememberStoredTable(stored.uri, spec, table, format);
  return stored.uri;
}

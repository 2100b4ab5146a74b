/**
 * Ingest: copies the source bytes to `raw/<pipeline>/<sha256>.<ext>`. The key is the content
 * hash, so ingesting the same bytes again reuses the snapshot and never rewrites raw data.
 */
import { encodeTable } from "../data/table-file.ts";
import { OrchardError, SpecError } from "../errors.ts";
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
 * Parses the snapshot once and stores its typed columns beside it, content-addressed. A source
 * that does not parse stores nothing: judging data is Validate's job, which parses it again
 * and fails with the same error, its report stored first.
 */
async function storeTable(
  deps: StepDeps,
  spec: PipelineSpec,
  bytes: Uint8Array,
  sourceUri: string,
): Promise<string | null> {
  let table: Awaited<ReturnType<typeof parseSource>>;
  try {
    table = await parseSource(bytes, spec, displayName(sourceUri));
  } catch (err) {
    if (err instanceof OrchardError) return null;
    throw err;
  }
  const stored = await deps.artifacts.putContent(
    "raw",
    spec.name,
    encodeTable(table, tableReadingKey(spec)),
    "table",
  );
  rememberStoredTable(stored.uri, spec, table);
  return stored.uri;
}

/**
 * Ingest: copies the source bytes to `raw/<pipeline>/<sha256>.<ext>`. The key is the content
 * hash, so ingesting the same bytes again reuses the snapshot and never rewrites raw data.
 */
import { SpecError } from "../errors.ts";
import { loadSpec } from "./context.ts";
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
    startedAt: deps.now().toISOString(),
  };
}

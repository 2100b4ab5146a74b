/** Shared plumbing of the steps: the spec of a run, the raw table, required earlier outputs. */

import type { TableRead } from "../data/read-table.ts";
import { prepareTable } from "../derived/spec-derived.ts";
import { OrchardError } from "../errors.ts";
import { parseSpec } from "../spec/parse-spec.ts";
import type { PipelineSpec } from "../spec/types.ts";
import { loadTable, parseSource } from "./load-table.ts";
import type { RunState, StepDeps } from "./types.ts";

/** A state is missing an earlier step's output: the definition and the steps disagree. */
export class StateContractError extends OrchardError {}

const specs = new Map<string, PipelineSpec>();

/** The run's spec, parsed once per URI (specs are stored content-addressed, so never stale). */
export async function loadSpec(deps: StepDeps, state: RunState): Promise<PipelineSpec> {
  const uri = state.run?.specUri;
  if (!uri) throw new StateContractError("the execution input has no run.specUri");
  let spec = specs.get(uri);
  if (!spec) {
    spec = parseSpec(new TextDecoder().decode(await deps.artifacts.get(uri)), { file: uri });
    specs.set(uri, spec);
  }
  return spec;
}

export function need<K extends keyof RunState>(state: RunState, key: K): NonNullable<RunState[K]> {
  const value = state[key];
  if (value === undefined || value === null) {
    throw new StateContractError(
      `the state has no "${key}" output; this step must run after ${String(key)}`,
    );
  }
  return value as NonNullable<RunState[K]>;
}

/**
 * The ingested raw snapshot as a typed table, with the spec's declared column kinds, its row
 * transform applied and its derived features computed as columns (`features.transform`,
 * `features.derived`, pipeline/derived/): the table Ingest parsed and stored, or (when it
 * stored none: the source did not parse, which Validate then reports) the snapshot parsed here.
 */
export async function readRaw(
  deps: StepDeps,
  spec: PipelineSpec,
  state: RunState,
): Promise<TableRead> {
  const table = await readSnapshot(deps, spec, state);
  return prepareTable(table, spec, displayName(need(state, "ingest").sourceUri));
}

async function readSnapshot(
  deps: StepDeps,
  spec: PipelineSpec,
  state: RunState,
): Promise<TableRead> {
  const ingest = need(state, "ingest");
  // A snapshot with view features joined is JSON Lines whatever the source was (ingest.ts).
  const format = ingest.format ?? spec.source.format;
  if (ingest.tableUri) {
    const table = await loadTable(deps, ingest.tableUri, spec, format);
    if (table) return table;
  }
  return parseSource(
    await deps.artifacts.get(ingest.rawUri),
    spec,
    displayName(ingest.sourceUri),
    format,
  );
}

/** `file:///x/y.csv` → `/x/y.csv` for messages; other URIs as they are. */
export function displayName(uri: string): string {
  return uri.startsWith("file://") ? decodeURIComponent(new URL(uri).pathname) : uri;
}

export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * The parsed source table of a run: Ingest parses the raw snapshot once and stores the typed
 * columns beside it (`raw/<pipeline>/<sha256>.table`, see pipeline/data/table-file.ts);
 * Validate, Drift, Preprocess and Report read that instead of parsing CSV or Parquet again.
 * Tables are content-addressed, so a decoded copy is kept per URI (in one process, as
 * `orchard run` is, the steps after Ingest share it).
 */
import type { ColumnKind } from "../data/build-frame.ts";
import { cellReadingOf, columnTypesForSpec } from "../data/infer-schema.ts";
import { readTable, type TableFormat, type TableRead } from "../data/read-table.ts";
import { decodeTable } from "../data/table-file.ts";
import type { PipelineSpec } from "../spec/types.ts";
import type { StepDeps } from "./types.ts";

const cache = new Map<string, TableRead>();
const MAX_CACHED = 2;

/**
 * How the spec has a table read: format, delimiter, declared kinds and cell reading. The
 * format is the snapshot's: JSON Lines for one with view features joined (ingest.ts).
 */
export function tableReadingKey(
  spec: PipelineSpec,
  format: TableFormat = spec.source.format,
): string {
  const types = columnTypesForSpec(spec);
  const sorted: Record<string, ColumnKind> = {};
  for (const name of Object.keys(types).sort()) sorted[name] = types[name];
  return JSON.stringify({
    format,
    delimiter: spec.source.delimiter ?? ",",
    columnTypes: sorted,
    reading: cellReadingOf(spec),
  });
}

/** Parses raw source bytes as the spec says (the one place a step parses a source). */
export function parseSource(
  bytes: Uint8Array,
  spec: PipelineSpec,
  file: string,
  format: TableFormat = spec.source.format,
): Promise<TableRead> {
  return readTable(bytes, {
    file,
    format,
    delimiter: spec.source.delimiter,
    columnTypes: columnTypesForSpec(spec),
    reading: cellReadingOf(spec),
  });
}

/** Forgets every decoded table, as a fresh process (another Lambda) starts without them. */
export function forgetTables(): void {
  cache.clear();
}

function rememberTable(uri: string, table: TableRead): void {
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
  cache.set(uri, table);
}

/** The stored table at `uri`, or null when it was read with another reading than `spec`'s. */
export async function loadTable(
  deps: StepDeps,
  uri: string,
  spec: PipelineSpec,
  format: TableFormat = spec.source.format,
): Promise<TableRead | null> {
  const reading = tableReadingKey(spec, format);
  const key = `${uri}\n${reading}`;
  const known = cache.get(key);
  if (known) return known;
  const table = decodeTable(await deps.artifacts.get(uri), reading, uri);
  if (table) rememberTable(key, table);
  return table;
}

/** Remembers a table Ingest just parsed and stored, under the key `loadTable` looks for. */
export function rememberStoredTable(
  uri: string,
  spec: PipelineSpec,
  table: TableRead,
  format: TableFormat = spec.source.format,
): void {
  rememberTable(`${uri}\n${tableReadingKey(spec, format)}`, table);
}

/**
 * A pipeline's training rows with its `features.from` joined on point-in-time, read from the
 * offline store (the views' manifests and Parquet files), and the lineage of what fed them:
 * each view's version and watermark, recorded with the model so serving looks up the same
 * features and `orchard models` can say where they came from.
 */

import type { RawTable } from "../data/build-frame.ts";
import type { RawValue } from "../data/cells.ts";
import { readParquet } from "../data/read-parquet.ts";
import {
  MissingColumnError,
  SourceNotFoundError,
  SpecError,
  TypeMismatchError,
} from "../errors.ts";
import { didYouMean } from "../spec/did-you-mean.ts";
import type { FeaturesFromSpec } from "../spec/types.ts";
import type { ArtifactStore, FeatureViewLineage } from "../store.ts";
import type { FeatureRecord } from "./compute.ts";
import { entityKey, keyReader, parseEventTime } from "./keys.ts";
import { readManifest, recordsFromTable, type ViewManifest } from "./offline.ts";
import { indexRecords, pointInTimeJoin } from "./point-in-time.ts";

/** What a model learned from one view (recorded in its lineage). */
export type ViewLineage = FeatureViewLineage;

/** A view's manifest and every offline record, or SourceNotFoundError before materialization. */
export async function loadViewRecords(
  artifacts: ArtifactStore,
  view: string,
): Promise<{ manifest: ViewManifest; records: FeatureRecord[] }> {
  const manifest = await readManifest(artifacts, view);
  if (!manifest) {
    throw new SourceNotFoundError(
      `Feature view "${view}" has not been materialized: its offline store is empty. Run "orchard features materialize ${view}" first.`,
      { path: "features.from" },
    );
  }
  const records: FeatureRecord[] = [];
  for (const file of manifest.files) {
    const table = await readParquet(await artifacts.get(file.uri), file.uri);
    records.push(...recordsFromTable(manifest.definition, table, file.uri));
  }
  return { manifest, records };
}

function columnOf(table: RawTable, name: string, file: string, why: string): RawValue[] {
  const i = table.names.indexOf(name);
  if (i < 0) {
    throw new MissingColumnError(
      `${file}: column "${name}" (${why}) is not in the data.${didYouMean(name, table.names)} Columns: ${table.names.join(", ")}.`,
      { file, column: name },
    );
  }
  return table.columns[i];
}

/**
 * `table` with each `from` entry's features appended as columns (null where no record was
 * within the TTL), and the lineage per view. `file` names the rows in messages.
 */
export async function joinFeatureViews(
  artifacts: ArtifactStore,
  from: readonly FeaturesFromSpec[],
  table: RawTable,
  file: string,
  reading: Parameters<typeof keyReader>[0] = {},
): Promise<{ table: RawTable; lineage: ViewLineage[] }> {
  const names = [...table.names];
  const columns = [...table.columns];
  const lineage: ViewLineage[] = [];
  const readKey = keyReader(reading);
  for (const [i, entry] of from.entries()) {
    const { manifest, records } = await loadViewRecords(artifacts, entry.view);
    const view = manifest.definition;
    const known = view.features.map((f) => f.name);
    entry.features.forEach((name, j) => {
      if (!known.includes(name)) {
        throw new SpecError(
          `features.from[${i}].features[${j}]: view "${view.name}" has no feature "${name}".${didYouMean(name, known)} Its features: ${known.join(", ")}.`,
          { path: `features.from[${i}].features[${j}]` },
        );
      }
      if (names.includes(name)) {
        throw new SpecError(
          `features.from[${i}].features[${j}]: "${name}" is already a column of ${file}; a column has one source — drop it from the data or from features.from.`,
          { path: `features.from[${i}].features[${j}]` },
        );
      }
    });
    const keyCols = view.entities.map((k) =>
      columnOf(table, k, file, `join key of view ${view.name}`),
    );
    const timeCol = columnOf(table, entry.timeColumn, file, `time column of features.from[${i}]`);
    const queries = Array.from({ length: table.rowCount }, (_, r) => {
      const parts = keyCols.map((c) => readKey(c[r]));
      const t = parseEventTime(timeCol[r]);
      if (t === undefined) {
        throw new TypeMismatchError(
          `${file}, row ${r + 1}: the time "${String(timeCol[r])}" in "${entry.timeColumn}" is not an ISO-8601 date or time; write e.g. 2024-05-01.`,
          { file, row: r + 1, column: entry.timeColumn },
        );
      }
      // A row without its entity joins nothing: its features are missing, like an unknown one.
      const key = parts.every((p) => p !== undefined) ? entityKey(parts as string[]) : "";
      return { entityKey: key, time: t };
    });
    const joined = pointInTimeJoin(indexRecords(records), queries, entry.features, view.ttlMs);
    for (const name of entry.features) {
      names.push(name);
      columns.push(joined.map((row) => row.values[name]));
    }
    lineage.push({
      view: view.name,
      version: manifest.version,
      watermark: manifest.watermark,
      features: [...entry.features],
      entities: [...view.entities],
      ttl: view.ttl,
      ttlMs: view.ttlMs,
      timeColumn: entry.timeColumn,
      unmatchedRows: joined.filter((row) => row.eventTime === null).length,
    });
  }
  return { table: { names, columns, rowCount: table.rowCount }, lineage };
}

/** A raw table as JSON Lines: the snapshot a pipeline with `features.from` trains on. */
export function tableToJsonl(table: RawTable): Uint8Array {
  const lines: string[] = [];
  for (let r = 0; r < table.rowCount; r++) {
    const row: Record<string, RawValue> = {};
    table.names.forEach((name, c) => {
      row[name] = table.columns[c][r] ?? null;
    });
    lines.push(JSON.stringify(row));
  }
  return new TextEncoder().encode(`${lines.join("\n")}\n`);
}

/**
 * Records → Parquet bytes for the offline store (hyparquet-writer, pure JS). Kept apart from
 * the rest of the feature store so serving, which never writes Parquet, does not load it.
 */

import { parquetWriteBuffer } from "hyparquet-writer";
import type { FeatureRecord } from "./compute.ts";
import { type ColumnType, EVENT_TIME_COLUMN } from "./offline.ts";
import type { FeatureView } from "./types.ts";

export function recordsToParquet(
  view: FeatureView,
  records: readonly FeatureRecord[],
  types: Record<string, ColumnType>,
): Uint8Array {
  const columnData = [
    ...view.entities.map((k) => ({
      name: k,
      data: records.map((r) => r.entities[k]),
      type: "STRING" as const,
    })),
    {
      name: EVENT_TIME_COLUMN,
      data: records.map((r) => new Date(r.eventTime)),
      type: "TIMESTAMP" as const,
    },
    ...view.features.map((f) => ({
      name: f.name,
      data: records.map((r) => {
        const v = r.values[f.name] ?? null;
        return types[f.name] === "STRING" && v !== null ? String(v) : v;
      }),
      type: types[f.name],
    })),
  ];
  return new Uint8Array(parquetWriteBuffer({ columnData }));
}

/**
 * The offline store's layout and manifest, pure. Under the features bucket each view has
 *
 *   views/<view>/event_date=YYYY-MM-DD/<sha256>.parquet   one file per materialization and day
 *   views/<view>/manifest.json                             definition, version, watermark, files
 *
 * Parquet files are content-addressed (written once, never rewritten); the manifest is the one
 * object a materialization overwrites, and readers list files from it, not from S3 (so a
 * half-written materialization is invisible until its manifest lands).
 */

import { createHash } from "node:crypto";
import type { RawTable } from "../data/build-frame.ts";
import { DataFormatError } from "../errors.ts";
import type { ArtifactStore, FeatureValue } from "../store.ts";
import type { FeatureRecord } from "./compute.ts";
import { entityKey, parseEventTime } from "./keys.ts";
import type { FeatureView } from "./types.ts";

/** The store's feature set of a view (DynamoDB `pk` prefix `view:<name>#`). */
export function onlineFeatureSet(view: string): string {
  return `view:${view}`;
}

export function viewPrefix(view: string): string {
  return `views/${view}`;
}

export function manifestKey(view: string): string {
  return `${viewPrefix(view)}/manifest.json`;
}

export function partitionPrefix(view: string, eventDate: string): string {
  return `${viewPrefix(view)}/event_date=${eventDate}`;
}

/** The event-time column of offline files and the field that carries it online. */
export const EVENT_TIME_COLUMN = "event_time";
export const ONLINE_EVENT_TIME = "__event_time";

/**
 * The view's version: a hash of what determines its values (entities, timestamp, source,
 * TTL, features), not of owner, description or tags. A new version rematerializes from the
 * start, since old files hold values the new definition would not compute.
 */
export function viewVersion(view: FeatureView): string {
  const { entities, timestamp, source, ttl, features } = view;
  const text = JSON.stringify({ entities, timestamp, source, ttl, features });
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

export interface OfflineFile {
  uri: string;
  eventDate: string;
  rows: number;
}

export interface MaterializationRecord {
  /** ISO-8601 time of the run. */
  at: string;
  rows: number;
  entities: number;
  /** The watermark after the run (ISO-8601), null when nothing was ever materialized. */
  watermark: string | null;
}

export interface ViewManifest {
  view: string;
  version: string;
  definition: FeatureView;
  /** The latest event time materialized (ISO-8601); rows at or before it are not read again. */
  watermark: string | null;
  files: OfflineFile[];
  rows: number;
  entities: number;
  history: MaterializationRecord[];
}

export function manifestBytes(manifest: ViewManifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
}

export function parseManifest(bytes: Uint8Array, uri: string): ViewManifest {
  try {
    const m = JSON.parse(new TextDecoder().decode(bytes)) as ViewManifest;
    if (typeof m.view !== "string" || !Array.isArray(m.files)) throw new Error("missing fields");
    return m;
  } catch (cause) {
    throw new DataFormatError(
      `${uri}: not a feature view manifest (${(cause as Error).message}); materialize the view again.`,
      { file: uri },
      { cause },
    );
  }
}

/** `YYYY-MM-DD` (UTC) of epoch milliseconds: the partition a record goes to. */
export function eventDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export type ColumnType = "DOUBLE" | "STRING";

/** Per feature, DOUBLE when every present value is a number, else STRING. */
export function featureTypes(
  view: FeatureView,
  records: readonly FeatureRecord[],
): Record<string, ColumnType> {
  const types: Record<string, ColumnType> = {};
  for (const f of view.features) {
    types[f.name] = records.every((r) => {
      const v = r.values[f.name];
      return v === null || typeof v === "number";
    })
      ? "DOUBLE"
      : "STRING";
  }
  return types;
}

/** Offline rows (as `readParquet` gives them back) → records, in file order. */
export function recordsFromTable(
  view: FeatureView,
  table: RawTable,
  file: string,
): FeatureRecord[] {
  const col = (name: string) => {
    const i = table.names.indexOf(name);
    if (i < 0) {
      throw new DataFormatError(
        `${file}: offline file of view "${view.name}" has no column "${name}"; materialize the view again.`,
        { file, column: name },
      );
    }
    return table.columns[i];
  };
  const keys = view.entities.map(col);
  const times = col(EVENT_TIME_COLUMN);
  const values = view.features.map((f) => col(f.name));
  const out: FeatureRecord[] = [];
  for (let r = 0; r < table.rowCount; r++) {
    const parts = keys.map((k) => String(k[r]));
    const t = parseEventTime(times[r]);
    if (t === undefined) {
      throw new DataFormatError(
        `${file}, row ${r + 1}: unreadable event time; materialize the view again.`,
        { file, row: r + 1 },
      );
    }
    const v: Record<string, FeatureValue> = {};
    view.features.forEach((f, j) => {
      const raw = values[j][r];
      v[f.name] =
        raw === undefined || raw === null ? null : typeof raw === "boolean" ? String(raw) : raw;
    });
    out.push({
      entityKey: entityKey(parts),
      entities: Object.fromEntries(view.entities.map((k, j) => [k, parts[j]])),
      eventTime: t,
      values: v,
    });
  }
  return out;
}

/** The view's manifest, or null before its first materialization. */
export async function readManifest(
  artifacts: ArtifactStore,
  view: string,
): Promise<ViewManifest | null> {
  const uri = artifacts.uriFor("features", manifestKey(view));
  if (!(await artifacts.exists(uri))) return null;
  return parseManifest(await artifacts.get(uri), uri);
}

/**
 * One materialization of a feature view: read the source, compute every record (windows
 * need the rows before the watermark too), keep those with event time after the watermark,
 * append them to the offline store (one Parquet file per event date) and upsert each
 * entity's latest record into the online store, then move the watermark in the manifest.
 *
 * With nothing new, nothing is written: not a file, not an item, not the manifest. A row that
 * arrives late (event time at or before the watermark) is not picked up; change the view (a
 * new version) or remove its manifest to rematerialize from the start.
 */

import { decodeTable } from "../data/read-table.ts";
import type { ArtifactStore, FeatureRowInput, FeatureStore } from "../store.ts";
import { computeFeatureRecords, type FeatureRecord } from "./compute.ts";
import { formatEventTime, parseEventTime } from "./keys.ts";
import {
  eventDate,
  featureTypes,
  manifestBytes,
  manifestKey,
  type OfflineFile,
  ONLINE_EVENT_TIME,
  onlineFeatureSet,
  partitionPrefix,
  readManifest,
  type ViewManifest,
  viewVersion,
} from "./offline.ts";
import { recordsToParquet } from "./parquet-write.ts";
import type { FeatureView } from "./types.ts";

export interface MaterializeDeps {
  artifacts: ArtifactStore;
  features: FeatureStore;
  readSource(uri: string): Promise<Uint8Array>;
  now(): Date;
}

export interface MaterializeInput {
  view: FeatureView;
  /** The source, resolved: `file:///…` or `s3://…`. */
  sourceUri: string;
  /** How the source is named in messages. */
  sourceName?: string;
}

export interface MaterializeResult {
  view: string;
  version: string;
  /** False when there was nothing new: nothing was written. */
  changed: boolean;
  /** True when the view's definition changed and it was materialized from the start. */
  rebuilt: boolean;
  rows: number;
  entities: number;
  files: OfflineFile[];
  watermarkBefore: string | null;
  watermark: string | null;
  manifestUri: string;
}

/** The latest record per entity (records are ordered by entity, then event time). */
function latestPerEntity(records: readonly FeatureRecord[]): FeatureRecord[] {
  const out: FeatureRecord[] = [];
  records.forEach((r, i) => {
    if (i + 1 === records.length || records[i + 1].entityKey !== r.entityKey) out.push(r);
  });
  return out;
}

export async function materializeView(
  deps: MaterializeDeps,
  input: MaterializeInput,
): Promise<MaterializeResult> {
  const { view } = input;
  const version = viewVersion(view);
  const manifestUri = deps.artifacts.uriFor("features", manifestKey(view.name));
  const previous = await readManifest(deps.artifacts, view.name);
  const rebuilt = previous !== null && previous.version !== version;
  const base = rebuilt ? null : previous;
  const watermarkBefore = base?.watermark ?? null;
  const after =
    watermarkBefore === null
      ? Number.NEGATIVE_INFINITY
      : (parseEventTime(watermarkBefore) as number);

  const name = input.sourceName ?? input.sourceUri;
  const table = await decodeTable(await deps.readSource(input.sourceUri), {
    file: name,
    format: view.source.format,
    delimiter: view.source.delimiter,
  });
  const all = computeFeatureRecords(view, table, name);
  const fresh = all.filter((r) => r.eventTime > after);
  const result: MaterializeResult = {
    view: view.name,
    version,
    changed: false,
    rebuilt,
    rows: 0,
    entities: 0,
    files: [],
    watermarkBefore,
    watermark: watermarkBefore,
    manifestUri,
  };
  if (fresh.length === 0 && !rebuilt) return result;

  // Offline first, online second, manifest last: a crash in between leaves the watermark
  // where it was, and the rerun writes the same content-addressed files and the same items.
  const types = featureTypes(view, all);
  const byDate = new Map<string, FeatureRecord[]>();
  for (const r of fresh) {
    const d = eventDate(r.eventTime);
    const list = byDate.get(d) ?? [];
    byDate.set(d, list);
    list.push(r);
  }
  const files: OfflineFile[] = [];
  for (const d of [...byDate.keys()].sort()) {
    const rows = byDate.get(d) as FeatureRecord[];
    const stored = await deps.artifacts.putContent(
      "features",
      partitionPrefix(view.name, d),
      recordsToParquet(view, rows, types),
      "parquet",
    );
    files.push({ uri: stored.uri, eventDate: d, rows: rows.length });
  }

  const latest = latestPerEntity(fresh);
  const online: FeatureRowInput[] = latest.map((r) => ({
    id: r.entityKey,
    values: { ...r.values, [ONLINE_EVENT_TIME]: formatEventTime(r.eventTime) },
    // The first whole second after the TTL ends: the store never hides a row the join would
    // still use; reads judge the TTL exactly from the event time, DynamoDB TTL deletes later.
    expiresAt: Math.floor((r.eventTime + view.ttlMs) / 1000) + 1,
  }));
  await deps.features.putLatest(onlineFeatureSet(view.name), online, {
    version,
    now: deps.now(),
  });

  let maxTime = after;
  for (const r of fresh) if (r.eventTime > maxTime) maxTime = r.eventTime;
  const watermark = Number.isFinite(maxTime) ? formatEventTime(maxTime) : watermarkBefore;
  const entities = new Set(all.filter((r) => r.eventTime <= maxTime).map((r) => r.entityKey)).size;
  const manifest: ViewManifest = {
    view: view.name,
    version,
    definition: view,
    watermark,
    files: [...(base?.files ?? []), ...files],
    rows: (base?.rows ?? 0) + fresh.length,
    entities,
    history: [
      ...(previous?.history ?? []),
      { at: deps.now().toISOString(), rows: fresh.length, entities: latest.length, watermark },
    ],
  };
  await deps.artifacts.put("features", manifestKey(view.name), manifestBytes(manifest));
  return {
    ...result,
    changed: true,
    rows: fresh.length,
    entities: latest.length,
    files,
    watermark,
  };
}

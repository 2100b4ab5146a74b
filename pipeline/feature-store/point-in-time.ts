/**
 * The point-in-time join: for each row (entity key, time), the feature values of the latest
 * record of that entity with `eventTime <= time` and `eventTime >= time - ttl`, never a later
 * one. Among records at the same event time, the one later in the source wins (the same record
 * materialization keeps as the entity's latest). No such record: every value is null and the
 * row is flagged, so training imputes it like a missing value, as serving does.
 *
 * Feast's documented semantics, and where Orchard differs, are in
 * `pipeline/feature-store/README.md`.
 */

import type { FeatureValue } from "../store.ts";
import type { FeatureRecord } from "./compute.ts";

export interface JoinQuery {
  entityKey: string;
  /** Epoch milliseconds. */
  time: number;
}

export interface JoinedRow {
  values: Record<string, FeatureValue>;
  /** The joined record's event time; null when nothing was within the TTL. */
  eventTime: number | null;
}

/** Records grouped per entity, each list in event-time order (stable for equal times). */
export type RecordIndex = Map<string, FeatureRecord[]>;

export function indexRecords(records: readonly FeatureRecord[]): RecordIndex {
  const index: RecordIndex = new Map();
  for (const r of records) {
    let list = index.get(r.entityKey);
    if (!list) {
      list = [];
      index.set(r.entityKey, list);
    }
    list.push(r);
  }
  for (const list of index.values()) {
    // Stable: records at equal times keep their (source) order.
    list.sort((a, b) => a.eventTime - b.eventTime);
  }
  return index;
}

/** The last record with eventTime <= time, or undefined. */
function latestAtOrBefore(list: readonly FeatureRecord[], time: number): FeatureRecord | undefined {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].eventTime <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : list[lo - 1];
}

/** The record a row at `time` joins, or undefined when none is within the TTL. */
export function recordAsOf(
  index: RecordIndex,
  query: JoinQuery,
  ttlMs: number,
): FeatureRecord | undefined {
  const list = index.get(query.entityKey);
  if (!list) return undefined;
  const record = latestAtOrBefore(list, query.time);
  if (!record || record.eventTime < query.time - ttlMs) return undefined;
  return record;
}

/** Joins `features` of the indexed records onto each query row, in query order. */
export function pointInTimeJoin(
  index: RecordIndex,
  queries: readonly JoinQuery[],
  features: readonly string[],
  ttlMs: number,
): JoinedRow[] {
  return queries.map((q) => {
    const record = recordAsOf(index, q, ttlMs);
    const values: Record<string, FeatureValue> = {};
    for (const f of features) values[f] = record ? (record.values[f] ?? null) : null;
    return { values, eventTime: record ? record.eventTime : null };
  });
}

/** Whether a record read at `now` is still within the view's TTL (the online rule). */
export function withinTtl(eventTime: number, now: number, ttlMs: number): boolean {
  return eventTime <= now && eventTime >= now - ttlMs;
}

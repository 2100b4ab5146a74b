/**
 * Online lookup at serving: rows that carry a model's entity keys (and any request-time
 * values) get the features the model took from feature views (its lineage's `featureViews`)
 * from the online store, one batched read per view for the whole request. A value the row
 * already carries is kept (a request-time value wins). An entity the store does not know, or
 * whose latest record is older than the view's TTL, gets nulls, which the model imputes like
 * any missing value, and its prediction is flagged with `missingFeatures`.
 *
 * The values were computed by the same code as the offline ones (`feature-store/compute.ts`,
 * written by materialization), and the TTL rule is the point-in-time join's (`withinTtl`).
 */

import type { CellReading } from "../data/cells.ts";
import { entityKey, keyReader, parseEventTime } from "../feature-store/keys.ts";
import { ONLINE_EVENT_TIME, onlineFeatureSet } from "../feature-store/offline.ts";
import { withinTtl } from "../feature-store/point-in-time.ts";
import type { ModelBundle, Prediction } from "../model/bundle.ts";
import type {
  FeatureRow,
  FeatureStore,
  FeatureValue,
  FeatureViewLineage,
  GetLatestOptions,
} from "../store.ts";
import { ServiceUnavailableError } from "./errors.ts";

export type MissingReason = "unknown-entity" | "expired" | "no-entity-key";

export interface MissingFeatures {
  view: string;
  reason: MissingReason;
}

export interface LookedUp {
  /** The rows with the looked-up features filled in (new objects; non-objects untouched). */
  rows: unknown[];
  /** Per row, the views whose features were imputed; null when none. */
  missing: (MissingFeatures[] | null)[];
}

function isRow(row: unknown): row is Record<string, unknown> {
  return row !== null && typeof row === "object" && !Array.isArray(row);
}

// Per served model (its reading) and per cached row: made once, not on every request.
const keyReaders = new WeakMap<CellReading, ReturnType<typeof keyReader>>();
const eventTimes = new WeakMap<FeatureRow, number | undefined>();

function keyReaderOf(reading: CellReading): ReturnType<typeof keyReader> {
  let read = keyReaders.get(reading);
  if (!read) {
    read = keyReader(reading);
    keyReaders.set(reading, read);
  }
  return read;
}

/** The row's event time; the same row object (a cached one) is parsed once. */
function eventTimeOf(row: FeatureRow): number | undefined {
  if (eventTimes.has(row)) return eventTimes.get(row);
  const time = parseEventTime(row.values[ONLINE_EVENT_TIME] as string);
  eventTimes.set(row, time);
  return time;
}

export async function lookupOnlineFeatures(
  rows: readonly unknown[],
  views: readonly FeatureViewLineage[],
  store: Pick<FeatureStore, "getLatest">,
  now: Date,
  reading: CellReading = {},
): Promise<LookedUp> {
  const out = rows.map((row) => (isRow(row) ? { ...row } : row));
  const missing: (MissingFeatures[] | null)[] = rows.map(() => null);
  const flag = (i: number, view: string, reason: MissingReason) => {
    const list = missing[i] ?? [];
    list.push({ view, reason });
    missing[i] = list;
  };
  const readKey = keyReaderOf(reading);
  for (const view of views) {
    // Rows that lack at least one of the view's features, with their entity key.
    const wanted: { i: number; key: string | null }[] = [];
    out.forEach((row, i) => {
      if (!isRow(row)) return;
      if (view.features.every((f) => row[f] !== undefined)) return;
      const parts = view.entities.map((k) => readKey(row[k] as never));
      const key = parts.every((p) => p !== undefined) ? entityKey(parts as string[]) : null;
      wanted.push({ i, key });
    });
    if (wanted.length === 0) continue;
    const keys = [...new Set(wanted.map((w) => w.key).filter((k): k is string => k !== null))];
    const found =
      keys.length > 0
        ? await store.getLatest(onlineFeatureSet(view.view), keys, { now, includeExpired: true })
        : new Map();
    for (const { i, key } of wanted) {
      const row = out[i] as Record<string, unknown>;
      const stored = key === null ? undefined : found.get(key);
      const eventTime = stored ? eventTimeOf(stored) : undefined;
      const fresh = eventTime !== undefined && withinTtl(eventTime, now.getTime(), view.ttlMs);
      for (const f of view.features) {
        if (row[f] !== undefined) continue;
        const value: FeatureValue = fresh && stored ? (stored.values[f] ?? null) : null;
        row[f] = value;
      }
      if (!fresh)
        flag(i, view.view, key === null ? "no-entity-key" : stored ? "expired" : "unknown-entity");
    }
  }
  return { rows: out, missing };
}

/**
 * Every door that scores rows with a model (`POST /predict`, `orchard predict`, batch scoring)
 * looks its view features up through here: null when the model takes none, else the rows
 * with the features filled in and what was imputed, exactly as `lookupOnlineFeatures` does.
 * Without an online store a model that needs one cannot be served: `ServiceUnavailableError`.
 */
export async function lookupForModel(
  bundle: Pick<ModelBundle, "header">,
  rows: readonly unknown[],
  store: Pick<FeatureStore, "getLatest"> | null | undefined,
  now: Date,
  version = "the model",
): Promise<LookedUp | null> {
  const views = bundle.header.lineage.featureViews ?? [];
  if (views.length === 0) return null;
  if (!store) {
    throw new ServiceUnavailableError(
      `${version} takes features from views (${views.map((v) => v.view).join(", ")}) but no online store is configured`,
    );
  }
  return lookupOnlineFeatures(rows, views, store, now, bundle.header.schema.reading);
}

/** A prediction, and the views whose features its row lacked (imputed). */
export type FlaggedPrediction = Prediction & { missingFeatures?: MissingFeatures[] };

/** Predictions of rows whose view features were imputed carry `missingFeatures`. */
export function flagMissing(
  predictions: Prediction[],
  missing: LookedUp["missing"] | null,
): FlaggedPrediction[] {
  if (!missing) return predictions;
  return predictions.map((p, i) => {
    const m = missing[i];
    return m ? { ...p, missingFeatures: m } : p;
  });
}

/** The output column of a predictions CSV that lists a row's imputed views. */
export const MISSING_FEATURES_COLUMN = "_missing_features";

/** `stock_prices:expired;other:unknown-entity`, or null when nothing was imputed. */
export function missingFeaturesCell(missing: readonly MissingFeatures[] | null): string | null {
  return missing ? missing.map((m) => `${m.view}:${m.reason}`).join(";") : null;
}

/**
 * A FeatureStore read through a per-process cache of at most `maxAgeMs` (`0`: no cache): the
 * rows a serving process looked up in the last moment, absent ones too, so a burst of requests
 * for the same entities costs one read. Views refresh on a schedule (hourly by default), so a
 * second of caching changes no answer that matters; the TTL is still judged on every request
 * from the row's event time. Expired rows are kept (callers ask with `includeExpired`).
 *
 * An entry past half its age is re-read in the background by the request that finds it (the
 * request is answered from the entry): under steady traffic entries are renewed before they
 * expire, so no request waits for a read of an entity others are asking for. Without that,
 * every `maxAgeMs` all requests for a hot entity queued behind one store read, which was
 * the serving p99 (bench/features-serve.ts). A row served is still at most `maxAgeMs` old.
 */
export class CachedFeatureReads implements Pick<FeatureStore, "getLatest"> {
  private readonly rows = new Map<string, { at: number; row: FeatureRow | null }>();
  /** Reads under way: concurrent requests for an entity share one read (no burst at expiry). */
  private readonly inFlight = new Map<string, Promise<FeatureRow | null>>();

  constructor(
    private readonly store: Pick<FeatureStore, "getLatest">,
    private readonly maxAgeMs: number,
    private readonly clock: () => number = () => Date.now(),
    private readonly maxEntries = 100_000,
  ) {}

  async getLatest(
    featureSet: string,
    ids: string[],
    options: GetLatestOptions = {},
  ): Promise<Map<string, FeatureRow>> {
    if (this.maxAgeMs <= 0) return this.store.getLatest(featureSet, ids, options);
    const now = this.clock();
    const renewAfter = this.maxAgeMs / 2;
    const out = new Map<string, FeatureRow>();
    const pending: [string, Promise<FeatureRow | null>][] = [];
    const misses: string[] = [];
    const renew: string[] = [];
    for (const id of ids.length > 1 ? new Set(ids) : ids) {
      const key = `${featureSet}\u0000${id}`;
      const hit = this.rows.get(key);
      const flying = this.inFlight.get(key);
      if (hit && now - hit.at < this.maxAgeMs) {
        if (hit.row) out.set(id, hit.row);
        if (!flying && now - hit.at >= renewAfter) renew.push(id);
      } else if (flying) pending.push([id, flying]);
      else misses.push(id);
    }
    if (misses.length > 0) {
      for (const entry of this.read(featureSet, misses, options, now)) pending.push(entry);
    }
    if (renew.length > 0) {
      // Not awaited: a failed renewal leaves the entry to expire, and the next request after
      // that reads (and reports the failure) itself.
      for (const [, row] of this.read(featureSet, renew, options, now)) row.catch(() => {});
    }
    for (const [id, promise] of pending) {
      const row = await promise;
      if (row) out.set(id, row);
    }
    return out;
  }

  /** One store read of `ids`, shared through `inFlight` until it lands in the cache. */
  private read(
    featureSet: string,
    ids: string[],
    options: GetLatestOptions,
    now: number,
  ): [string, Promise<FeatureRow | null>][] {
    const read = this.store.getLatest(featureSet, ids, { ...options, includeExpired: true });
    if (this.rows.size + ids.length > this.maxEntries) this.rows.clear();
    return ids.map((id) => {
      const key = `${featureSet}\u0000${id}`;
      const one = read
        .then((found) => {
          const row = found.get(id) ?? null;
          this.rows.set(key, { at: now, row });
          return row;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, one);
      return [id, one];
    });
  }
}

/**
 * The three storage interfaces the pipeline reaches storage through, plus the pure rules every
 * implementation shares (key layout, URI parsing, expiry, version ids, promotion decisions).
 *
 * `lambdas/io/` implements them over S3 and DynamoDB; `pipeline/store-memory.ts` implements them
 * in memory for logic tests. Both must give the same answers to the same calls: the behaviour
 * tables in `test/support/` run against each.
 *
 * Nothing here may import an SDK: only types and pure functions over bytes and text.
 */

import { createHash } from "node:crypto";
import {
  ArtifactError,
  ArtifactNotFoundError,
  ModelVersionNotFoundError,
  TypeMismatchError,
} from "./errors.ts";

// ---------------------------------------------------------------------------------------------
// Artifact store
// ---------------------------------------------------------------------------------------------

/** The three buckets of the data lake. */
export type StorageArea = "raw" | "features" | "artifacts";

export const STORAGE_AREAS: readonly StorageArea[] = ["raw", "features", "artifacts"];

export interface StoredObject {
  /** `s3://<bucket>/<key>`: what state payloads carry. */
  uri: string;
  key: string;
  /** Lower-case hex SHA-256 of the bytes. */
  sha256: string;
  size: number;
}

export interface PutContentResult extends StoredObject {
  /** False when an object with these bytes was already stored (it was not rewritten). */
  created: boolean;
}

export interface ArtifactStore {
  /**
   * Content-addressed write to `${prefix}/${sha256}.${ext}`: the same bytes always give the same
   * key, and an existing object is never rewritten (`created: false`).
   */
  putContent(
    area: StorageArea,
    prefix: string,
    bytes: Uint8Array,
    ext: string,
  ): Promise<PutContentResult>;
  /** A write to a named key (reports, manifests); overwrites. */
  put(area: StorageArea, key: string, bytes: Uint8Array): Promise<StoredObject>;
  /** The object's bytes; `ArtifactNotFoundError` (naming the URI) when there is none. */
  get(uri: string): Promise<Uint8Array>;
  exists(uri: string): Promise<boolean>;
  uriFor(area: StorageArea, key: string): string;
}

/** Bucket names per area. */
export type BucketNames = Record<StorageArea, string>;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** `${prefix}/${sha256}.${ext}`, tolerant of slashes around the prefix and a dot on ext. */
export function contentKey(prefix: string, sha256: string, ext: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, "");
  const e = ext.replace(/^\.+/, "");
  const file = e ? `${sha256}.${e}` : sha256;
  return p ? `${p}/${file}` : file;
}

export function formatS3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key.replace(/^\/+/, "")}`;
}

/** Splits `s3://bucket/key`; anything else is an `ArtifactNotFoundError` that says the URI. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) {
    throw new ArtifactNotFoundError(
      `"${uri}" is not an artifact URI: expected s3://<bucket>/<key>. ` +
        "Pass a URI returned by the artifact store.",
    );
  }
  return { bucket: m[1], key: m[2] };
}

export function notFound(uri: string, cause?: unknown): ArtifactNotFoundError {
  return new ArtifactNotFoundError(
    `No artifact at ${uri}: it was never written, or the store was reset. ` +
      "Re-run the step that produces it.",
    {},
    cause === undefined ? undefined : { cause },
  );
}

/**
 * For a content-addressed key (`.../<sha256>.<ext>`), checks the bytes still hash to it; an
 * `ArtifactError` when not. Other keys pass unchecked.
 */
export function verifyContentAddress(uri: string, bytes: Uint8Array): void {
  const m = /(?:^|\/)([0-9a-f]{64})(?:\.[^/]*)?$/.exec(uri);
  if (!m) return;
  const actual = sha256Hex(bytes);
  if (actual !== m[1]) {
    throw new ArtifactError(
      `The object at ${uri} is corrupt: its bytes hash to ${actual}, not to the SHA-256 in its key. ` +
        "Delete it and re-run the step that wrote it.",
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Feature store
// ---------------------------------------------------------------------------------------------

export type FeatureValue = number | string | null;

export interface FeatureRowInput {
  id: string;
  values: Record<string, FeatureValue>;
  /**
   * Epoch seconds after which this row reads as absent, when it is known per row (a feature
   * view's event time plus its TTL); wins over `PutLatestOptions.ttlSeconds`.
   */
  expiresAt?: number;
}

export interface FeatureRow extends FeatureRowInput {
  /** The feature set version (e.g. the preprocessor's content hash) that wrote the row. */
  version: string;
  /** ISO-8601 time of the write. */
  updatedAt: string;
  /** Epoch seconds after which the row reads as absent; undefined: never expires. */
  expiresAt?: number;
}

export interface PutLatestOptions {
  version: string;
  /** The row reads as absent this many seconds after `now`. */
  ttlSeconds?: number;
  now?: Date;
}

export interface GetLatestOptions {
  /** The time expiry is judged against; defaults to the clock. */
  now?: Date;
  /**
   * Return expired rows too (with their `expiresAt`): for readers that judge freshness by a
   * rule of their own and must tell an expired entity from an unknown one (feature views).
   */
  includeExpired?: boolean;
}

export interface FeatureStore {
  /** Replaces the latest row of each entity id (last write wins; repeated ids: the last row). */
  putLatest(featureSet: string, rows: FeatureRowInput[], options: PutLatestOptions): Promise<void>;
  /** The latest unexpired row per requested id; ids without one are absent from the map. */
  getLatest(
    featureSet: string,
    ids: string[],
    options?: GetLatestOptions,
  ): Promise<Map<string, FeatureRow>>;
}

/** Rows stamped for storage; repeated ids collapse to their last row (batch writes reject dups). */
export function prepareFeatureRows(
  featureSet: string,
  rows: FeatureRowInput[],
  options: PutLatestOptions,
): FeatureRow[] {
  if (!featureSet) throw new TypeError("putLatest: featureSet must be a non-empty string");
  const now = options.now ?? new Date();
  const expiresAt =
    options.ttlSeconds === undefined
      ? undefined
      : Math.floor(now.getTime() / 1000) + Math.ceil(options.ttlSeconds);
  const byId = new Map<string, FeatureRow>();
  rows.forEach((row, index) => {
    if (typeof row.id !== "string" || row.id === "") {
      throw new TypeMismatchError(
        `Feature set "${featureSet}": row ${index} has no entity id. Give every row a non-empty string id.`,
        { row: index, column: "id" },
      );
    }
    for (const [name, value] of Object.entries(row.values)) {
      const ok =
        value === null ||
        typeof value === "string" ||
        (typeof value === "number" && Number.isFinite(value));
      if (!ok) {
        throw new TypeMismatchError(
          `Feature set "${featureSet}", entity "${row.id}": value ${String(value)} of "${name}" ` +
            "is not a finite number, a string or null. Write missing values as null.",
          { row: index, column: name },
        );
      }
    }
    byId.delete(row.id);
    const rowExpiry = row.expiresAt ?? expiresAt;
    byId.set(row.id, {
      id: row.id,
      values: { ...row.values },
      version: options.version,
      updatedAt: now.toISOString(),
      ...(rowExpiry === undefined ? {} : { expiresAt: rowExpiry }),
    });
  });
  return [...byId.values()];
}

/** Expired once the clock reaches `expiresAt` (epoch seconds). Judged on read, never by TTL. */
export function isExpired(row: { expiresAt?: number }, now: Date): boolean {
  return row.expiresAt !== undefined && row.expiresAt * 1000 <= now.getTime();
}

// ---------------------------------------------------------------------------------------------
// Model registry
// ---------------------------------------------------------------------------------------------

/** `rolled-back`: a canary ran the version on live traffic and did not promote it. */
export type ModelStatus = "candidate" | "approved" | "rejected" | "archived" | "rolled-back";

/** How a version's canary ended: promoted, rolled back on its figures, or too little traffic. */
export type CanaryOutcome = "promoted" | "rolled-back" | "inconclusive";

export interface CanaryRecord {
  outcome: CanaryOutcome;
  /** What decided: a canary (absent) or an A/B test judged by the Monitor. */
  strategy?: "canary" | "ab";
  /** ISO-8601: when the check decided. */
  at: string;
  /** Why (the reasons joined), or "all checks passed". */
  reason: string;
  /** The figures behind the decision (error rate, shift, requests); null when not measured. */
  metrics?: Record<string, number | null>;
}

export interface ModelLineage {
  dataSha256: string;
  specSha256: string;
  seed: number;
  orchardVersion: string;
  /** ISO-8601. */
  createdAt: string;
  /** The feature views the training rows were joined with (`features.from`); absent: none. */
  featureViews?: FeatureViewLineage[];
}

/** What a model learned from one feature view: enough for serving to look the same features up. */
export interface FeatureViewLineage {
  view: string;
  /** The view definition's version (`viewVersion`). */
  version: string;
  /** ISO-8601: the latest event time the view had materialized when the rows were joined. */
  watermark: string | null;
  features: string[];
  /** Join key columns, in key order. */
  entities: string[];
  ttl: string;
  ttlMs: number;
  /** The training rows' time column the join used. */
  timeColumn: string;
  /** Training rows that found no record within the TTL (their values were missing). */
  unmatchedRows: number;
}

export interface ModelVersionInput {
  modelUri: string;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  lineage: ModelLineage;
  status: ModelStatus;
}

export interface PromotionEvent {
  /** ISO-8601. */
  at: string;
  by: string;
  /** The champion this promotion replaced; null for the first champion. */
  previous: string | null;
}

export interface ModelVersion extends ModelVersionInput {
  pipeline: string;
  /** `v<sequence>`, e.g. `v12`. Compare versions by `sequence`, not by this string. */
  version: string;
  /** 1, 2, 3, … per pipeline, in registration order. */
  sequence: number;
  /** ISO-8601. */
  registeredAt: string;
  promotions: PromotionEvent[];
  /** The canary's outcome, when the version went through one. */
  canary?: CanaryRecord;
}

export interface PromoteOptions {
  /** The champion the caller decided against; null when it believes there is none. */
  expectedChampion: string | null;
  /** Who promotes (recorded in the version's history). */
  by?: string;
  now?: Date;
}

export interface PromoteResult {
  promoted: boolean;
  /**
   * The champion after the call (the winner's version when another promotion won); null only
   * when the caller expected a champion and there is none.
   */
  champion: string | null;
  reason?: string;
}

export interface ModelRegistry {
  registerVersion(pipeline: string, record: ModelVersionInput): Promise<ModelVersion>;
  /** null when the pipeline has no such version. */
  getVersion(pipeline: string, version: string): Promise<ModelVersion | null>;
  /** Newest first. */
  listVersions(pipeline: string): Promise<ModelVersion[]>;
  getChampion(pipeline: string): Promise<ModelVersion | null>;
  /**
   * Moves the champion pointer to `version` only if it still is `expectedChampion`: of two
   * concurrent promotions exactly one wins; the other gets `promoted: false` and a reason.
   * `ModelVersionNotFoundError` when the version is not registered.
   */
  promote(pipeline: string, version: string, options: PromoteOptions): Promise<PromoteResult>;
  /**
   * Records the outcome of `version`'s canary on the version; a version not promoted by it
   * (`rolled-back` or `inconclusive`) gets status `rolled-back`, a promoted one keeps its
   * status. Returns the updated version; `ModelVersionNotFoundError` when not registered.
   */
  recordCanary(pipeline: string, version: string, record: CanaryRecord): Promise<ModelVersion>;
}

/** The status a version has after its canary ended with `outcome`. */
export function statusAfterCanary(status: ModelStatus, outcome: CanaryOutcome): ModelStatus {
  return outcome === "promoted" ? status : "rolled-back";
}

export function formatVersionId(sequence: number): string {
  return `v${sequence}`;
}

/** The sequence number of `v<n>`, or null when the string is not a version id. */
export function parseVersionId(version: string): number | null {
  const m = /^v([1-9][0-9]*)$/.exec(version);
  return m ? Number(m[1]) : null;
}

/** Why a promotion lost the race, for `PromoteResult.reason`. */
export function lostPromotionReason(
  version: string,
  expected: string | null,
  actual: string | null,
): string {
  const exp = expected === null ? "no champion" : `champion ${expected}`;
  const act = actual === null ? "there is none" : `it is ${actual}`;
  const next = actual === null ? "with no champion" : `against ${actual}`;
  return `${version} was not promoted: expected ${exp}, but ${act} (another promotion won). Re-evaluate ${next}.`;
}

/** Checks a record before registration: finite metrics, a model URI, a known status. */
export function validateVersionInput(pipeline: string, record: ModelVersionInput): void {
  if (!pipeline) throw new TypeError("registerVersion: pipeline must be a non-empty string");
  if (!record.modelUri) {
    throw new TypeMismatchError(
      `Model registry, pipeline "${pipeline}": modelUri is empty. Register the URI the train step wrote.`,
      { column: "modelUri" },
    );
  }
  for (const [name, value] of Object.entries(record.metrics)) {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new TypeMismatchError(
        `Model registry, pipeline "${pipeline}": metric "${name}" is ${String(value)}, not a finite number.`,
        { column: `metrics.${name}` },
      );
    }
  }
}

export function versionNotFound(pipeline: string, version: string): ModelVersionNotFoundError {
  return new ModelVersionNotFoundError(
    `Pipeline "${pipeline}" has no model version "${version}". ` +
      `List the registered versions with "orchard models" and pass one of them.`,
  );
}

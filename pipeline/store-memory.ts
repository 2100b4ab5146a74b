/**
 * In-memory implementations of the storage interfaces, with the same semantics as the AWS
 * adapters in `lambdas/io/` (the shared behaviour tables check both). For logic tests and for
 * anything that needs a store without servers. Every returned value is a copy, so callers
 * cannot mutate what is stored.
 */

import {
  type ArtifactStore,
  type BucketNames,
  type CanaryRecord,
  contentKey,
  type FeatureRow,
  type FeatureRowInput,
  type FeatureStore,
  formatS3Uri,
  formatVersionId,
  type GetLatestOptions,
  isExpired,
  lostPromotionReason,
  type ModelRegistry,
  type ModelVersion,
  type ModelVersionInput,
  notFound,
  type PromoteOptions,
  type PromoteResult,
  type PutContentResult,
  type PutLatestOptions,
  parseS3Uri,
  prepareFeatureRows,
  type StorageArea,
  type StoredObject,
  sha256Hex,
  statusAfterCanary,
  validateVersionInput,
  versionNotFound,
} from "./store.ts";

export const DEFAULT_MEMORY_BUCKETS: BucketNames = {
  raw: "orchard-raw",
  features: "orchard-features",
  artifacts: "orchard-artifacts",
};

export class MemoryArtifactStore implements ArtifactStore {
  private readonly objects = new Map<string, Uint8Array>();

  constructor(private readonly buckets: BucketNames = DEFAULT_MEMORY_BUCKETS) {}

  uriFor(area: StorageArea, key: string): string {
    return formatS3Uri(this.buckets[area], key);
  }

  async putContent(
    area: StorageArea,
    prefix: string,
    bytes: Uint8Array,
    ext: string,
  ): Promise<PutContentResult> {
    const sha256 = sha256Hex(bytes);
    const key = contentKey(prefix, sha256, ext);
    const uri = this.uriFor(area, key);
    const created = !this.objects.has(uri);
    if (created) this.objects.set(uri, bytes.slice());
    return { uri, key, sha256, size: bytes.byteLength, created };
  }

  async put(area: StorageArea, key: string, bytes: Uint8Array): Promise<StoredObject> {
    const uri = this.uriFor(area, key);
    this.objects.set(uri, bytes.slice());
    return { uri, key: parseS3Uri(uri).key, sha256: sha256Hex(bytes), size: bytes.byteLength };
  }

  async get(uri: string): Promise<Uint8Array> {
    parseS3Uri(uri);
    const bytes = this.objects.get(uri);
    if (!bytes) throw notFound(uri);
    return bytes.slice();
  }

  async exists(uri: string): Promise<boolean> {
    parseS3Uri(uri);
    return this.objects.has(uri);
  }
}

export class MemoryFeatureStore implements FeatureStore {
  private readonly rows = new Map<string, FeatureRow>();

  async putLatest(
    featureSet: string,
    rows: FeatureRowInput[],
    options: PutLatestOptions,
  ): Promise<void> {
    for (const row of prepareFeatureRows(featureSet, rows, options)) {
      this.rows.set(`${featureSet}#${row.id}`, row);
    }
  }

  async getLatest(
    featureSet: string,
    ids: string[],
    options: GetLatestOptions = {},
  ): Promise<Map<string, FeatureRow>> {
    const now = options.now ?? new Date();
    const out = new Map<string, FeatureRow>();
    for (const id of ids) {
      const row = this.rows.get(`${featureSet}#${id}`);
      if (row && (options.includeExpired || !isExpired(row, now)))
        out.set(id, structuredClone(row));
    }
    return out;
  }
}

export class MemoryModelRegistry implements ModelRegistry {
  private readonly versions = new Map<string, ModelVersion[]>();
  private readonly champions = new Map<string, string>();

  async registerVersion(pipeline: string, record: ModelVersionInput): Promise<ModelVersion> {
    validateVersionInput(pipeline, record);
    const list = this.versions.get(pipeline) ?? [];
    this.versions.set(pipeline, list);
    const sequence = list.length + 1;
    const version: ModelVersion = {
      ...structuredClone(record),
      pipeline,
      version: formatVersionId(sequence),
      sequence,
      registeredAt: new Date().toISOString(),
      promotions: [],
    };
    list.push(version);
    return structuredClone(version);
  }

  async getVersion(pipeline: string, version: string): Promise<ModelVersion | null> {
    const found = this.find(pipeline, version);
    return found ? structuredClone(found) : null;
  }

  async listVersions(pipeline: string): Promise<ModelVersion[]> {
    return structuredClone([...(this.versions.get(pipeline) ?? [])].reverse());
  }

  async getChampion(pipeline: string): Promise<ModelVersion | null> {
    const champion = this.champions.get(pipeline);
    return champion ? this.getVersion(pipeline, champion) : null;
  }

  async promote(
    pipeline: string,
    version: string,
    options: PromoteOptions,
  ): Promise<PromoteResult> {
    const target = this.find(pipeline, version);
    if (!target) throw versionNotFound(pipeline, version);
    const current = this.champions.get(pipeline) ?? null;
    if (current === version) {
      return { promoted: false, champion: version, reason: `${version} is already the champion` };
    }
    if (current !== options.expectedChampion) {
      return {
        promoted: false,
        champion: current,
        reason: lostPromotionReason(version, options.expectedChampion, current),
      };
    }
    this.champions.set(pipeline, version);
    target.promotions.push({
      at: (options.now ?? new Date()).toISOString(),
      by: options.by ?? "orchard",
      previous: current,
    });
    return { promoted: true, champion: version };
  }

  async recordCanary(
    pipeline: string,
    version: string,
    record: CanaryRecord,
  ): Promise<ModelVersion> {
    const target = this.find(pipeline, version);
    if (!target) throw versionNotFound(pipeline, version);
    target.canary = structuredClone(record);
    target.status = statusAfterCanary(target.status, record.outcome);
    return structuredClone(target);
  }

  private find(pipeline: string, version: string): ModelVersion | undefined {
    return this.versions.get(pipeline)?.find((v) => v.version === version);
  }
}

/**
 * `FeatureStore` over DynamoDB (table layout in `tables.ts`). Writes are BatchWriteItem puts,
 * so the latest write of an entity wins; reads are BatchGetItem, strongly consistent by
 * default so that a step reads what the previous step wrote. Expiry is judged on read against
 * `expiresAt`: DynamoDB TTL deletes expired items only eventually (and dynalite never).
 */

import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  type FeatureRow,
  type FeatureRowInput,
  type FeatureStore,
  type FeatureValue,
  type GetLatestOptions,
  isExpired,
  type PutLatestOptions,
  prepareFeatureRows,
} from "../../pipeline/store.ts";
import { type BatchOptions, batchGetAll, batchWriteAll } from "./batch.ts";
import { FEATURE_TABLE, featureKey } from "./tables.ts";

export interface DynamoFeatureStoreOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** Strongly consistent reads (default true); false halves the read cost for serving. */
  consistentRead?: boolean;
  batch?: BatchOptions;
}

interface FeatureItem {
  pk: string;
  featureSet: string;
  entityId: string;
  values: Record<string, FeatureValue>;
  version: string;
  updatedAt: string;
  expiresAt?: number;
}

const TTL = FEATURE_TABLE.ttlAttribute ?? "expiresAt";

export class DynamoFeatureStore implements FeatureStore {
  constructor(private readonly options: DynamoFeatureStoreOptions) {}

  async putLatest(
    featureSet: string,
    rows: FeatureRowInput[],
    options: PutLatestOptions,
  ): Promise<void> {
    const requests = prepareFeatureRows(featureSet, rows, options).map((row) => {
      const item: FeatureItem = {
        pk: featureKey(featureSet, row.id),
        featureSet,
        entityId: row.id,
        values: row.values,
        version: row.version,
        updatedAt: row.updatedAt,
      };
      if (row.expiresAt !== undefined) item.expiresAt = row.expiresAt;
      return { PutRequest: { Item: item as unknown as Record<string, unknown> } };
    });
    await batchWriteAll(
      this.options.documents,
      this.options.tableName,
      requests,
      this.options.batch,
    );
  }

  async getLatest(
    featureSet: string,
    ids: string[],
    options: GetLatestOptions = {},
  ): Promise<Map<string, FeatureRow>> {
    const now = options.now ?? new Date();
    const keys = [...new Set(ids)].map((id) => ({ pk: featureKey(featureSet, id) }));
    const items = await batchGetAll(this.options.documents, this.options.tableName, keys, {
      ...this.options.batch,
      consistentRead: this.options.consistentRead ?? true,
    });
    const out = new Map<string, FeatureRow>();
    for (const raw of items) {
      const item = raw as unknown as FeatureItem;
      const expiresAt = item[TTL as "expiresAt"];
      const row: FeatureRow = {
        id: item.entityId,
        values: item.values ?? {},
        version: item.version,
        updatedAt: item.updatedAt,
        ...(typeof expiresAt === "number" ? { expiresAt } : {}),
      };
      if (options.includeExpired || !isExpired(row, now)) out.set(row.id, row);
    }
    return out;
  }
}

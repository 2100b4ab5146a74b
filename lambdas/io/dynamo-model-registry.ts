/**
 * `ModelRegistry` over one DynamoDB table (layout in `tables.ts`).
 *
 * Version ids come from the pipeline's counter item, incremented with `ADD` in one UpdateItem:
 * the increment is atomic on the server, so concurrent registrations get distinct, consecutive
 * sequences without a read-modify-write window or retries. The version item is then put with
 * `attribute_not_exists(sk)`, so an id is never overwritten even if the counter were reset.
 *
 * The champion pointer item changes only through a conditional write: `attribute_not_exists`
 * for the first champion, `champion = :expected` after that. Of concurrent promotions exactly
 * one condition holds; the others read the winner back and report it. The pointer is the truth;
 * the promotion history on the version item is appended after the pointer moved.
 */

import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import {
  type CanaryRecord,
  formatVersionId,
  lostPromotionReason,
  type ModelRegistry,
  type ModelVersion,
  type ModelVersionInput,
  type PromoteOptions,
  type PromoteResult,
  type PromotionEvent,
  parseVersionId,
  statusAfterCanary,
  validateVersionInput,
  versionNotFound,
} from "../../pipeline/store.ts";
import { withStorageErrors } from "./errors.ts";
import { REGISTRY_KEYS, versionSortKey } from "./tables.ts";

export interface DynamoModelRegistryOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** Items per Query page when listing versions. */
  pageSize?: number;
}

type VersionItem = ModelVersion & { sk: string };

function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === "ConditionalCheckFailedException";
}

function toVersion(item: Record<string, unknown>): ModelVersion {
  const { sk: _sk, ...rest } = item as unknown as VersionItem;
  return { ...rest, promotions: rest.promotions ?? [] };
}

export class DynamoModelRegistry implements ModelRegistry {
  private readonly documents: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly pageSize: number;

  constructor(options: DynamoModelRegistryOptions) {
    this.documents = options.documents;
    this.table = options.tableName;
    this.pageSize = options.pageSize ?? 100;
  }

  async registerVersion(pipeline: string, record: ModelVersionInput): Promise<ModelVersion> {
    validateVersionInput(pipeline, record);
    const sequence = await this.allocateSequence(pipeline);
    const version: ModelVersion = {
      ...record,
      pipeline,
      version: formatVersionId(sequence),
      sequence,
      registeredAt: new Date().toISOString(),
      promotions: [],
    };
    await this.call("PutItem", () =>
      this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...version, sk: versionSortKey(sequence) },
          ConditionExpression: "attribute_not_exists(sk)",
        }),
      ),
    );
    return version;
  }

  async getVersion(pipeline: string, version: string): Promise<ModelVersion | null> {
    const sequence = parseVersionId(version);
    if (sequence === null) return null;
    const item = await this.getItem(pipeline, versionSortKey(sequence));
    return item ? toVersion(item) : null;
  }

  async listVersions(pipeline: string): Promise<ModelVersion[]> {
    const out: ModelVersion[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page: QueryCommandOutput = await this.call("Query", () =>
        this.documents.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: "#p = :p AND begins_with(#sk, :prefix)",
            ExpressionAttributeNames: { "#p": "pipeline", "#sk": "sk" },
            ExpressionAttributeValues: { ":p": pipeline, ":prefix": REGISTRY_KEYS.versionPrefix },
            ScanIndexForward: false,
            ConsistentRead: true,
            Limit: this.pageSize,
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const item of page.Items ?? []) out.push(toVersion(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async getChampion(pipeline: string): Promise<ModelVersion | null> {
    const champion = await this.readChampion(pipeline);
    return champion ? this.getVersion(pipeline, champion) : null;
  }

  async promote(
    pipeline: string,
    version: string,
    options: PromoteOptions,
  ): Promise<PromoteResult> {
    if (!(await this.getVersion(pipeline, version))) throw versionNotFound(pipeline, version);
    const current = await this.readChampion(pipeline);
    if (current === version) {
      return { promoted: false, champion: version, reason: `${version} is already the champion` };
    }
    const expected = options.expectedChampion;
    const event: PromotionEvent = {
      at: (options.now ?? new Date()).toISOString(),
      by: options.by ?? "orchard",
      previous: expected,
    };
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pipeline, sk: REGISTRY_KEYS.champion },
          UpdateExpression:
            "SET champion = :v, previous = :prev, promotedAt = :at, promotedBy = :by",
          ConditionExpression:
            expected === null ? "attribute_not_exists(champion)" : "champion = :expected",
          ExpressionAttributeValues: {
            ":v": version,
            ":prev": expected,
            ":at": event.at,
            ":by": event.by,
            ...(expected === null ? {} : { ":expected": expected }),
          },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) {
        return this.call("UpdateItem", () => Promise.reject(err));
      }
      const actual = await this.readChampion(pipeline);
      return {
        promoted: false,
        champion: actual,
        reason: lostPromotionReason(version, expected, actual),
      };
    }
    await this.call("UpdateItem", () =>
      this.documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pipeline, sk: versionSortKey(parseVersionId(version) ?? 0) },
          UpdateExpression: "SET promotions = list_append(if_not_exists(promotions, :empty), :e)",
          ExpressionAttributeValues: { ":empty": [], ":e": [event] },
        }),
      ),
    );
    return { promoted: true, champion: version };
  }

  /**
   * One conditional UpdateItem on the version item (`attribute_exists(sk)`: a missing version
   * is `ModelVersionNotFoundError`, never a new half item). A rollback sets the status in the
   * same write, so the record and the status cannot disagree.
   */
  async recordCanary(
    pipeline: string,
    version: string,
    record: CanaryRecord,
  ): Promise<ModelVersion> {
    const sequence = parseVersionId(version);
    if (sequence === null) throw versionNotFound(pipeline, version);
    const rolledBack = statusAfterCanary("approved", record.outcome) === "rolled-back";
    try {
      const out = await this.documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pipeline, sk: versionSortKey(sequence) },
          UpdateExpression: rolledBack ? "SET #c = :c, #s = :s" : "SET #c = :c",
          ConditionExpression: "attribute_exists(sk)",
          ExpressionAttributeNames: rolledBack
            ? { "#c": "canary", "#s": "status" }
            : { "#c": "canary" },
          ExpressionAttributeValues: {
            ":c": record,
            ...(rolledBack ? { ":s": "rolled-back" } : {}),
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return toVersion(out.Attributes ?? {});
    } catch (err) {
      if (isConditionFailure(err)) throw versionNotFound(pipeline, version);
      return this.call("UpdateItem", () => Promise.reject(err));
    }
  }

  private async allocateSequence(pipeline: string): Promise<number> {
    const out = await this.call("UpdateItem", () =>
      this.documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pipeline, sk: REGISTRY_KEYS.counter },
          UpdateExpression: "ADD #n :one",
          ExpressionAttributeNames: { "#n": "lastSequence" },
          ExpressionAttributeValues: { ":one": 1 },
          ReturnValues: "UPDATED_NEW",
        }),
      ),
    );
    return Number(out.Attributes?.lastSequence);
  }

  private async readChampion(pipeline: string): Promise<string | null> {
    const item = await this.getItem(pipeline, REGISTRY_KEYS.champion);
    return typeof item?.champion === "string" ? item.champion : null;
  }

  private async getItem(pipeline: string, sk: string) {
    const out = await this.call("GetItem", () =>
      this.documents.send(
        new GetCommand({ TableName: this.table, Key: { pipeline, sk }, ConsistentRead: true }),
      ),
    );
    return out.Item;
  }

  private call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    return withStorageErrors({ operation: `DynamoDB ${operation}`, resource: this.table }, send);
  }
}

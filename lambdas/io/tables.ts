/**
 * The DynamoDB tables Orchard needs, defined once: `startLocalServices` creates them in
 * dynalite from `createTableInput`, and the Pulumi program maps the same definitions onto
 * `aws.dynamodb.Table` (hashKey, rangeKey, attributes, ttl). Both tables are on-demand.
 *
 * Feature table: one item per (feature set, entity), partition key `pk = <featureSet>#<id>`.
 *   The feature set is in the key rather than a partition of its own so that serving reads
 *   for one feature set spread over many partitions instead of heating one.
 * Registry table: partition key `pipeline`, sort key `sk`; per pipeline one counter item
 *   (`COUNTER`), one champion pointer (`CHAMPION`) and one item per version
 *   (`VERSION#<zero-padded sequence>`, so a descending query lists newest first).
 */

import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

export type KeyAttributeType = "S" | "N" | "B";

export interface TableDefinition {
  /** The logical name (Pulumi child name suffix; the physical name is auto-named). */
  logicalName: string;
  hashKey: string;
  rangeKey?: string;
  attributes: { name: string; type: KeyAttributeType }[];
  /** The attribute DynamoDB TTL deletes by (epoch seconds); readers check it too. */
  ttlAttribute?: string;
  globalSecondaryIndexes: {
    name: string;
    hashKey: string;
    rangeKey?: string;
    projectionType: "ALL" | "KEYS_ONLY";
  }[];
}

export const FEATURE_TABLE: TableDefinition = {
  logicalName: "features",
  hashKey: "pk",
  attributes: [{ name: "pk", type: "S" }],
  ttlAttribute: "expiresAt",
  globalSecondaryIndexes: [],
};

export const REGISTRY_TABLE: TableDefinition = {
  logicalName: "registry",
  hashKey: "pipeline",
  rangeKey: "sk",
  attributes: [
    { name: "pipeline", type: "S" },
    { name: "sk", type: "S" },
  ],
  globalSecondaryIndexes: [],
};

/** Registry sort keys. */
export const REGISTRY_KEYS = {
  counter: "COUNTER",
  champion: "CHAMPION",
  versionPrefix: "VERSION#",
} as const;

/** `VERSION#000000012`: zero-padded so the sort key orders like the sequence. */
export function versionSortKey(sequence: number): string {
  return `${REGISTRY_KEYS.versionPrefix}${String(sequence).padStart(9, "0")}`;
}

export function featureKey(featureSet: string, id: string): string {
  return `${featureSet}#${id}`;
}

/** The CreateTable request for a definition, on-demand billing. */
export function createTableInput(def: TableDefinition, tableName: string): CreateTableCommandInput {
  const keySchema = (hash: string, range?: string) => [
    { AttributeName: hash, KeyType: "HASH" as const },
    ...(range ? [{ AttributeName: range, KeyType: "RANGE" as const }] : []),
  ];
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    KeySchema: keySchema(def.hashKey, def.rangeKey),
    AttributeDefinitions: def.attributes.map((a) => ({
      AttributeName: a.name,
      AttributeType: a.type,
    })),
    ...(def.globalSecondaryIndexes.length > 0
      ? {
          GlobalSecondaryIndexes: def.globalSecondaryIndexes.map((g) => ({
            IndexName: g.name,
            KeySchema: keySchema(g.hashKey, g.rangeKey),
            Projection: { ProjectionType: g.projectionType },
          })),
        }
      : {}),
  };
}

/**
 * One DynamoDB table from its shared definition (`lambdas/io/tables.ts`, the same one the
 * local dynalite store is created from), with the settings every Orchard table has: on-demand
 * billing, point-in-time recovery, SSE with the data-lake key, the definition's expiry
 * attribute as TTL, and deletion protection when the stack protects its data.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { TableDefinition } from "../lambdas/io/tables.ts";
import type { Tags } from "./tags.ts";

export interface SecureTableArgs {
  definition: TableDefinition;
  keyArn: pulumi.Input<string>;
  protect: boolean;
  tags: Tags;
}

export function secureTable(
  name: string,
  args: SecureTableArgs,
  parent: pulumi.Resource,
): aws.dynamodb.Table {
  const def = args.definition;
  return new aws.dynamodb.Table(
    name,
    {
      billingMode: "PAY_PER_REQUEST",
      hashKey: def.hashKey,
      ...(def.rangeKey ? { rangeKey: def.rangeKey } : {}),
      attributes: def.attributes.map((a) => ({ name: a.name, type: a.type })),
      globalSecondaryIndexes: def.globalSecondaryIndexes.map((g) => ({
        name: g.name,
        keySchemas: [
          { attributeName: g.hashKey, keyType: "HASH" },
          ...(g.rangeKey ? [{ attributeName: g.rangeKey, keyType: "RANGE" }] : []),
        ],
        projectionType: g.projectionType,
      })),
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: args.keyArn },
      ...(def.ttlAttribute ? { ttl: { enabled: true, attributeName: def.ttlAttribute } } : {}),
      deletionProtectionEnabled: args.protect,
      tags: { ...args.tags, table: def.logicalName },
    },
    { parent, protect: args.protect },
  );
}

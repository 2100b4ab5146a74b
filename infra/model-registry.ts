/** ModelRegistry: versions, the version counter and the champion pointer of every pipeline. */
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { REGISTRY_TABLE } from "../lambdas/io/tables.ts";
import { secureTable } from "./dynamo-table.ts";
import { componentTags } from "./tags.ts";

export interface ModelRegistryArgs {
  keyArn: pulumi.Input<string>;
  protect: boolean;
}

export class ModelRegistry extends pulumi.ComponentResource {
  readonly table: aws.dynamodb.Table;

  constructor(name: string, args: ModelRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("orchard:data:ModelRegistry", name, {}, opts);
    this.table = secureTable(
      `${name}-table`,
      {
        definition: REGISTRY_TABLE,
        keyArn: args.keyArn,
        protect: args.protect,
        tags: componentTags("model-registry"),
      },
      this,
    );
    this.registerOutputs({ tableName: this.table.name, tableArn: this.table.arn });
  }
}

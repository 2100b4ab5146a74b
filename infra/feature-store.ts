/** FeatureStore: the online feature table (latest entity rows, written by Preprocess, read by Predict). */
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FEATURE_TABLE } from "../lambdas/io/tables.ts";
import { secureTable } from "./dynamo-table.ts";
import { componentTags } from "./tags.ts";

export interface FeatureStoreArgs {
  keyArn: pulumi.Input<string>;
  protect: boolean;
}

export class FeatureStore extends pulumi.ComponentResource {
  readonly table: aws.dynamodb.Table;

  constructor(name: string, args: FeatureStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("orchard:data:FeatureStore", name, {}, opts);
    this.table = secureTable(
      `${name}-table`,
      {
        definition: FEATURE_TABLE,
        keyArn: args.keyArn,
        protect: args.protect,
        tags: componentTags("feature-store"),
      },
      this,
    );
    this.registerOutputs({ tableName: this.table.name, tableArn: this.table.arn });
  }
}

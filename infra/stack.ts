/**
 * The whole Orchard stack of a platform repository in one call, for a user's Pulumi program
 * (the scaffolded `infra/index.ts` of `orchard init`):
 *
 *   import { orchardStack } from "orchard-ml/infra";
 *   const stack = orchardStack({ rootDir: fileURLToPath(new URL("..", import.meta.url)) });
 *   export const pipelines = stack.pipelines;
 *
 * It does what Orchard's own infra/index.ts does: reads and checks the stack config, loads
 * the pipeline specs (paths relative to `rootDir`, the directory of Pulumi.yaml), takes the
 * Lambda bundles `orchard build` wrote to `orchard:codeDir` (default dist/lambdas), builds
 * `Platform` and returns the outputs `orchard cloud` reads.
 */
import type * as pulumi from "@pulumi/pulumi";
import { BUNDLE_OF } from "../lambdas/bundles.ts";
import { bundleCode } from "./code.ts";
import { readConfig } from "./config.ts";
import { type PipelineOutputs, Platform } from "./platform.ts";
import { loadDeploySpecs } from "./specs.ts";

export interface OrchardStackArgs {
  /** The directory of Pulumi.yaml: spec paths and `orchard:codeDir` are relative to it. */
  rootDir: string;
  /** The Platform component's name (default `orchard`). */
  name?: string;
}

export interface OrchardStackOutputs {
  platform: Platform;
  region: string;
  rawBucket: pulumi.Output<string>;
  featuresBucket: pulumi.Output<string>;
  artifactsBucket: pulumi.Output<string>;
  accessLogsBucket: pulumi.Output<string>;
  keyArn: pulumi.Output<string>;
  featureTable: pulumi.Output<string>;
  registryTable: pulumi.Output<string>;
  alertTopicArn: pulumi.Output<string>;
  humanRoleArns: { dataScientist: pulumi.Output<string>; platformAdmin: pulumi.Output<string> };
  pipelines: Record<string, PipelineOutputs>;
}

export function orchardStack(args: OrchardStackArgs): OrchardStackOutputs {
  const config = readConfig(args.rootDir);
  const specs = loadDeploySpecs(config.pipelines);
  const bundles = Object.entries(BUNDLE_OF)
    .filter(([step]) => config.steps[step as keyof typeof BUNDLE_OF].compute === "lambda")
    .map(([, bundle]) => bundle);
  const platform = new Platform(args.name ?? "orchard", {
    config,
    specs,
    code: bundleCode(config.codeDir, bundles),
  });
  return {
    platform,
    region: config.region,
    rawBucket: platform.dataLake.raw.bucket.bucket,
    featuresBucket: platform.dataLake.features.bucket.bucket,
    artifactsBucket: platform.dataLake.artifacts.bucket.bucket,
    accessLogsBucket: platform.dataLake.logs.bucket.bucket,
    keyArn: platform.dataLake.key.arn,
    featureTable: platform.featureStore.table.name,
    registryTable: platform.registry.table.name,
    alertTopicArn: platform.alerts.topic.arn,
    humanRoleArns: {
      dataScientist: platform.access.humanRoles["data-scientist"].arn,
      platformAdmin: platform.access.humanRoles["platform-admin"].arn,
    },
    pipelines: platform.pipelines,
  };
}

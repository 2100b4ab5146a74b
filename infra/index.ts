/**
 * The Pulumi program (Pulumi.yaml `main`). Deploy with
 * `npm run build:lambdas && pulumi up -s <stack>`; the deploy guide in README.md lists the
 * config keys. Everything is declared by `Platform`; this file reads the config, loads the
 * specs and the bundles, and exports the stack outputs.
 */

import { BUNDLE_OF, MATERIALIZE_BUNDLE } from "../lambdas/bundles.ts";
import { bundleCode } from "./code.ts";
import { readConfig } from "./config.ts";
import { Platform } from "./platform.ts";
import { loadDeploySpecs } from "./specs.ts";

const config = readConfig();
const specs = loadDeploySpecs(config.pipelines);
const bundles: string[] = Object.entries(BUNDLE_OF)
  .filter(([step]) => config.steps[step as keyof typeof BUNDLE_OF].compute === "lambda")
  .map(([, bundle]) => bundle);
// Feature views the specs consume are materialized by their own Lambda.
if (specs.some((s) => s.views.length > 0)) bundles.push(MATERIALIZE_BUNDLE);
const platform = new Platform("orchard", {
  config,
  specs,
  code: bundleCode(config.codeDir, bundles),
});

export const region = config.region;
export const rawBucket = platform.dataLake.raw.bucket.bucket;
export const featuresBucket = platform.dataLake.features.bucket.bucket;
export const artifactsBucket = platform.dataLake.artifacts.bucket.bucket;
export const accessLogsBucket = platform.dataLake.logs.bucket.bucket;
export const keyArn = platform.dataLake.key.arn;
export const featureTable = platform.featureStore.table.name;
export const registryTable = platform.registry.table.name;
export const alertTopicArn = platform.alerts.topic.arn;
export const humanRoleArns = {
  dataScientist: platform.access.humanRoles["data-scientist"].arn,
  platformAdmin: platform.access.humanRoles["platform-admin"].arn,
};
/**
 * Per pipeline: state machine ARN, schedule, spec and source URIs (and the batch URI when the
 * spec has deploy.batch: the scheduled run input), the batch-score function's name, predict
 * URL, role ARNs and log group names
 * (read by `orchard cloud`, cli/cloud/stack-outputs.ts).
 */
export const pipelines = platform.pipelines;

/**
 * `orchard-ml/infra`: the Pulumi components, usable from any Pulumi TypeScript program.
 * `orchardStack` builds the whole platform from the stack config (what `orchard init`
 * scaffolds); `Platform` and the components below it take plain typed arguments for programs
 * that compose their own. What is not exported here is free to change between versions.
 */
export { BUNDLE_OF, BUNDLES, type BundleName } from "../lambdas/bundles.ts";
export { Access, type AccessArgs } from "./access.ts";
export { Alerts, type AlertsArgs } from "./alerts.ts";
export { type BundleCode, bundleCode, type LambdaCode } from "./code.ts";
export {
  type ConfigContext,
  type ConfigValues,
  type OrchardConfig,
  type PipelineConfig,
  parseConfig,
  readConfig,
  type StepSettings,
} from "./config.ts";
export { DataLake, type DataLakeArgs } from "./data-lake.ts";
export { DeployInputError, InfraConfigError } from "./errors.ts";
export { FeatureStore, type FeatureStoreArgs } from "./feature-store.ts";
export { KubernetesServing, type KubernetesServingArgs } from "./kubernetes.ts";
export { ModelRegistry, type ModelRegistryArgs } from "./model-registry.ts";
export { Monitoring, type MonitoringArgs } from "./monitoring.ts";
export { Pipeline, type PipelineArgs } from "./pipeline.ts";
export { PipelineStep, type PipelineStepArgs } from "./pipeline-step.ts";
export { type PipelineOutputs, Platform, type PlatformArgs } from "./platform.ts";
export { Serving, type ServingArgs } from "./serving.ts";
export { type DeploySpec, loadDeploySpecs } from "./specs.ts";
export { type OrchardStackArgs, type OrchardStackOutputs, orchardStack } from "./stack.ts";

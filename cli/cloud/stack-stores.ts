/**
 * The artifact store and model registry of one stack, for `orchard promote`. A stack's storage
 * is found from its outputs (`--from-outputs`/`--to-outputs` FILE, else
 * `stacks/outputs/<stack>.json`, else the Pulumi CLI: see stack-outputs.ts), or, for a local
 * stand-in, from a state directory that `orchard run --state-dir` wrote (`--from-state-dir`,
 * `--to-state-dir`): the same embedded S3 and DynamoDB `orchard run` uses.
 *
 * Every store call is guarded: an AWS failure becomes a named error that says which action on
 * which bucket, object or table was refused (errors.ts).
 */
import { createStorageClients, destroyStorageClients } from "../../lambdas/io/clients.ts";
import { readStorageConfig, type StorageConfig } from "../../lambdas/io/env.ts";
import { openStores } from "../../lambdas/io/stores.ts";
import type { ArtifactStore, ModelRegistry } from "../../pipeline/store.ts";
import { startLocalServices } from "../local/servers.ts";
import { awsCall } from "./errors.ts";
import { readOutputsWithAutomation } from "./pulumi-outputs.ts";
import { loadStackOutputs, type StackOutputs, storageConfigFromOutputs } from "./stack-outputs.ts";

export interface StackStores {
  /** The stack name as the user gave it (`staging`, `prod`). */
  stack: string;
  kind: "cloud" | "local";
  artifacts: ArtifactStore;
  registry: ModelRegistry;
  config: StorageConfig;
  /** The stack outputs (cloud stacks only). */
  outputs?: StackOutputs;
  close(): Promise<void>;
}

export interface StackLocation {
  stack: string;
  outputsFile?: string;
  stateDir?: string;
  cwd?: string;
  /** The option naming the outputs file, for messages (`--from-outputs`). */
  flag?: string;
}

export async function openStackStores(location: StackLocation): Promise<StackStores> {
  if (location.stateDir) {
    const services = await startLocalServices({ stateDir: location.stateDir });
    const config = readStorageConfig(services.env);
    const clients = createStorageClients(config);
    const stores = guardStores(openStores(config, clients), config);
    return {
      stack: location.stack,
      kind: "local",
      ...stores,
      config,
      close: async () => {
        destroyStorageClients(clients);
        await services.stop();
      },
    };
  }
  const outputs = await loadStackOutputs({
    stack: location.stack,
    outputsFile: location.outputsFile,
    cwd: location.cwd,
    automation: readOutputsWithAutomation,
    flag: location.flag,
  });
  const config = storageConfigFromOutputs(outputs);
  const clients = createStorageClients(config);
  return {
    stack: location.stack,
    kind: "cloud",
    ...guardStores(openStores(config, clients), config),
    config,
    outputs,
    close: async () => destroyStorageClients(clients),
  };
}

type Guarded = Pick<StackStores, "artifacts" | "registry">;

/** The stores with each call's AWS failure mapped to a named error naming action and resource. */
export function guardStores(stores: Guarded, config: StorageConfig): Guarded {
  const table = `DynamoDB table ${config.registryTable}`;
  const a = stores.artifacts;
  const r = stores.registry;
  const artifacts: ArtifactStore = {
    uriFor: (area, key) => a.uriFor(area, key),
    get: (uri) => awsCall({ action: "s3:GetObject", resource: uri }, () => a.get(uri)),
    exists: (uri) => awsCall({ action: "s3:GetObject", resource: uri }, () => a.exists(uri)),
    put: (area, key, bytes) =>
      awsCall({ action: "s3:PutObject", resource: a.uriFor(area, key) }, () =>
        a.put(area, key, bytes),
      ),
    putContent: (area, prefix, bytes, ext) =>
      awsCall({ action: "s3:PutObject", resource: a.uriFor(area, `${prefix}/`) }, () =>
        a.putContent(area, prefix, bytes, ext),
      ),
  };
  const registry: ModelRegistry = {
    getVersion: (p, v) =>
      awsCall({ action: "dynamodb:GetItem", resource: table }, () => r.getVersion(p, v)),
    getChampion: (p) =>
      awsCall({ action: "dynamodb:GetItem", resource: table }, () => r.getChampion(p)),
    listVersions: (p) =>
      awsCall({ action: "dynamodb:Query", resource: table }, () => r.listVersions(p)),
    registerVersion: (p, record) =>
      awsCall({ action: "dynamodb:UpdateItem and dynamodb:PutItem", resource: table }, () =>
        r.registerVersion(p, record),
      ),
    promote: (p, v, options) =>
      awsCall({ action: "dynamodb:UpdateItem", resource: table }, () => r.promote(p, v, options)),
    recordCanary: (p, v, record) =>
      awsCall({ action: "dynamodb:UpdateItem", resource: table }, () =>
        r.recordCanary(p, v, record),
      ),
  };
  return { artifacts, registry };
}

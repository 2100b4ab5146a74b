/**
 * The three stores wired from configuration and clients: what a step handler asks for.
 * Defaults are the process's configuration and clients, so a handler calls `openStores()`.
 */

import type { ArtifactStore, FeatureStore, ModelRegistry } from "../../pipeline/store.ts";
import { type StorageClients, storageClients } from "./clients.ts";
import { DynamoFeatureStore } from "./dynamo-feature-store.ts";
import { DynamoModelRegistry } from "./dynamo-model-registry.ts";
import { type StorageConfig, storageConfig } from "./env.ts";
import { S3ArtifactStore } from "./s3-artifact-store.ts";

export interface Stores {
  artifacts: ArtifactStore;
  features: FeatureStore;
  registry: ModelRegistry;
}

export function openStores(
  config: StorageConfig = storageConfig(),
  clients: StorageClients = storageClients(),
): Stores {
  return {
    artifacts: new S3ArtifactStore({ client: clients.s3, buckets: config.buckets }),
    features: new DynamoFeatureStore({
      documents: clients.documents,
      tableName: config.featureTable,
    }),
    registry: new DynamoModelRegistry({
      documents: clients.documents,
      tableName: config.registryTable,
    }),
  };
}

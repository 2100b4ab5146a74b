/**
 * Real local S3 (s3rver) and DynamoDB (dynalite) for adapter tests, in a fresh temp directory,
 * with clients and the three SDK-backed stores wired from the services' own `env`.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalServices, startLocalServices } from "../../cli/local/servers.ts";
import {
  createStorageClients,
  destroyStorageClients,
  type StorageClients,
} from "../../lambdas/io/clients.ts";
import { readStorageConfig, type StorageConfig } from "../../lambdas/io/env.ts";
import { openStores, type Stores } from "../../lambdas/io/stores.ts";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

export async function makeStateDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "orchard-io-"));
}

export interface TestServices {
  stateDir: string;
  services: LocalServices;
  config: StorageConfig;
  clients: StorageClients;
  stores: Stores;
  /** Stops the servers, destroys the clients; removes the state dir unless `keep`. */
  close(options?: { keep?: boolean }): Promise<void>;
}

export async function startTestServices(stateDir?: string): Promise<TestServices> {
  const dir = stateDir ?? (await makeStateDir());
  const services = await startLocalServices({ stateDir: dir });
  const config = readStorageConfig(services.env);
  const clients = createStorageClients(config);
  return {
    stateDir: dir,
    services,
    config,
    clients,
    stores: openStores(config, clients),
    async close(options = {}) {
      destroyStorageClients(clients);
      await services.stop();
      if (!options.keep) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Deterministic bytes of any length (a seeded LCG; no randomness needed in content). */
export function patternBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

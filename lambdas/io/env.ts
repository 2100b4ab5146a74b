/**
 * Storage configuration from the environment, read once per process. Lambda gets these from
 * the Pulumi program; `orchard run` gets them from `startLocalServices().env`.
 */

import type { BucketNames } from "../../pipeline/store.ts";
import { ConfigError } from "./errors.ts";

export interface StorageConfig {
  buckets: BucketNames;
  featureTable: string;
  registryTable: string;
  /** Local S3 (s3rver) endpoint; when set, clients use path-style addressing. */
  s3Endpoint?: string;
  /** Local DynamoDB (dynalite) endpoint. */
  dynamodbEndpoint?: string;
  region?: string;
}

export const STORAGE_ENV = {
  rawBucket: "ORCHARD_RAW_BUCKET",
  featuresBucket: "ORCHARD_FEATURES_BUCKET",
  artifactsBucket: "ORCHARD_ARTIFACTS_BUCKET",
  featureTable: "ORCHARD_FEATURE_TABLE",
  registryTable: "ORCHARD_REGISTRY_TABLE",
  s3Endpoint: "ORCHARD_S3_ENDPOINT",
  dynamodbEndpoint: "ORCHARD_DYNAMODB_ENDPOINT",
} as const;

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) {
    throw new ConfigError(
      `Environment variable ${name} is not set. Deploy the step with the Orchard Pulumi program, ` +
        `or run it through "orchard run", which sets it.`,
    );
  }
  return value;
}

function optionalUrl(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  try {
    new URL(value);
  } catch (cause) {
    throw new ConfigError(
      `Environment variable ${name} is "${value}", not a URL. Set it like http://127.0.0.1:4569 or unset it.`,
      {},
      { cause },
    );
  }
  return value;
}

/** Parses the configuration; a missing variable is a `ConfigError` that names it. */
export function readStorageConfig(env: Env = process.env): StorageConfig {
  const config: StorageConfig = {
    buckets: {
      raw: required(env, STORAGE_ENV.rawBucket),
      features: required(env, STORAGE_ENV.featuresBucket),
      artifacts: required(env, STORAGE_ENV.artifactsBucket),
    },
    featureTable: required(env, STORAGE_ENV.featureTable),
    registryTable: required(env, STORAGE_ENV.registryTable),
  };
  const s3Endpoint = optionalUrl(env, STORAGE_ENV.s3Endpoint);
  const dynamodbEndpoint = optionalUrl(env, STORAGE_ENV.dynamodbEndpoint);
  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim();
  if (s3Endpoint) config.s3Endpoint = s3Endpoint;
  if (dynamodbEndpoint) config.dynamodbEndpoint = dynamodbEndpoint;
  if (region) config.region = region;
  return config;
}

let cached: StorageConfig | undefined;

/** The process's configuration, read from `process.env` on first use. */
export function storageConfig(): StorageConfig {
  cached ??= readStorageConfig();
  return cached;
}

/** Forgets the cached configuration (tests, or `orchard run` after starting local services). */
export function resetStorageConfig(): void {
  cached = undefined;
}

/**
 * One S3 client and one DynamoDB client per process (Lambda reuses them across invocations),
 * created from the storage configuration on first use. Tests and `orchard run` may inject
 * their own with `setStorageClients`.
 *
 * Checksums: `requestChecksumCalculation`/`responseChecksumValidation` are "WHEN_REQUIRED"
 * everywhere, not only locally. With the SDK default ("WHEN_SUPPORTED") streamed uploads use
 * aws-chunked framing with trailing checksums, which s3rver stores verbatim inside the object
 * (silent corruption). Keeping one setting keeps local and cloud the same program; integrity
 * is checked instead by the content address: `S3ArtifactStore.get` re-hashes content keys.
 */

import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type StorageConfig, storageConfig } from "./env.ts";
import { type FaultOptions, faultOptionsFromEnv, instrumentClient } from "./faults.ts";
import { traceClient } from "./tracer.ts";

export interface StorageClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  /** lib-dynamodb DocumentClient over `dynamodb` (plain JS values in and out). */
  documents: DynamoDBDocumentClient;
}

/**
 * With an endpoint override the clients always sign with these: s3rver accepts only its own
 * access key id ("S3RVER"; it does not check v4 signatures), dynalite accepts any, and real
 * credentials from the environment are never sent to a local server.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
export const LOCAL_REGION = "us-east-1";

function localOverrides(endpoint: string | undefined, region: string | undefined) {
  if (!endpoint) return region ? { region } : {};
  return { endpoint, region: region ?? LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
}

/**
 * Numbers: DynamoDB holds 38 significant digits, so features beyond 2^53 (nanosecond times, big
 * ids read as numbers) are stored as the double they are (`allowImpreciseNumbers`) and read back
 * as a number, not a BigInt (`wrapNumbers`); the defaults would throw on the write.
 *
 * `faults` (default: from ORCHARD_FAULT_RATE / ORCHARD_FAULT_SEED) adds the fault layer of
 * `faults.ts`; every client gets its call counters. In Lambda, Powertools' Tracer records every
 * call of both clients (the document client's go through `dynamodb`) as an X-Ray subsegment.
 */
export function createStorageClients(
  config: StorageConfig,
  faults: FaultOptions | null = faultOptionsFromEnv(),
): StorageClients {
  const s3 = new S3Client({
    ...localOverrides(config.s3Endpoint, config.region),
    forcePathStyle: config.s3Endpoint !== undefined,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const dynamodb = new DynamoDBClient(localOverrides(config.dynamodbEndpoint, config.region));
  instrumentClient(s3, "s3", faults);
  instrumentClient(dynamodb, "dynamodb", faults);
  traceClient(s3);
  traceClient(dynamodb);
  clientHook?.({ s3, dynamodb });
  const documents = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true, allowImpreciseNumbers: true },
    unmarshallOptions: { wrapNumbers: (text: string) => Number(text) },
  });
  return { s3, dynamodb, documents };
}

let clients: StorageClients | undefined;

/** What is called with every pair of clients `createStorageClients` makes. */
export type StorageClientHook = (clients: { s3: S3Client; dynamodb: DynamoDBClient }) => void;

let clientHook: StorageClientHook | undefined;

/**
 * Installs (or, with `undefined`, removes) a hook that sees every client pair created from
 * now on, after the call counters and fault layer. The test suite's IAM enforcement uses it to
 * put the deployed roles' policies in front of the embedded servers; the package itself never
 * sets one.
 */
export function setStorageClientHook(hook: StorageClientHook | undefined): void {
  clientHook = hook;
}

/** The process's clients, created from `storageConfig()` on first use. */
export function storageClients(): StorageClients {
  clients ??= createStorageClients(storageConfig());
  return clients;
}

/** Replaces the process's clients (tests); `undefined` makes the next use create them anew. */
export function setStorageClients(next: StorageClients | undefined): void {
  clients = next;
}

export function destroyStorageClients(c: StorageClients): void {
  c.documents.destroy();
  c.dynamodb.destroy();
  c.s3.destroy();
}

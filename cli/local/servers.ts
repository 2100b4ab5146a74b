/**
 * The local stand-ins for S3 and DynamoDB that `orchard run` executes against: s3rver and
 * dynalite in this process, on free loopback ports, persisting under the state directory
 * (`<stateDir>/s3`, `<stateDir>/dynamodb`) so that the registry and artifacts survive between
 * runs. Buckets and tables are created when missing, so starting twice on the same directory
 * is harmless. The returned `env` is what the step handlers read (`lambdas/io/env.ts`).
 *
 * dynalite persists through LevelDB (classic-level, a native module). Its npm tarball ships
 * prebuilt binaries for linux/darwin/win32 (x64 and arm64), which node-gyp-build loads without
 * running an install script; nothing has to be compiled.
 */

import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type TableDescription,
} from "@aws-sdk/client-dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../lambdas/io/clients.ts";
import { STORAGE_ENV } from "../../lambdas/io/env.ts";
import {
  createTableInput,
  FEATURE_TABLE,
  REGISTRY_TABLE,
  type TableDefinition,
} from "../../lambdas/io/tables.ts";
import { OrchardError } from "../../pipeline/errors.ts";
import { openS3Session } from "./s3-recovery.ts";

/** The local S3 or DynamoDB could not be started (e.g. the state directory is in use). */
export class LocalServicesError extends OrchardError {}

/** Physical names of the local buckets and tables (cloud names come from Pulumi). */
export const LOCAL_NAMES = {
  rawBucket: "orchard-raw",
  featuresBucket: "orchard-features",
  artifactsBucket: "orchard-artifacts",
  featureTable: "orchard-features",
  registryTable: "orchard-registry",
} as const;

export interface LocalServicesOptions {
  /** Where state persists, e.g. `<project>/.orchard`. Created if missing. */
  stateDir: string;
  /** Loopback address to bind; default 127.0.0.1. */
  host?: string;
}

export interface LocalServices {
  /** ORCHARD_* variables pointing at the servers, plus dummy AWS credentials and region. */
  env: Record<string, string>;
  endpoints: { s3: string; dynamodb: string };
  /** Stops both servers and releases the LevelDB lock; safe to call twice. */
  stop(): Promise<void>;
}

// Neither package ships types; these are the parts used here.
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;
type DynaliteFactory = (options: Record<string, unknown>) => Server;
interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
}
type LevelConstructor = new (path: string) => LevelDb;

const require = createRequire(import.meta.url);

async function startS3(
  dir: string,
  host: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const S3rver = require("s3rver") as S3rverConstructor;
  const server = new S3rver({
    address: host,
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [
      { name: LOCAL_NAMES.rawBucket },
      { name: LOCAL_NAMES.featuresBucket },
      { name: LOCAL_NAMES.artifactsBucket },
    ],
  });
  const address = await server.run();
  return {
    url: `http://${host}:${address.port}`,
    close: async () => {
      const closing = server.close();
      server.httpServer?.closeAllConnections();
      await closing;
    },
  };
}

/**
 * dynalite opens its LevelDB lazily and throws an uncaught "Database is closed" from a request
 * handler when the directory is locked by another process (or another server in this one),
 * which kills the process. Opening the directory first, with the same `level` dynalite uses,
 * turns that into an error we can report. (A start racing between probe and open can still
 * hit the crash; two `orchard run` on one state directory at the same instant is not supported.)
 */
async function assertNotLocked(dir: string): Promise<void> {
  const fromDynalite = createRequire(require.resolve("dynalite"));
  const { Level } = fromDynalite("level") as { Level: LevelConstructor };
  const db = new Level(dir);
  try {
    await db.open();
  } catch (err) {
    const locked = (err as { cause?: { code?: string } }).cause?.code === "LEVEL_LOCKED";
    throw new LocalServicesError(
      locked
        ? `The local DynamoDB state in ${dir} is in use by another orchard process. ` +
            "Wait for it to finish or stop it, then try again."
        : `Could not open the local DynamoDB state in ${dir}: ${(err as Error).message}.`,
      { file: dir },
      { cause: err },
    );
  }
  await db.close();
}

async function startDynamo(
  dir: string,
  host: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  await assertNotLocked(dir);
  const dynalite = require("dynalite") as DynaliteFactory;
  const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function describe(client: DynamoDBClient, name: string): Promise<TableDescription | null> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table ?? null;
  } catch (err) {
    if ((err as { name?: string }).name === "ResourceNotFoundException") return null;
    throw err;
  }
}

async function ensureTable(client: DynamoDBClient, def: TableDefinition, name: string) {
  if (!(await describe(client, name))) {
    try {
      await client.send(new CreateTableCommand(createTableInput(def, name)));
    } catch (err) {
      if ((err as { name?: string }).name !== "ResourceInUseException") throw err;
    }
  }
  for (let i = 0; i < 100; i++) {
    if ((await describe(client, name))?.TableStatus === "ACTIVE") return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new LocalServicesError(`Local DynamoDB table ${name} did not become ACTIVE within 2 s.`);
}

export async function startLocalServices(options: LocalServicesOptions): Promise<LocalServices> {
  const host = options.host ?? "127.0.0.1";
  const s3Dir = join(options.stateDir, "s3");
  const dynamoDir = join(options.stateDir, "dynamodb");
  await mkdir(s3Dir, { recursive: true });
  await mkdir(dynamoDir, { recursive: true });
  // After a crash, drop the S3 objects whose write did not complete (s3-recovery.ts).
  const session = await openS3Session(options.stateDir, s3Dir);

  // DynamoDB first: it refuses a state directory in use before anything else is started.
  const dynamo = await startDynamo(dynamoDir, host);
  let s3: Awaited<ReturnType<typeof startS3>>;
  try {
    s3 = await startS3(s3Dir, host);
  } catch (err) {
    await dynamo.close();
    throw err;
  }

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= Promise.all([s3.close(), dynamo.close()]).then(() => session.close());
    return stopped;
  };

  // The SDK warns once per process that Node 20 support ends; locally that is noise (TOOLCHAIN.md).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const client = new DynamoDBClient({
    endpoint: dynamo.url,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    await ensureTable(client, FEATURE_TABLE, LOCAL_NAMES.featureTable);
    await ensureTable(client, REGISTRY_TABLE, LOCAL_NAMES.registryTable);
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.destroy();
  }

  const env: Record<string, string> = {
    [STORAGE_ENV.rawBucket]: LOCAL_NAMES.rawBucket,
    [STORAGE_ENV.featuresBucket]: LOCAL_NAMES.featuresBucket,
    [STORAGE_ENV.artifactsBucket]: LOCAL_NAMES.artifactsBucket,
    [STORAGE_ENV.featureTable]: LOCAL_NAMES.featureTable,
    [STORAGE_ENV.registryTable]: LOCAL_NAMES.registryTable,
    [STORAGE_ENV.s3Endpoint]: s3.url,
    [STORAGE_ENV.dynamodbEndpoint]: dynamo.url,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
  return { env, endpoints: { s3: s3.url, dynamodb: dynamo.url }, stop };
}

import { createServer } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { DynamoModelRegistry } from "../../lambdas/io/dynamo-model-registry.ts";
import {
  ArtifactNotFoundError,
  StorageAccessDeniedError,
  StorageUnavailableError,
  toStorageError,
} from "../../lambdas/io/errors.ts";
import { S3ArtifactStore } from "../../lambdas/io/s3-artifact-store.ts";
import { TransientError } from "../../pipeline/errors.ts";
import { sampleRecord } from "../support/model-registry-cases.ts";

function sdkError(name: string, status?: number, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(`${name} happened`), {
    name,
    ...(status ? { $metadata: { httpStatusCode: status } } : {}),
    ...extra,
  });
}

const context = { operation: "S3 GetObject", uri: "s3://b/k.json", resource: "s3://b/k.json" };

describe("toStorageError", () => {
  it.each([
    ["ThrottlingException", 400],
    ["ProvisionedThroughputExceededException", 400],
    ["SlowDown", 503],
    ["InternalServerError", 500],
    ["SomethingNew", 502],
    ["TooManyRequestsException", 429],
  ])("%s (HTTP %i) becomes StorageUnavailableError with the cause", (name, status) => {
    const original = sdkError(name, status);
    const mapped = toStorageError(original, context);
    expect(mapped).toBeInstanceOf(StorageUnavailableError);
    expect(mapped).toBeInstanceOf(TransientError);
    expect((mapped as Error).name).toBe("StorageUnavailableError");
    expect((mapped as Error).cause).toBe(original);
    expect((mapped as Error).message).toContain(name);
  });

  it.each(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EAI_AGAIN"])(
    "a network failure %s becomes StorageUnavailableError",
    (code) => {
      const original = Object.assign(new Error(`connect ${code}`), { code });
      expect(toStorageError(original, context)).toBeInstanceOf(StorageUnavailableError);
    },
  );

  it.each([
    ["NoSuchKey", 404],
    ["NotFound", 404],
    ["NoSuchBucket", 404],
  ])("%s becomes ArtifactNotFoundError naming the URI", (name, status) => {
    const original = sdkError(name, status);
    const mapped = toStorageError(original, context);
    expect(mapped).toBeInstanceOf(ArtifactNotFoundError);
    expect((mapped as Error).message).toContain("s3://b/k.json");
    expect((mapped as Error).cause).toBe(original);
  });

  it.each([
    ["AccessDenied", 403],
    ["AccessDeniedException", 400],
    ["Forbidden", 403],
  ])(
    "%s (HTTP %i) becomes StorageAccessDeniedError, not transient, naming the call",
    (name, status) => {
      const original = sdkError(name, status);
      const mapped = toStorageError(original, context);
      expect(mapped).toBeInstanceOf(StorageAccessDeniedError);
      expect(mapped).not.toBeInstanceOf(TransientError);
      expect((mapped as Error).name).toBe("StorageAccessDeniedError");
      expect((mapped as Error).message).toContain("S3 GetObject on s3://b/k.json was denied");
      expect((mapped as Error).message).toContain(`${name} happened`);
      expect((mapped as Error).cause).toBe(original);
    },
  );

  it.each([
    ["ValidationException", 400],
    ["ConditionalCheckFailedException", 400],
  ])("%s (HTTP %i) passes through unchanged", (name, status) => {
    const original = sdkError(name, status);
    expect(toStorageError(original, context)).toBe(original);
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe("adapters against an unreachable endpoint", () => {
  const local = {
    region: "us-east-1",
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    maxAttempts: 2,
  };

  it("S3ArtifactStore.get fails with StorageUnavailableError", async () => {
    const client = new S3Client({
      ...local,
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      forcePathStyle: true,
    });
    const store = new S3ArtifactStore({
      client,
      buckets: { raw: "r", features: "f", artifacts: "a" },
    });
    const err = await store.get("s3://r/k.csv").catch((e: unknown) => e);
    client.destroy();
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as Error).cause).toBeDefined();
  });

  it("DynamoModelRegistry.registerVersion fails with StorageUnavailableError", async () => {
    const client = new DynamoDBClient({
      ...local,
      endpoint: `http://127.0.0.1:${await closedPort()}`,
    });
    const registry = new DynamoModelRegistry({
      documents: DynamoDBDocumentClient.from(client),
      tableName: "registry",
    });
    const err = await registry.registerVersion("p", sampleRecord(0.5)).catch((e: unknown) => e);
    client.destroy();
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as Error).message).toContain("registry");
  });
});

import { HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStorageClients } from "../../lambdas/io/clients.ts";
import { S3ArtifactStore } from "../../lambdas/io/s3-artifact-store.ts";
import { ArtifactError, ArtifactNotFoundError } from "../../pipeline/errors.ts";
import type { ArtifactStore } from "../../pipeline/store.ts";
import { MemoryArtifactStore } from "../../pipeline/store-memory.ts";
import { artifactStoreCases } from "../support/artifact-store-cases.ts";
import { patternBytes, startTestServices, type TestServices } from "../support/local-services.ts";

let services: TestServices;
beforeAll(async () => {
  services = await startTestServices();
});
afterAll(async () => {
  await services?.close();
});

const memory = new MemoryArtifactStore();
const implementations: [string, () => ArtifactStore][] = [
  ["in-memory", () => memory],
  ["S3 (s3rver)", () => services.stores.artifacts],
];

describe.each(implementations)("%s artifact store", (_name, store) => {
  it.each(artifactStoreCases)("$name", ({ run }) => run(store()));
});

/** An S3 store whose client records the name of every command it sends. */
function recordingStore(): { store: S3ArtifactStore; sent: string[]; client: S3Client } {
  const { s3: client } = createStorageClients(services.config);
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push(context.commandName ?? "?");
      return next(args);
    },
    { step: "initialize", name: "recordCommands" },
  );
  return { store: new S3ArtifactStore({ client, buckets: services.config.buckets }), sent, client };
}

describe("S3ArtifactStore against s3rver", () => {
  it("does not write again when the content key already exists (HeadObject only)", async () => {
    const { store, sent, client } = recordingStore();
    const bytes = patternBytes(1000, 7);
    await store.putContent("raw", "head-only", bytes, "bin");
    sent.length = 0;
    const again = await store.putContent("raw", "head-only", bytes, "bin");
    expect(again.created).toBe(false);
    expect(sent).toEqual(["HeadObjectCommand"]);
    client.destroy();
  });

  it("uploads a body above the part size as a multipart upload", async () => {
    const { store, sent, client } = recordingStore();
    await store.putContent("raw", "multipart", patternBytes(11 * 1024 * 1024, 3), "bin");
    expect(sent.filter((n) => n === "UploadPartCommand").length).toBe(3);
    expect(sent).toContain("CreateMultipartUploadCommand");
    expect(sent).toContain("CompleteMultipartUploadCommand");
    expect(sent).not.toContain("PutObjectCommand");
    client.destroy();
  });

  it("refuses bytes that no longer hash to their content key with ArtifactError", async () => {
    const store = services.stores.artifacts;
    const out = await store.putContent("raw", "corrupt", patternBytes(64, 9), "bin");
    const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(out.uri) ?? [];
    await services.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: patternBytes(64, 10) }),
    );
    const err = await store.get(out.uri).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect((err as Error).message).toContain(out.uri);
  });

  it("reports a URI in a bucket that does not exist as ArtifactNotFoundError", async () => {
    const uri = "s3://no-such-bucket/some/key.json";
    const err = await services.stores.artifacts.get(uri).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactNotFoundError);
    expect((err as Error).message).toContain(uri);
  });

  it("stores the content type from the extension and the SHA-256 as metadata", async () => {
    const out = await services.stores.artifacts.putContent(
      "features",
      "meta",
      new TextEncoder().encode("{}"),
      "json",
    );
    const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(out.uri) ?? [];
    const head = await services.clients.s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key }),
    );
    expect(head.ContentType).toBe("application/json");
    expect(head.Metadata?.sha256).toBe(out.sha256);
  });
});

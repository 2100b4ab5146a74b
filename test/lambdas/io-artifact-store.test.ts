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

  it("creates content keys only if absent: If-None-Match * on the PUT and the multipart completion", async () => {
    const { client } = recordingStore();
    const conditions: [string, unknown][] = [];
    client.middlewareStack.add(
      (next, context) => (args) => {
        // The header as sent (CreateMultipartUpload and UploadPart have none to send).
        const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
        conditions.push([context.commandName ?? "?", headers["if-none-match"]]);
        return next(args);
      },
      { step: "build", name: "recordConditions" },
    );
    const store = new S3ArtifactStore({ client, buckets: services.config.buckets });
    await store.putContent("raw", "create-only", patternBytes(100, 21), "bin");
    await store.putContent("raw", "create-only", patternBytes(6 * 1024 * 1024, 22), "bin");
    expect(conditions.filter(([, c]) => c !== undefined)).toEqual([
      ["PutObjectCommand", "*"],
      ["CompleteMultipartUploadCommand", "*"],
    ]);
    // A keyed write (a cache entry, the traffic record) replaces what is there: no condition.
    conditions.length = 0;
    await store.put("artifacts", "create-only/entry.json", new TextEncoder().encode("{}"));
    expect(conditions).toEqual([["PutObjectCommand", undefined]]);
    client.destroy();
  });

  it.each([
    [412, "PreconditionFailed"],
    [409, "ConditionalRequestConflict"],
  ])(
    "reads a %i %s answer to a content write as a writer that got there first",
    async (status, code) => {
      const { store, client } = recordingStore();
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName !== "PutObjectCommand") return next(args);
          const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>`;
          return {
            response: {
              statusCode: status,
              headers: { "content-type": "application/xml" },
              body: new TextEncoder().encode(body),
            },
            output: undefined,
          } as never;
        },
        { step: "deserialize", name: "answerPreconditionFailed", priority: "low" },
      );
      const out = await store.putContent("raw", `race-${status}`, patternBytes(100, status), "bin");
      expect(out.created).toBe(false);
      client.destroy();
    },
  );
});

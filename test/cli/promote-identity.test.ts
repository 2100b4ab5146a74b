import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { resolveActor } from "../../cli/cloud/actor.ts";
import { CloudAccessDeniedError, CloudCredentialsError } from "../../cli/cloud/errors.ts";
import { guardStores } from "../../cli/cloud/stack-stores.ts";
import type { ArtifactStore, ModelRegistry } from "../../pipeline/store.ts";
import { MemoryArtifactStore, MemoryModelRegistry } from "../../pipeline/store-memory.ts";

const sts = mockClient(STSClient);
const denied = () =>
  Object.assign(new Error("User is not authorized"), {
    name: "AccessDenied",
    $metadata: { httpStatusCode: 403 },
  });

beforeEach(() => sts.reset());

describe("resolveActor", () => {
  it("records the caller's ARN from STS for a cloud target", async () => {
    const arn = "arn:aws:sts::123456789012:assumed-role/platform-admin/alice";
    sts.on(GetCallerIdentityCommand).resolves({ Arn: arn, UserId: "AROA:alice" });
    expect(await resolveActor({ kind: "cloud", region: "eu-west-1" })).toBe(arn);
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
  });

  it("--actor wins and asks STS nothing", async () => {
    expect(await resolveActor({ kind: "cloud", actor: " release-bot " })).toBe("release-bot");
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
  });

  it("without credentials says how to configure them", async () => {
    sts.on(GetCallerIdentityCommand).rejects(
      Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      }),
    );
    await expect(resolveActor({ kind: "cloud", region: "eu-west-1" })).rejects.toThrow(
      CloudCredentialsError,
    );
  });
});

describe("guardStores", () => {
  const config = {
    buckets: { raw: "r", features: "f", artifacts: "prod-artifacts" },
    featureTable: "ft",
    registryTable: "prod-registry",
  };
  const memory = new MemoryArtifactStore();
  const registry = new MemoryModelRegistry();
  const failingArtifacts: ArtifactStore = {
    uriFor: (area, key) => memory.uriFor(area, key),
    exists: (uri) => memory.exists(uri),
    putContent: (...args) => memory.putContent(...args),
    get: async () => Promise.reject(denied()),
    put: async () => Promise.reject(denied()),
  };
  const failingRegistry: ModelRegistry = {
    registerVersion: (p, r) => registry.registerVersion(p, r),
    getVersion: (p, v) => registry.getVersion(p, v),
    listVersions: (p) => registry.listVersions(p),
    getChampion: (p) => registry.getChampion(p),
    promote: async () => Promise.reject(denied()),
    recordCanary: (p, v, r) => registry.recordCanary(p, v, r),
  };
  const guarded = guardStores({ artifacts: failingArtifacts, registry: failingRegistry }, config);

  it.each([
    [
      "reading an artifact",
      () => guarded.artifacts.get("s3://staging-artifacts/p/models/x.bin"),
      "s3:GetObject on s3://staging-artifacts/p/models/x.bin",
    ],
    [
      "writing an artifact",
      () => guarded.artifacts.put("artifacts", "p/x.json", new Uint8Array()),
      "s3:PutObject on ",
    ],
    [
      "moving the champion",
      () => guarded.registry.promote("p", "v1", { expectedChampion: null }),
      "dynamodb:UpdateItem on DynamoDB table prod-registry",
    ],
  ])("AccessDenied %s names the action and resource", async (_, call, message) => {
    const failure = await call().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CloudAccessDeniedError);
    expect((failure as Error).message).toContain(message);
  });
});

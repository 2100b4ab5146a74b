import { describe, expect, it } from "vitest";
import { readStorageConfig, STORAGE_ENV } from "../../lambdas/io/env.ts";
import { ConfigError } from "../../lambdas/io/errors.ts";

const COMPLETE = {
  ORCHARD_RAW_BUCKET: "raw-b",
  ORCHARD_FEATURES_BUCKET: "features-b",
  ORCHARD_ARTIFACTS_BUCKET: "artifacts-b",
  ORCHARD_FEATURE_TABLE: "features-t",
  ORCHARD_REGISTRY_TABLE: "registry-t",
};

describe("readStorageConfig", () => {
  it("reads buckets and tables, with no endpoint overrides on AWS", () => {
    expect(readStorageConfig({ ...COMPLETE, AWS_REGION: "eu-west-1" })).toEqual({
      buckets: { raw: "raw-b", features: "features-b", artifacts: "artifacts-b" },
      featureTable: "features-t",
      registryTable: "registry-t",
      region: "eu-west-1",
    });
  });

  it("reads the local endpoint overrides when set", () => {
    const config = readStorageConfig({
      ...COMPLETE,
      ORCHARD_S3_ENDPOINT: "http://127.0.0.1:4569",
      ORCHARD_DYNAMODB_ENDPOINT: "http://127.0.0.1:4570",
    });
    expect([config.s3Endpoint, config.dynamodbEndpoint]).toEqual([
      "http://127.0.0.1:4569",
      "http://127.0.0.1:4570",
    ]);
  });

  it.each(Object.keys(COMPLETE))("a missing %s is a ConfigError naming it", (name) => {
    const env: Record<string, string | undefined> = { ...COMPLETE, [name]: undefined };
    expect(() => readStorageConfig(env)).toThrow(ConfigError);
    expect(() => readStorageConfig(env)).toThrow(name);
  });

  it.each(Object.keys(COMPLETE))("a blank %s counts as missing", (name) => {
    expect(() => readStorageConfig({ ...COMPLETE, [name]: "  " })).toThrow(name);
  });

  it.each([STORAGE_ENV.s3Endpoint, STORAGE_ENV.dynamodbEndpoint])(
    "an endpoint %s that is not a URL is a ConfigError naming it",
    (name) => {
      const env = { ...COMPLETE, [name]: "localhost 4569" };
      expect(() => readStorageConfig(env)).toThrow(ConfigError);
      expect(() => readStorageConfig(env)).toThrow(name);
    },
  );
});

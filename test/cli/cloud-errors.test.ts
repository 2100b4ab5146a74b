import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  CloudAccessDeniedError,
  CloudCredentialsError,
  CloudRegionError,
  CloudRequestError,
  toCloudError,
} from "../../cli/cloud/errors.ts";
import { describeExecution, destroySfnClients } from "../../cli/cloud/sfn.ts";

const EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:orchard-penguins-sm:run-1";
const CONTEXT = { action: "states:DescribeExecution", resource: EXECUTION };

describe("the real SDK credential chain with nothing configured", () => {
  beforeEach(() => {
    for (const name of [
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
      "AWS_WEB_IDENTITY_TOKEN_FILE",
      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
      "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ]) {
      vi.stubEnv(name, undefined);
    }
    vi.stubEnv("AWS_PROFILE", undefined);
    vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/orchard/config");
    vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/orchard/credentials");
    vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
  });
  afterEach(() => {
    destroySfnClients();
    vi.unstubAllEnvs();
  });

  it("becomes a CloudCredentialsError that says how to configure credentials", async () => {
    const failure = await describeExecution(EXECUTION).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CloudCredentialsError);
    expect((failure as Error).message).toContain("aws configure");
    expect((failure as Error).message).toContain("aws sso login --profile NAME");
  });
});

describe("toCloudError", () => {
  const named = (name: string, message = "m", status?: number) =>
    Object.assign(new Error(message), {
      name,
      ...(status ? { $metadata: { httpStatusCode: status } } : {}),
    });

  it.each([
    ["CredentialsProviderError", CloudCredentialsError],
    ["InvalidSignatureException", CloudCredentialsError],
    ["UnrecognizedClientException", CloudCredentialsError],
    ["AccessDeniedException", CloudAccessDeniedError],
    ["AccessDenied", CloudAccessDeniedError],
    ["ThrottlingException", CloudRequestError],
  ])("%s becomes %o", (name, type) => {
    expect(toCloudError(named(name), CONTEXT)).toBeInstanceOf(type);
  });

  it("a 403 of any name is access denied, naming action and resource", () => {
    const err = toCloudError(named("Forbidden", "no", 403), CONTEXT) as Error;
    expect(err).toBeInstanceOf(CloudAccessDeniedError);
    expect(err.message).toContain(`states:DescribeExecution on ${EXECUTION}`);
  });

  it("a missing region says to set AWS_REGION", () => {
    const err = toCloudError(new Error("Region is missing"), CONTEXT) as Error;
    expect(err).toBeInstanceOf(CloudRegionError);
    expect(err.message).toContain("AWS_REGION");
  });

  it("keeps the SDK error as the cause", () => {
    const original = named("AccessDeniedException");
    expect((toCloudError(original, CONTEXT) as Error).cause).toBe(original);
  });
});

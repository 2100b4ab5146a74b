/**
 * The human roles' trust, simulated: people assume them with MFA, whether as IAM users (whose
 * sessions carry aws:MultiFactorAuthPresent) or through IAM Identity Center (whose federated
 * sessions never carry it: MFA is checked at Identity Center sign-in). Before, the MFA
 * condition alone locked every Identity Center user out.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { describe, expect, it } from "vitest";
import { humanTrustPolicy } from "../../infra/access/trust.ts";

const ACCOUNT = "123456789012";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/orchard-platform-admin-1a2b3c`;
const TRUST = humanTrustPolicy([`arn:aws:iam::${ACCOUNT}:root`]);

async function assume(principal: string, context: Record<string, string> = {}) {
  const result = await runSimulation(
    {
      request: {
        principal,
        action: "sts:AssumeRole",
        resource: { resource: ROLE, accountId: ACCOUNT },
        // AWS puts the caller's role or user ARN into every request as aws:PrincipalArn.
        contextVariables: { "aws:PrincipalArn": principal, ...context },
      },
      // A trust naming the account root also needs the caller's own sts:AssumeRole grant.
      identityPolicies: [
        {
          name: "may-assume",
          policy: {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: ROLE }],
          },
        },
      ],
      resourcePolicy: TRUST,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}

const SSO_ROLE = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_MLPlatform_0a1b2c3d4e5f`;

describe("the human roles' trust", () => {
  it("admits an IAM Identity Center session (no aws:MultiFactorAuthPresent key)", async () => {
    expect(await assume(`${SSO_ROLE}`)).toBe("Allowed");
  });

  it("admits an IAM user with MFA", async () => {
    expect(
      await assume(`arn:aws:iam::${ACCOUNT}:user/alice`, { "aws:MultiFactorAuthPresent": "true" }),
    ).toBe("Allowed");
  });

  it.each([
    [
      "an IAM user without MFA",
      `arn:aws:iam::${ACCOUNT}:user/alice`,
      { "aws:MultiFactorAuthPresent": "false" },
    ],
    ["a role session without MFA", `arn:aws:iam::${ACCOUNT}:role/ci-deployer`, {}],
    [
      "a role whose name only looks like Identity Center's",
      `arn:aws:iam::${ACCOUNT}:role/AWSReservedSSO_MLPlatform_0a1b`,
      {},
    ],
    ["another account's Identity Center session", SSO_ROLE.replace(ACCOUNT, "210987654321"), {}],
  ])("refuses %s", async (_, principal, context) => {
    expect(await assume(principal, context as Record<string, string>)).not.toBe("Allowed");
  });
});

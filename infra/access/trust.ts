/**
 * Trust policies: which service (or which people) may assume a role. A role's permissions
 * are in `policies.ts`; these only say who can wear it.
 */
import { AccessPolicyError } from "./errors.ts";
import type { TrustPolicyDocument } from "./types.ts";

function serviceTrust(sid: string, service: string): TrustPolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: sid, Effect: "Allow", Principal: { Service: service }, Action: ["sts:AssumeRole"] },
    ],
  };
}

/** Step roles run as Lambda functions. */
export const LAMBDA_TRUST_POLICY: TrustPolicyDocument = serviceTrust(
  "LambdaAssumesStepRole",
  "lambda.amazonaws.com",
);

/** Step roles of `compute: container` steps run as Fargate tasks. */
export const ECS_TASKS_TRUST_POLICY: TrustPolicyDocument = serviceTrust(
  "FargateAssumesStepRole",
  "ecs-tasks.amazonaws.com",
);

/** The state machine's execution role. */
export const STATES_TRUST_POLICY: TrustPolicyDocument = serviceTrust(
  "StepFunctionsAssumesRole",
  "states.amazonaws.com",
);

/** The EventBridge Scheduler schedule's role (it starts the state machine). */
export const SCHEDULER_TRUST_POLICY: TrustPolicyDocument = serviceTrust(
  "SchedulerAssumesRole",
  "scheduler.amazonaws.com",
);

/**
 * Human roles are assumed by the given principals (typically the account root, which
 * delegates to IAM Identity Center or IAM users), and only with MFA.
 */
export function humanTrustPolicy(principalArns: string[]): TrustPolicyDocument {
  if (principalArns.length === 0) {
    throw new AccessPolicyError(
      "humanTrustPolicy needs at least one principal ARN (e.g. arn:aws:iam::123456789012:root)",
    );
  }
  for (const [i, arn] of principalArns.entries()) {
    if (!/^arn:aws[a-z-]*:iam::\d{12}:(root|user\/.+|role\/.+)$/.test(arn)) {
      throw new AccessPolicyError(
        `principalArns[${i}] is "${arn}", not an account root, user or role ARN (e.g. arn:aws:iam::123456789012:root)`,
        { path: `principalArns[${i}]` },
      );
    }
  }
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "PeopleAssumeWithMfa",
        Effect: "Allow",
        Principal: { AWS: principalArns },
        Action: ["sts:AssumeRole"],
        Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } },
      },
    ],
  };
}

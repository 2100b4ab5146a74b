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

/**
 * Confused-deputy guard for roles a service assumes on behalf of one of this account's
 * resources: the service may assume the role only for a resource of `account` matching
 * `sourceArn` (IAM User Guide, "The confused deputy problem": `aws:SourceAccount` and
 * `aws:SourceArn` in the trust policy).
 */
function serviceTrustFor(
  sid: string,
  service: string,
  account: string,
  sourceArn: string,
): TrustPolicyDocument {
  if (!/^\d{12}$/.test(account)) {
    throw new AccessPolicyError(`account is "${account}", not a 12-digit AWS account ID`, {
      path: "account",
    });
  }
  const doc = serviceTrust(sid, service);
  doc.Statement[0].Condition = {
    StringEquals: { "aws:SourceAccount": account },
    ArnLike: { "aws:SourceArn": sourceArn },
  };
  return doc;
}

/**
 * The state machine's execution role: Step Functions, for a state machine of this account and
 * region (Step Functions User Guide, "Cross-service confused deputy prevention", whose example
 * names `arn:aws:states:<region>:<account>:stateMachine:*`). The role exists before the state
 * machine (its ARN needs the role), hence the pattern rather than the one ARN.
 */
export function statesTrustPolicy(account: string, region: string): TrustPolicyDocument {
  return serviceTrustFor(
    "StepFunctionsAssumesRole",
    "states.amazonaws.com",
    account,
    `arn:aws:states:${region}:${account}:stateMachine:*`,
  );
}

/**
 * The EventBridge Scheduler schedule's role (it starts the state machine): Scheduler, for the
 * schedules of this account's schedule group (the EventBridge Scheduler User Guide's execution
 * role example conditions on `aws:SourceAccount` and the schedule group's ARN; Orchard's
 * schedules are in the `default` group).
 */
export function schedulerTrustPolicy(
  account: string,
  region: string,
  scheduleGroup = "default",
): TrustPolicyDocument {
  return serviceTrustFor(
    "SchedulerAssumesRole",
    "scheduler.amazonaws.com",
    account,
    `arn:aws:scheduler:${region}:${account}:schedule-group/${scheduleGroup}`,
  );
}

/**
 * The role an EventBridge rule's target uses (the Monitor's retrain trigger starts the
 * pipeline's state machine): EventBridge, for a rule of this account and region (EventBridge
 * User Guide, "Cross-service confused deputy prevention"). The rule is auto-named and needs the
 * role first, hence the pattern rather than the one ARN.
 */
export function eventsTrustPolicy(account: string, region: string): TrustPolicyDocument {
  return serviceTrustFor(
    "EventBridgeAssumesRole",
    "events.amazonaws.com",
    account,
    `arn:aws:events:${region}:${account}:rule/*`,
  );
}

/**
 * The roles IAM Identity Center creates in an account for its permission sets
 * (`AWSReservedSSO_<set>_<id>`, under this path; some carry a region after it).
 */
export const IDENTITY_CENTER_ROLE_PATH = "aws-reserved/sso.amazonaws.com/";

/**
 * Human roles are assumed by the given principals (typically the account root, which
 * delegates to IAM Identity Center or IAM users), with MFA.
 *
 * Two ways in, because MFA shows differently (IAM User Guide, global condition keys,
 * `aws:MultiFactorAuthPresent`: STS sets it for sessions authenticated with MFA by IAM, i.e.
 * IAM users who signed in with MFA or called GetSessionToken/AssumeRole with a token code; it
 * is absent from sessions federated through SAML, and IAM Identity Center signs people into
 * accounts as federated sessions of its `AWSReservedSSO_*` roles, MFA having been checked by
 * Identity Center itself):
 *
 * - `PeopleAssumeWithMfa`: any principal of the account whose session carries
 *   `aws:MultiFactorAuthPresent: true` (IAM users with MFA);
 * - `IdentityCenterAssumes`: the account's Identity Center permission-set roles
 *   (`aws:PrincipalArn` under `role/aws-reserved/sso.amazonaws.com/`), with no MFA key,
 *   which they never carry: with only the first statement, no Identity Center user could
 *   assume the role at all. Require MFA in Identity Center (its default for new instances is
 *   "every time they sign in"); which permission sets may assume the role is decided by their
 *   sts:AssumeRole grants, since a trust naming the account root needs an identity policy too.
 *
 * The `aws-reserved/` path is where AWS puts the roles it creates for Identity Center; the
 * second statement admits sessions of those roles only, and only of this account.
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
  const roots = principalArns.filter((arn) => arn.endsWith(":root"));
  const statements: TrustPolicyDocument["Statement"] = [
    {
      Sid: "PeopleAssumeWithMfa",
      Effect: "Allow",
      Principal: { AWS: principalArns },
      Action: ["sts:AssumeRole"],
      Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } },
    },
  ];
  if (roots.length > 0) {
    statements.push({
      Sid: "IdentityCenterAssumes",
      Effect: "Allow",
      Principal: { AWS: roots },
      Action: ["sts:AssumeRole"],
      Condition: {
        ArnLike: {
          "aws:PrincipalArn": roots.map((root) =>
            root.replace(/:root$/, `:role/${IDENTITY_CENTER_ROLE_PATH}*`),
          ),
        },
      },
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

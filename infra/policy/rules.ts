/**
 * Orchard's policy rules, as plain objects with the shape of @pulumi/policy's
 * `ResourceValidationPolicy` / `StackValidationPolicy`: the CrossGuard pack (`index.ts`) uses
 * them as they are, and tests run them over synthetic resources and over the resources the
 * Pulumi mocks capture from the real program.
 *
 * Resource rules judge one resource by its type token and input properties. Since @pulumi/aws
 * v7 keeps a bucket's encryption, public access block and policy in separate resources, the
 * "every bucket has X" rules are stack rules (`stack-rules.ts`), re-exported here.
 *
 * AWS's documented limits (metrics per alarm, policy sizes, names, …) are in `limits.ts`,
 * each with its source; they are part of `resourceRules` and `stackRules`.
 *
 * How a rule learns the stack: from the resource's `stack` tag (every taggable resource
 * carries `{ project, stack, component }`, see infra/tags.ts). Stacks named `prod` or
 * `production` are production.
 */
import { WILDCARD_ONLY_ACTIONS } from "../access/wildcards.ts";
import {
  isProductionStack,
  kmsEncryptionProblem,
  label,
  nonEmpty,
  record,
  sseS3Only,
  stackOf,
} from "./checks.ts";
import { isPublicPrincipal, isTlsDeny, type Statement, statementsOf } from "./documents.ts";
import { limitResourceRules } from "./limits.ts";
import {
  BUCKET,
  BUCKET_ACL,
  BUCKET_ENCRYPTION,
  BUCKET_OWNERSHIP,
  BUCKET_POLICY,
  BUCKET_PUBLIC_ACCESS_BLOCK,
  FUNCTION_URL,
  isType,
  KMS_KEY,
  LAMBDA_PERMISSION,
  LOG_GROUP,
  MANAGED_POLICY,
  POLICY_ATTACHMENT,
  ROLE,
  ROLE_POLICY,
  TABLE,
  TAGGABLE,
  TOPIC,
  TOPIC_POLICY,
  USER_OR_GROUP_POLICY,
} from "./resource-types.ts";
import { stackRules } from "./stack-rules.ts";
import type { ReportViolation, ResourceRule, Rule, RuleResource } from "./types.ts";

export { isProductionStack, kmsEncryptionProblem, stackOf } from "./checks.ts";
export { stackRules } from "./stack-rules.ts";
export type { ReportViolation, ResourceRule, Rule, RuleResource, StackRule } from "./types.ts";

const REQUIRED_TAGS = ["project", "stack", "component"];
/** The values CloudWatch Logs accepts for retentionInDays (0 / absent: never expire). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];
/** Services whose actions reach data or run code: never granted with wildcards. */
const DATA_SERVICES = [
  "s3",
  "s3-object-lambda",
  "dynamodb",
  "kms",
  "sns",
  "sqs",
  "secretsmanager",
  "ssm",
  "lambda",
  "states",
];
/** AWS managed policies that grant data-wide or account-wide access. */
const BROAD_MANAGED_POLICIES =
  /:policy\/(AdministratorAccess|PowerUserAccess|IAMFullAccess|AmazonS3FullAccess|AmazonDynamoDBFullAccess|AWSKeyManagementServicePowerUser|AmazonSNSFullAccess|AWSLambda_FullAccess|AWSStepFunctionsFullAccess)$/;
const PUBLIC_ACLS = ["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_GRANTEES = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;

export const encryptionAtRest: ResourceRule = {
  name: "encryption-at-rest",
  description:
    "Bucket encryption configurations, DynamoDB tables and SNS topics encrypt with a customer-managed KMS key.",
  enforcementLevel: "mandatory",
  validateResource(r, report) {
    if (isType(r, BUCKET_ENCRYPTION)) {
      // SSE-S3 alone is right for a server access log target and wrong for any other bucket:
      // only the stack rule bucket-encryption-configured knows which bucket this is.
      const problem = kmsEncryptionProblem(r.props.rules);
      if (problem && !sseS3Only(r.props.rules)) report(`${label(r)} ${problem}.`);
    } else if (isType(r, BUCKET) && r.props.serverSideEncryptionConfiguration !== undefined) {
      const inline = record(r.props.serverSideEncryptionConfiguration);
      const problem = kmsEncryptionProblem(inline.rule ?? inline.rules);
      if (problem) report(`${label(r)} ${problem}.`);
    } else if (isType(r, TABLE)) {
      const sse = record(r.props.serverSideEncryption);
      if (sse.enabled !== true || !nonEmpty(sse.kmsKeyArn)) {
        report(
          `${label(r)} is not encrypted with a customer-managed key; set serverSideEncryption { enabled: true, kmsKeyArn: <data-lake key arn> }.`,
        );
      }
    } else if (isType(r, TOPIC) && !nonEmpty(r.props.kmsMasterKeyId)) {
      report(`${label(r)} is not encrypted; set kmsMasterKeyId to the data-lake key.`);
    }
  },
};

export const logGroupEncryption: ResourceRule = {
  name: "log-group-encryption",
  description:
    "Log groups encrypt with a customer-managed KMS key (advisory: CloudWatch encrypts them anyway).",
  enforcementLevel: "advisory",
  validateResource(r, report) {
    if (isType(r, LOG_GROUP) && !nonEmpty(r.props.kmsKeyId)) {
      report(
        `${label(r)} has no kmsKeyId; logs may carry execution data, consider the data-lake key.`,
      );
    }
  },
};

function reportPublicAllows(r: RuleResource, document: unknown, report: ReportViolation) {
  for (const s of statementsOf(document) ?? []) {
    if (s.effect === "Allow" && isPublicPrincipal(s)) {
      report(
        `${label(r)} statement ${s.sid} allows everyone (Principal "*"); name the principals.`,
      );
    }
  }
}

export const noPublicAccess: ResourceRule = {
  name: "no-public-access",
  description:
    'Public access blocks set all four flags, ACLs are disabled and never public, no resource policy allows Principal "*", function URLs require IAM auth.',
  enforcementLevel: "mandatory",
  validateResource(r, report) {
    if (isType(r, BUCKET_PUBLIC_ACCESS_BLOCK)) {
      const off = [
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
      ].filter((flag) => r.props[flag] !== true);
      if (off.length > 0) report(`${label(r)} does not set ${off.join(", ")} to true.`);
    } else if (isType(r, BUCKET_OWNERSHIP)) {
      const rule = record(r.props.rule);
      if (rule.objectOwnership !== "BucketOwnerEnforced") {
        report(
          `${label(r)} leaves ACLs enabled; set rule.objectOwnership to "BucketOwnerEnforced".`,
        );
      }
    } else if (isType(r, BUCKET_ACL)) {
      const grants = record(r.props.accessControlPolicy).grants;
      const publicGrant = (Array.isArray(grants) ? grants : []).some((g) =>
        PUBLIC_GRANTEES.test(String(record(record(g).grantee).uri ?? "")),
      );
      if (PUBLIC_ACLS.includes(String(r.props.acl)) || publicGrant) {
        report(`${label(r)} grants access to all (authenticated) AWS users; remove the ACL.`);
      }
    } else if (isType(r, BUCKET)) {
      if (PUBLIC_ACLS.includes(String(r.props.acl))) {
        report(`${label(r)} has the public canned ACL "${String(r.props.acl)}"; remove it.`);
      }
      reportPublicAllows(r, r.props.policy, report);
    } else if (isType(r, [...BUCKET_POLICY, ...TOPIC_POLICY])) {
      reportPublicAllows(r, r.props.policy, report);
    } else if (isType(r, KMS_KEY)) {
      reportPublicAllows(r, r.props.policy, report);
    } else if (isType(r, FUNCTION_URL) && r.props.authorizationType !== "AWS_IAM") {
      report(
        `${label(r)} is public (authorizationType ${String(r.props.authorizationType)}); use "AWS_IAM".`,
      );
    } else if (isType(r, LAMBDA_PERMISSION) && r.props.principal === "*") {
      report(`${label(r)} lets anyone invoke the function; name the principal.`);
    }
  },
};

export const tlsOnlyBucketPolicies: ResourceRule = {
  name: "tls-only-bucket-policies",
  description: "Every bucket policy denies requests made without TLS (aws:SecureTransport false).",
  enforcementLevel: "mandatory",
  validateResource(r, report) {
    if (!isType(r, BUCKET_POLICY)) return;
    const statements = statementsOf(r.props.policy);
    if (statements === undefined) return; // not known yet (preview of a new bucket)
    if (!statements.some((s) => isTlsDeny(s))) {
      report(
        `${label(r)} has no statement denying s3:* to "*" when aws:SecureTransport is "false"; add it for the bucket and its objects.`,
      );
    }
  },
};

/** What is wrong with one identity-policy statement, if anything. */
export function wildcardProblems(s: Statement): string[] {
  if (s.effect !== "Allow") return [];
  const problems: string[] = [];
  if (s.notActions.length > 0) problems.push("uses NotAction (allows every other action)");
  if (s.notResources.length > 0) problems.push("uses NotResource (allows every other resource)");
  for (const action of s.actions) {
    const [service, name = ""] = action.split(":");
    if (action === "*" || name === "*")
      problems.push(
        `grants every action of ${action === "*" ? "every service" : service} (${action})`,
      );
    else if (/[*?]/.test(name) && DATA_SERVICES.includes(service)) {
      problems.push(`grants a wildcard of data actions (${action}); name the actions`);
    }
  }
  if (s.resources.includes("*")) {
    const data = s.actions.filter(
      (a) =>
        !(a in WILDCARD_ONLY_ACTIONS) && (a === "*" || DATA_SERVICES.includes(a.split(":")[0])),
    );
    if (data.length > 0) problems.push(`grants ${data.join(", ")} on Resource "*"; scope to ARNs`);
  }
  return problems;
}

function identityDocuments(r: RuleResource): unknown[] {
  if (isType(r, [...ROLE_POLICY, ...MANAGED_POLICY, ...USER_OR_GROUP_POLICY]))
    return [r.props.policy];
  if (isType(r, ROLE)) {
    const inline = r.props.inlinePolicies;
    return (Array.isArray(inline) ? inline : []).map((p) => record(p).policy);
  }
  return [];
}

export const noWildcardDataGrants: ResourceRule = {
  name: "no-wildcard-data-grants",
  description:
    'IAM policies name their actions and resources: no `*` / `service:*` actions, no wildcards of data actions, no Resource "*" except for the documented wildcard-only X-Ray and log-delivery actions, no NotAction/NotResource, no broad AWS managed policies.',
  enforcementLevel: "mandatory",
  validateResource(r, report) {
    for (const document of identityDocuments(r)) {
      for (const s of statementsOf(document) ?? []) {
        for (const problem of wildcardProblems(s))
          report(`${label(r)} statement ${s.sid} ${problem}.`);
      }
    }
    const attached = isType(r, POLICY_ATTACHMENT)
      ? [r.props.policyArn]
      : isType(r, ROLE) && Array.isArray(r.props.managedPolicyArns)
        ? r.props.managedPolicyArns
        : [];
    for (const arn of attached) {
      if (BROAD_MANAGED_POLICIES.test(String(arn))) {
        report(
          `${label(r)} attaches ${String(arn)}, which grants far more than any Orchard role needs.`,
        );
      }
    }
  },
};

export const requiredTags: ResourceRule = {
  name: "required-tags",
  description: "Taggable resources carry the tags project, stack and component.",
  enforcementLevel: "mandatory",
  validateResource(r, report) {
    if (!isType(r, TAGGABLE)) return;
    const tags = record(r.props.tags);
    const missing = REQUIRED_TAGS.filter((t) => !nonEmpty(tags[t]));
    if (missing.length > 0) {
      report(
        `${label(r)} lacks the tag(s) ${missing.join(", ")}; pass tags: componentTags(<component>).`,
      );
    }
  },
};

export const prodProtection: ResourceRule = {
  name: "prod-protection",
  description:
    "In a production stack (stack tag prod/production), buckets, tables and the KMS key are protected from deletion.",
  enforcementLevel: "mandatory",
  validateResource(r, report) {
    if (!isType(r, [...BUCKET, ...TABLE, ...KMS_KEY]) || !isProductionStack(stackOf(r))) return;
    if (r.opts?.protect !== true) {
      report(`${label(r)} is not protected in ${stackOf(r)}; create it with { protect: true }.`);
    }
    if (isType(r, BUCKET) && r.props.forceDestroy === true) {
      report(`${label(r)} has forceDestroy in ${stackOf(r)}; a destroy would delete its objects.`);
    }
    if (isType(r, TABLE) && r.props.deletionProtectionEnabled !== true) {
      report(
        `${label(r)} has no deletion protection in ${stackOf(r)}; set deletionProtectionEnabled: true.`,
      );
    }
  },
};

export const tablePointInTimeRecovery: ResourceRule = {
  name: "table-point-in-time-recovery",
  description:
    "DynamoDB tables keep point-in-time recovery (the registry and features cannot be rebuilt from S3 alone).",
  enforcementLevel: "mandatory",
  validateResource(r, report) {
    if (isType(r, TABLE) && record(r.props.pointInTimeRecovery).enabled !== true) {
      report(
        `${label(r)} has no point-in-time recovery; set pointInTimeRecovery { enabled: true }.`,
      );
    }
  },
};

export const logRetention: ResourceRule = {
  name: "log-retention",
  description:
    "Every log group expires its events (retentionInDays is one of CloudWatch's values).",
  enforcementLevel: "mandatory",
  validateResource(r, report) {
    if (!isType(r, LOG_GROUP)) return;
    const days = r.props.retentionInDays;
    if (typeof days !== "number" || !LOG_RETENTION_DAYS.includes(days)) {
      report(
        `${label(r)} has retentionInDays ${String(days)}; use one of ${LOG_RETENTION_DAYS.join(", ")} (absent keeps logs forever).`,
      );
    }
  },
};

export const resourceRules: ResourceRule[] = [
  encryptionAtRest,
  logGroupEncryption,
  noPublicAccess,
  tlsOnlyBucketPolicies,
  noWildcardDataGrants,
  requiredTags,
  prodProtection,
  tablePointInTimeRecovery,
  logRetention,
  // AWS's documented limits (limits.ts).
  ...limitResourceRules,
];

export const allRules: Rule[] = [...resourceRules, ...stackRules];

/**
 * Each policy rule against synthetic resources: a table of inputs it must pass and a table it
 * must flag. The resources are shaped like @pulumi/aws v7 inputs (what the mocks capture and
 * what CrossGuard hands a policy during preview).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { statementsOf } from "../../infra/policy/documents.ts";
import { TAGGABLE } from "../../infra/policy/resource-types.ts";
import {
  allRules,
  encryptionAtRest,
  logGroupEncryption,
  logRetention,
  noPublicAccess,
  noWildcardDataGrants,
  prodProtection,
  type ResourceRule,
  type RuleResource,
  requiredTags,
  resourceRules,
  stackRules,
  tablePointInTimeRecovery,
  tlsOnlyBucketPolicies,
} from "../../infra/policy/rules.ts";
import {
  bucketEncryptionConfigured,
  bucketOwnershipEnforced,
  bucketPublicAccessBlocked,
  bucketTlsOnly,
} from "../../infra/policy/stack-rules.ts";
import type { StackRule } from "../../infra/policy/types.ts";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const TAGS = { project: "orchard", stack: "staging", component: "data-lake" };
const PROD = { ...TAGS, stack: "prod" };

type Props = Record<string, unknown>;
const res = (type: string, props: Props, extra: Partial<RuleResource> = {}): RuleResource => ({
  type,
  name: "r",
  props,
  ...extra,
});

function violations(rule: ResourceRule, r: RuleResource): string[] {
  const out: string[] = [];
  rule.validateResource(r, (m) => out.push(m));
  return out;
}

function stackViolations(rule: StackRule, resources: RuleResource[]): string[] {
  const out: string[] = [];
  rule.validateStack({ resources }, (m) => out.push(m));
  return out;
}

const T = {
  bucket: "aws:s3/bucket:Bucket",
  bucketV2: "aws:s3/bucketV2:BucketV2",
  sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  policy: "aws:s3/bucketPolicy:BucketPolicy",
  acl: "aws:s3/bucketAcl:BucketAcl",
  ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  table: "aws:dynamodb/table:Table",
  topic: "aws:sns/topic:Topic",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  key: "aws:kms/key:Key",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  url: "aws:lambda/functionUrl:FunctionUrl",
  permission: "aws:lambda/permission:Permission",
  fn: "aws:lambda/function:Function",
  schedule: "aws:scheduler/schedule:Schedule",
};

const kmsRule = {
  applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY },
  bucketKeyEnabled: true,
};
const tlsDeny = (arn: string) => ({
  Sid: "DenyInsecureTransport",
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: [arn, `${arn}/*`],
  Condition: { Bool: { "aws:SecureTransport": "false" } },
});
const doc = (...Statement: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const allow = (Action: string | string[], Resource: string | string[], extra: Props = {}) => ({
  Effect: "Allow",
  Action,
  Resource,
  ...extra,
});

const cases: {
  rule: ResourceRule;
  pass: [string, RuleResource][];
  fail: [string, RuleResource][];
}[] = [
  {
    rule: encryptionAtRest,
    pass: [
      ["SSE configuration with aws:kms and the key", res(T.sse, { bucket: "b", rules: [kmsRule] })],
      [
        "table with SSE and a key",
        res(T.table, { serverSideEncryption: { enabled: true, kmsKeyArn: KEY } }),
      ],
      ["topic with a key", res(T.topic, { kmsMasterKeyId: KEY })],
      [
        "bucket without inline SSE (the configuration is a separate resource)",
        res(T.bucket, { tags: TAGS }),
      ],
      ["a resource the rule does not judge", res(T.schedule, {})],
      [
        // Right for an access-log target, wrong elsewhere: bucket-encryption-configured decides.
        "SSE configuration with AES256 alone",
        res(T.sse, { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }),
      ],
    ],
    fail: [
      [
        "SSE configuration with AES256 and aws:kms mixed",
        res(T.sse, {
          rules: [
            { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
            { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } },
          ],
        }),
      ],
      [
        "SSE configuration with aws:kms but no key",
        res(T.sse, {
          rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
        }),
      ],
      ["SSE configuration with no rules", res(T.sse, { rules: [] })],
      [
        "inline bucket SSE with AES256",
        res(T.bucketV2, {
          serverSideEncryptionConfiguration: {
            rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
          },
        }),
      ],
      ["table without SSE", res(T.table, {})],
      ["table with the AWS-owned key", res(T.table, { serverSideEncryption: { enabled: true } })],
      ["topic without a key", res(T.topic, {})],
    ],
  },
  {
    rule: logGroupEncryption,
    pass: [["log group with a key", res(T.logGroup, { kmsKeyId: KEY, retentionInDays: 14 })]],
    fail: [["log group without a key", res(T.logGroup, { retentionInDays: 14 })]],
  },
  {
    rule: noPublicAccess,
    pass: [
      [
        "all four blocks",
        res(T.pab, {
          bucket: "b",
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        }),
      ],
      ["ACLs disabled", res(T.ownership, { rule: { objectOwnership: "BucketOwnerEnforced" } })],
      ["private ACL", res(T.acl, { acl: "private" })],
      [
        "bucket policy: TLS deny to * and a service principal",
        res(T.policy, {
          policy: doc(tlsDeny("arn:aws:s3:::b"), {
            Effect: "Allow",
            Principal: { Service: "logging.s3.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: "arn:aws:s3:::b/*",
          }),
        }),
      ],
      [
        "key policy for the account root",
        res(T.key, {
          policy: doc({
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::123456789012:root" },
            Action: "kms:*",
            Resource: "*",
          }),
        }),
      ],
      ["function URL with IAM auth", res(T.url, { authorizationType: "AWS_IAM" })],
      ["permission for a service", res(T.permission, { principal: "states.amazonaws.com" })],
    ],
    fail: [
      [
        "a block left off",
        res(T.pab, {
          blockPublicAcls: true,
          blockPublicPolicy: false,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        }),
      ],
      [
        "a block missing",
        res(T.pab, { blockPublicAcls: true, ignorePublicAcls: true, restrictPublicBuckets: true }),
      ],
      ["ACLs left on", res(T.ownership, { rule: { objectOwnership: "ObjectWriter" } })],
      ["public-read ACL resource", res(T.acl, { acl: "public-read" })],
      [
        "ACL grant to AllUsers",
        res(T.acl, {
          accessControlPolicy: {
            grants: [
              {
                grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" },
                permission: "READ",
              },
            ],
          },
        }),
      ],
      ["public canned ACL on the bucket", res(T.bucket, { acl: "public-read-write" })],
      [
        "bucket policy allowing *",
        res(T.policy, {
          policy: doc(allow("s3:GetObject", "arn:aws:s3:::b/*", { Principal: "*" })),
        }),
      ],
      [
        "bucket policy allowing AWS *",
        res(T.policy, {
          policy: doc(allow("s3:GetObject", "arn:aws:s3:::b/*", { Principal: { AWS: "*" } })),
        }),
      ],
      ["function URL without auth", res(T.url, { authorizationType: "NONE" })],
      ["permission for everyone", res(T.permission, { principal: "*" })],
    ],
  },
  {
    rule: tlsOnlyBucketPolicies,
    pass: [["policy with the TLS deny", res(T.policy, { policy: doc(tlsDeny("arn:aws:s3:::b")) })]],
    fail: [
      [
        "policy without the TLS deny",
        res(T.policy, {
          policy: doc(
            allow("s3:GetObject", "arn:aws:s3:::b/*", {
              Principal: { AWS: "arn:aws:iam::123456789012:root" },
            }),
          ),
        }),
      ],
      [
        "TLS deny of GetObject only",
        res(T.policy, { policy: doc({ ...tlsDeny("arn:aws:s3:::b"), Action: "s3:GetObject" }) }),
      ],
      [
        "deny when SecureTransport is true",
        res(T.policy, {
          policy: doc({
            ...tlsDeny("arn:aws:s3:::b"),
            Condition: { Bool: { "aws:SecureTransport": "true" } },
          }),
        }),
      ],
      [
        "allow instead of deny",
        res(T.policy, { policy: doc({ ...tlsDeny("arn:aws:s3:::b"), Effect: "Allow" }) }),
      ],
    ],
  },
  {
    rule: noWildcardDataGrants,
    pass: [
      [
        "scoped S3 read",
        res(T.rolePolicy, { policy: doc(allow(["s3:GetObject"], ["arn:aws:s3:::b/p/*"])) }),
      ],
      [
        "X-Ray on *",
        res(T.rolePolicy, {
          policy: doc(allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*")),
        }),
      ],
      [
        "log delivery on *",
        res(T.rolePolicy, {
          policy: doc(allow(["logs:CreateLogDelivery", "logs:DescribeLogGroups"], ["*"])),
        }),
      ],
      [
        "task-token reports on * (the token names the task)",
        res(T.rolePolicy, {
          policy: doc(allow(["states:SendTaskSuccess", "states:SendTaskFailure"], ["*"])),
        }),
      ],
      [
        "deny of s3:* on *",
        res(T.rolePolicy, { policy: doc({ Effect: "Deny", Action: "s3:*", Resource: "*" }) }),
      ],
      [
        "inline role policy, scoped",
        res(T.role, {
          inlinePolicies: [
            {
              name: "p",
              policy: doc(
                allow("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/t"),
              ),
            },
          ],
        }),
      ],
      [
        "the ECS task execution managed policy",
        res(T.attachment, {
          policyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
        }),
      ],
    ],
    fail: [
      ["s3:*", res(T.rolePolicy, { policy: doc(allow("s3:*", "arn:aws:s3:::b/*")) })],
      [
        "dynamodb:* on a table",
        res(T.rolePolicy, {
          policy: doc(allow(["dynamodb:*"], ["arn:aws:dynamodb:eu-west-1:123456789012:table/t"])),
        }),
      ],
      [
        "iam:*",
        res(T.rolePolicy, { policy: doc(allow("iam:*", "arn:aws:iam::123456789012:role/x")) }),
      ],
      ["action *", res(T.rolePolicy, { policy: doc(allow("*", "arn:aws:s3:::b")) })],
      [
        "s3:Get* (data wildcard)",
        res(T.rolePolicy, { policy: doc(allow("s3:Get*", "arn:aws:s3:::b/*")) }),
      ],
      ["GetObject on Resource *", res(T.rolePolicy, { policy: doc(allow("s3:GetObject", "*")) })],
      [
        "kms:Decrypt on Resource *",
        res(T.rolePolicy, { policy: doc(allow(["kms:Decrypt"], ["*"])) }),
      ],
      [
        "X-Ray and PutItem mixed on *",
        res(T.rolePolicy, {
          policy: doc(allow(["xray:PutTraceSegments", "dynamodb:PutItem"], "*")),
        }),
      ],
      [
        "NotAction allow",
        res(T.rolePolicy, { policy: doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }) }),
      ],
      [
        "NotResource allow",
        res(T.rolePolicy, {
          policy: doc({ Effect: "Allow", Action: "s3:GetObject", NotResource: "arn:aws:s3:::b/*" }),
        }),
      ],
      [
        "inline role policy with s3:*",
        res(T.role, { inlinePolicies: [{ name: "p", policy: doc(allow("s3:*", "*")) }] }),
      ],
      [
        "AdministratorAccess attached",
        res(T.attachment, { policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }),
      ],
      [
        "AmazonS3FullAccess as a managed ARN of the role",
        res(T.role, { managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3FullAccess"] }),
      ],
    ],
  },
  {
    rule: requiredTags,
    pass: [
      ["tagged bucket", res(T.bucket, { tags: TAGS })],
      ["tagged function with extra tags", res(T.fn, { tags: { ...TAGS, role: "x" } })],
      ["untaggable schedule without tags", res(T.schedule, {})],
    ],
    fail: [
      ["untagged table", res(T.table, {})],
      ["no component", res(T.role, { tags: { project: "orchard", stack: "staging" } })],
      ["empty stack", res(T.logGroup, { tags: { ...TAGS, stack: "" } })],
    ],
  },
  {
    rule: prodProtection,
    pass: [
      [
        "prod bucket, protected",
        res(T.bucket, { tags: PROD, forceDestroy: false }, { opts: { protect: true } }),
      ],
      [
        "prod table, protected with deletion protection",
        res(T.table, { tags: PROD, deletionProtectionEnabled: true }, { opts: { protect: true } }),
      ],
      ["prod key, protected", res(T.key, { tags: PROD }, { opts: { protect: true } })],
      [
        "staging bucket, unprotected and force-destroyable",
        res(T.bucket, { tags: TAGS, forceDestroy: true }, { opts: { protect: false } }),
      ],
      ["staging table without deletion protection", res(T.table, { tags: TAGS })],
      ["prod log group (not stateful data)", res(T.logGroup, { tags: PROD })],
    ],
    fail: [
      ["prod bucket, unprotected", res(T.bucket, { tags: PROD }, { opts: { protect: false } })],
      [
        "prod bucket, protected but forceDestroy",
        res(T.bucket, { tags: PROD, forceDestroy: true }, { opts: { protect: true } }),
      ],
      [
        "prod table without deletion protection",
        res(T.table, { tags: PROD }, { opts: { protect: true } }),
      ],
      ["prod table, unprotected", res(T.table, { tags: PROD, deletionProtectionEnabled: true })],
      ["production key, unprotected", res(T.key, { tags: { ...PROD, stack: "production" } })],
    ],
  },
  {
    rule: tablePointInTimeRecovery,
    pass: [["table with PITR", res(T.table, { pointInTimeRecovery: { enabled: true } })]],
    fail: [
      ["table without PITR", res(T.table, {})],
      ["table with PITR off", res(T.table, { pointInTimeRecovery: { enabled: false } })],
    ],
  },
  {
    rule: logRetention,
    pass: [
      ["14 days", res(T.logGroup, { retentionInDays: 14 })],
      ["a year", res(T.logGroup, { retentionInDays: 365 })],
    ],
    fail: [
      ["no retention (forever)", res(T.logGroup, {})],
      ["0 (forever)", res(T.logGroup, { retentionInDays: 0 })],
      ["a value CloudWatch rejects", res(T.logGroup, { retentionInDays: 10 })],
    ],
  },
];

describe.each(cases)("$rule.name", ({ rule, pass, fail }) => {
  it.each(pass)("passes: %s", (_, r) => {
    expect(violations(rule, r)).toEqual([]);
  });
  it.each(fail)("flags: %s", (_, r) => {
    expect(violations(rule, r).length).toBeGreaterThan(0);
  });
});

/** A bucket with every configuration resource, as the DataLake declares it. */
function secureBucket(name: string, omit: string[] = []): RuleResource[] {
  const arn = `arn:aws:s3:::${name}`;
  const all: [string, RuleResource][] = [
    ["bucket", res(T.bucket, { tags: TAGS, bucket: name, arn }, { name, id: name })],
    ["sse", res(T.sse, { bucket: name, rules: [kmsRule] }, { name: `${name}-encryption` })],
    [
      "pab",
      res(
        T.pab,
        {
          bucket: name,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        { name: `${name}-public-access` },
      ),
    ],
    [
      "ownership",
      res(
        T.ownership,
        { bucket: name, rule: { objectOwnership: "BucketOwnerEnforced" } },
        { name: `${name}-ownership` },
      ),
    ],
    [
      "policy",
      res(T.policy, { bucket: name, policy: doc(tlsDeny(arn)) }, { name: `${name}-policy` }),
    ],
  ];
  return all.filter(([k]) => !omit.includes(k)).map(([, r]) => r);
}

describe.each([
  [bucketEncryptionConfigured, "sse"],
  [bucketPublicAccessBlocked, "pab"],
  [bucketOwnershipEnforced, "ownership"],
  [bucketTlsOnly, "policy"],
] as [StackRule, string][])("stack rule %#", (rule, part) => {
  it(`${rule.name}: passes buckets that have it`, () => {
    expect(stackViolations(rule, [...secureBucket("raw-1"), ...secureBucket("logs-2")])).toEqual(
      [],
    );
  });

  it(`${rule.name}: flags the one bucket without its ${part} resource`, () => {
    const found = stackViolations(rule, [
      ...secureBucket("raw-1"),
      ...secureBucket("logs-2", [part]),
    ]);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("logs-2");
  });

  it(`${rule.name}: a ${part} resource of another bucket does not count`, () => {
    const other = secureBucket("raw-1");
    const lonely = secureBucket("logs-2", ["sse", "pab", "ownership", "policy"]);
    expect(stackViolations(rule, [...other, ...lonely])).toHaveLength(1);
  });
});

describe("stack rules judge the configuration's settings, not only its presence", () => {
  it.each([
    [
      bucketEncryptionConfigured,
      T.sse,
      { bucket: "b", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
    ],
    [bucketPublicAccessBlocked, T.pab, { bucket: "b", blockPublicAcls: true }],
    [
      bucketOwnershipEnforced,
      T.ownership,
      { bucket: "b", rule: { objectOwnership: "BucketOwnerPreferred" } },
    ],
    [bucketTlsOnly, T.policy, { bucket: "b", policy: doc(tlsDeny("arn:aws:s3:::other")) }],
  ] as [StackRule, string, Props][])("%#: %s", (rule, type, props) => {
    const bucket = res(T.bucket, { bucket: "b", arn: "arn:aws:s3:::b" }, { id: "b" });
    expect(stackViolations(rule, [bucket, res(type, props)])).toHaveLength(1);
  });

  it("a server access log target must have SSE-S3, which a data bucket may not", () => {
    const bucket = (name: string) =>
      res(T.bucket, { bucket: name, arn: `arn:aws:s3:::${name}` }, { id: name });
    const [data, logs] = [bucket("data"), bucket("logs")];
    const logging = res("aws:s3/bucketLogging:BucketLogging", {
      bucket: "data",
      targetBucket: "logs",
    });
    const sseS3 = { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } };
    const sse = (name: string, rule: unknown) => res(T.sse, { bucket: name, rules: [rule] });
    const judged = (logsRule: unknown, dataRule: unknown) =>
      stackViolations(bucketEncryptionConfigured, [
        data,
        logs,
        logging,
        sse("data", dataRule),
        sse("logs", logsRule),
      ]);
    expect(judged(sseS3, kmsRule)).toEqual([]);
    expect(judged(kmsRule, kmsRule)).toEqual([expect.stringMatching(/logs.*SSE-S3/)]);
    expect(judged(sseS3, sseS3)).toHaveLength(1);
  });

  it("a preview's propertyDependencies link a configuration to its bucket without ids", () => {
    const bucket = res(T.bucket, {}, { urn: "urn:pulumi:s::orchard::aws:s3/bucket:Bucket::raw" });
    const sse = res(
      T.sse,
      { rules: [kmsRule] },
      { propertyDependencies: { bucket: [{ urn: bucket.urn ?? "" }] } },
    );
    expect(stackViolations(bucketEncryptionConfigured, [bucket, sse])).toEqual([]);
    expect(stackViolations(bucketEncryptionConfigured, [bucket])).toHaveLength(1);
  });
});

describe("the rule set", () => {
  it("has unique names, CrossGuard enforcement levels and descriptions", () => {
    const names = allRules.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const r of allRules) {
      expect(["mandatory", "advisory"]).toContain(r.enforcementLevel);
      expect(r.description.length).toBeGreaterThan(20);
    }
    expect(allRules).toHaveLength(resourceRules.length + stackRules.length);
  });

  it("policy documents are read from strings and objects alike", () => {
    const d = { Version: "2012-10-17", Statement: allow("s3:GetObject", "arn:aws:s3:::b/*") };
    expect(statementsOf(d)).toEqual(statementsOf(JSON.stringify(d)));
    expect(statementsOf("not json")).toBeUndefined();
  });

  // The list of taggable types is ours; the provider's Args declarations are the truth.
  function argsTakeTags(token: string): boolean {
    const [, mod, file] = /^aws:([a-z0-9]+)\/([A-Za-z0-9]+):[A-Za-z0-9]+$/.exec(token) ?? [];
    const source = readFileSync(
      path.resolve("node_modules/@pulumi/aws", mod, `${file}.d.ts`),
      "utf8",
    );
    const args = /export interface \w+Args \{[\s\S]*?\n\}/.exec(source)?.[0] ?? "";
    return /\n\s+tags\?:/.test(args);
  }

  it.each(TAGGABLE)("%s takes tags in @pulumi/aws", (token) => {
    expect(argsTakeTags(token)).toBe(true);
  });

  it.each([
    T.schedule,
    "aws:lambda/alias:Alias",
    T.url,
    T.policy,
    T.rolePolicy,
    "aws:sns/topicSubscription:TopicSubscription",
  ])("%s takes no tags, so the rule leaves it alone", (token) => {
    expect(argsTakeTags(token)).toBe(false);
    expect(violations(requiredTags, res(token, {}))).toEqual([]);
  });
});

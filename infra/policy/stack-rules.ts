/**
 * Stack rules: properties of a bucket that live in other resources since @pulumi/aws v7
 * (encryption, public access block, policy, ownership controls). Each rule checks that every
 * bucket of the stack has a configuration resource pointing at it with the right settings.
 *
 * "Pointing at it": the configuration's `bucket` property depends on the bucket (CrossGuard's
 * `propertyDependencies`, which works in a preview where ids are unknown) or equals the
 * bucket's id or name (the Pulumi mocks, deployed state).
 */

import { kmsEncryptionProblem, label, sseS3Only } from "./checks.ts";
import { isTlsDeny, statementsOf } from "./documents.ts";
import { limitStackRules } from "./limits.ts";
import {
  BUCKET,
  BUCKET_ENCRYPTION,
  BUCKET_LOGGING,
  BUCKET_OWNERSHIP,
  BUCKET_POLICY,
  BUCKET_PUBLIC_ACCESS_BLOCK,
  isType,
} from "./resource-types.ts";
import type { RuleResource, StackRule } from "./types.ts";

/** Whether `child.props[prop]` names `parent`. */
export function refersTo(child: RuleResource, prop: string, parent: RuleResource): boolean {
  const deps = child.propertyDependencies?.[prop];
  if (deps && parent.urn && deps.some((d) => d.urn === parent.urn)) return true;
  const value = child.props[prop];
  if (typeof value !== "string" || value === "") return false;
  return [parent.id, parent.props.bucket, parent.props.id].some((v) => v === value);
}

/** For every bucket: some resource of `types` points at it and `ok` holds for it. */
function everyBucketHas(
  resources: RuleResource[],
  types: readonly string[],
  ok: (config: RuleResource, bucket: RuleResource) => boolean,
  inline: (bucket: RuleResource) => boolean,
): RuleResource[] {
  const configs = resources.filter((r) => isType(r, types));
  return resources
    .filter((r) => isType(r, BUCKET))
    .filter((b) => !inline(b) && !configs.some((c) => refersTo(c, "bucket", b) && ok(c, b)));
}

function inlineKms(bucket: RuleResource): boolean {
  const sse = bucket.props.serverSideEncryptionConfiguration as
    | { rule?: unknown; rules?: unknown }
    | undefined;
  return sse !== undefined && kmsEncryptionProblem(sse.rule ?? sse.rules) === undefined;
}

export const bucketEncryptionConfigured: StackRule = {
  name: "bucket-encryption-configured",
  description:
    "Every data bucket has a server-side encryption configuration with aws:kms and the data-lake key; a server access log target bucket has SSE-S3, the only default encryption log delivery supports.",
  enforcementLevel: "mandatory",
  validateStack({ resources }, report) {
    const logTargets = resources
      .filter((r) => isType(r, BUCKET_LOGGING))
      .flatMap((l) => resources.filter((b) => isType(b, BUCKET) && refersTo(l, "targetBucket", b)));
    const isLogTarget = (b: RuleResource) => logTargets.includes(b);
    const ok = (c: RuleResource, b: RuleResource) =>
      isLogTarget(b) ? sseS3Only(c.props.rules) : kmsEncryptionProblem(c.props.rules) === undefined;
    const inline = (b: RuleResource) => !isLogTarget(b) && inlineKms(b);
    for (const b of everyBucketHas(resources, BUCKET_ENCRYPTION, ok, inline)) {
      report(
        isLogTarget(b)
          ? `${label(b)} receives S3 server access logs but is not encrypted with SSE-S3 (AES256) by default; S3 delivers no logs into an SSE-KMS bucket.`
          : `${label(b)} has no BucketServerSideEncryptionConfiguration with aws:kms and a key pointing at it.`,
        b.urn,
      );
    }
  },
};

export const bucketPublicAccessBlocked: StackRule = {
  name: "bucket-public-access-blocked",
  description: "Every bucket has a public access block with all four flags set.",
  enforcementLevel: "mandatory",
  validateStack({ resources }, report) {
    const flags = [
      "blockPublicAcls",
      "blockPublicPolicy",
      "ignorePublicAcls",
      "restrictPublicBuckets",
    ];
    const ok = (c: RuleResource) => flags.every((f) => c.props[f] === true);
    for (const b of everyBucketHas(resources, BUCKET_PUBLIC_ACCESS_BLOCK, ok, () => false)) {
      report(`${label(b)} has no BucketPublicAccessBlock with all four flags true.`, b.urn);
    }
  },
};

export const bucketOwnershipEnforced: StackRule = {
  name: "bucket-ownership-enforced",
  description: "Every bucket disables ACLs (ownership controls BucketOwnerEnforced).",
  enforcementLevel: "mandatory",
  validateStack({ resources }, report) {
    const ok = (c: RuleResource) =>
      (c.props.rule as { objectOwnership?: unknown } | undefined)?.objectOwnership ===
      "BucketOwnerEnforced";
    for (const b of everyBucketHas(resources, BUCKET_OWNERSHIP, ok, () => false)) {
      report(`${label(b)} has no BucketOwnershipControls with BucketOwnerEnforced.`, b.urn);
    }
  },
};

export const bucketTlsOnly: StackRule = {
  name: "bucket-tls-only",
  description:
    "Every bucket has a policy denying requests without TLS on the bucket and its objects.",
  enforcementLevel: "mandatory",
  validateStack({ resources }, report) {
    const ok = (c: RuleResource, b: RuleResource) => {
      const arn = typeof b.props.arn === "string" ? b.props.arn : undefined;
      return (statementsOf(c.props.policy) ?? []).some((s) => isTlsDeny(s, arn));
    };
    const inline = (b: RuleResource) =>
      (statementsOf(b.props.policy) ?? []).some((s) => isTlsDeny(s));
    for (const b of everyBucketHas(resources, BUCKET_POLICY, ok, inline)) {
      report(`${label(b)} has no bucket policy denying requests without TLS.`, b.urn);
    }
  },
};

export const stackRules: StackRule[] = [
  bucketEncryptionConfigured,
  bucketPublicAccessBlocked,
  bucketOwnershipEnforced,
  bucketTlsOnly,
  // AWS's documented limits across resources (limits.ts).
  ...limitStackRules,
];

/**
 * DataLake: the raw, features and artifacts buckets, the access-log bucket they log into, and
 * the customer-managed KMS key that encrypts the data buckets (and the tables, the alert topic
 * and the log groups).
 *
 * Every data bucket: SSE-KMS with the key and S3 Bucket Keys (one KMS call per bucket key instead
 * of per object, which is most of SSE-KMS's cost); every bucket: versioning, all four public-access blocks,
 * ObjectOwnership BucketOwnerEnforced (ACLs off), a policy denying any request without TLS,
 * and a lifecycle rule expiring noncurrent versions. The data buckets log their requests into
 * the log bucket, whose objects expire after the stack's log retention.
 *
 * The log bucket is encrypted with SSE-S3 (AES256), not the key. The S3 User Guide
 * (enable-server-access-logging.html, troubleshooting-server-access-logging.html): "You can use
 * default bucket encryption on the destination bucket only if you use server-side encryption
 * with Amazon S3 managed keys (SSE-S3) … SSE-KMS is not supported." aws-cdk#25350 reports
 * SSE-KMS delivery working with a key policy admitting the logging principal, against the
 * current documentation; undelivered access logs fail silently, so the documented choice wins
 * (docs/access-log-encryption.md). The logs hold request metadata, not data.
 *
 * The key also encrypts the stack's CloudWatch log groups (`logKeyArn` of the steps and state
 * machines): logs carry run data (URIs, error causes). The key policy lets the regional logs
 * service principal use it for this account's log groups only, as CloudWatch Logs' "Encrypt log
 * data using AWS KMS" guide prescribes (the `kms:EncryptionContext:aws:logs:arn` condition).
 * Readers of the logs need no KMS permission: CloudWatch Logs decrypts for them.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { componentTags } from "./tags.ts";

export type DataBucketRole = "raw" | "features" | "artifacts";
export const DATA_BUCKET_ROLES: readonly DataBucketRole[] = ["raw", "features", "artifacts"];

export interface DataLakeArgs {
  accountId: pulumi.Input<string>;
  /** The stack's region: CloudWatch Logs uses the key through its regional service principal. */
  region: string;
  /** Protect the key and buckets from deletion (Pulumi `protect`, no `forceDestroy`). */
  protect: boolean;
  /** Days until server access logs expire (the stack's log retention). */
  accessLogDays: number;
  /** Days a replaced or deleted object version is kept. Default 30. */
  noncurrentVersionDays?: number;
  /**
   * Key prefixes of the artifacts bucket whose objects expire, e.g. a pipeline's prediction
   * captures and labels after `monitor.capture.retentionDays` (docs/monitoring.md).
   */
  artifactExpirations?: { id: string; prefix: string; days: number }[];
}

/** A bucket and the configuration resources that make it safe. */
export interface SecureBucket {
  bucket: aws.s3.Bucket;
  policy: aws.s3.BucketPolicy;
}

export class DataLake extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly raw: SecureBucket;
  readonly features: SecureBucket;
  readonly artifacts: SecureBucket;
  readonly logs: SecureBucket;

  constructor(name: string, args: DataLakeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("orchard:data:DataLake", name, {}, opts);
    if (!Number.isInteger(args.accessLogDays) || args.accessLogDays < 1) {
      throw new Error(
        `DataLake ${name}: accessLogDays is ${args.accessLogDays}; use whole days >= 1`,
      );
    }
    const noncurrentDays = args.noncurrentVersionDays ?? 30;
    const tags = componentTags("data-lake");
    const stateful = { parent: this, protect: args.protect };
    const child = { parent: this };

    const key = createKey();
    const logs = createBucket("logs", [
      {
        id: "expire-access-logs",
        status: "Enabled",
        filter: {},
        expiration: { days: args.accessLogDays },
        noncurrentVersionExpiration: { noncurrentDays: 1 },
      },
    ]);
    const data = Object.fromEntries(
      DATA_BUCKET_ROLES.map((role) => [
        role,
        createBucket(role, [
          {
            id: "expire-noncurrent-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: noncurrentDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
          ...(role === "artifacts"
            ? (args.artifactExpirations ?? []).map((e) => ({
                id: e.id,
                status: "Enabled",
                filter: { prefix: e.prefix },
                expiration: { days: e.days },
              }))
            : []),
        ]),
      ]),
    ) as Record<DataBucketRole, ReturnType<typeof createBucket>>;
    for (const role of DATA_BUCKET_ROLES) {
      new aws.s3.BucketLogging(
        `${name}-${role}-logging`,
        { bucket: data[role].bucket.id, targetBucket: logs.bucket.id, targetPrefix: `${role}/` },
        child,
      );
    }

    this.key = key;
    this.raw = data.raw.finish();
    this.features = data.features.finish();
    this.artifacts = data.artifacts.finish();
    this.logs = logs.finish([logDeliveryStatement()]);
    this.registerOutputs({
      keyArn: key.arn,
      rawBucket: this.raw.bucket.bucket,
      featuresBucket: this.features.bucket.bucket,
      artifactsBucket: this.artifacts.bucket.bucket,
      logsBucket: this.logs.bucket.bucket,
    });

    function createKey(): aws.kms.Key {
      const region = args.region;
      const policy = pulumi.output(args.accountId).apply((account) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              // The default key policy: the account administers the key and IAM policies
              // (the step roles' grants) decide who may use it. In a key policy `*` means
              // "this key".
              Sid: "AccountAdministersKey",
              Effect: "Allow",
              Principal: { AWS: `arn:aws:iam::${account}:root` },
              Action: "kms:*",
              Resource: "*",
            },
            {
              // CloudWatch alarms publish to the KMS-encrypted alert topic.
              Sid: "CloudWatchAlarmsPublishToTopic",
              Effect: "Allow",
              Principal: { Service: "cloudwatch.amazonaws.com" },
              Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
              Resource: "*",
              Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
            {
              // The actions of AWS's example key policy for encrypted log groups.
              Sid: "CloudWatchLogsEncryptLogGroups",
              Effect: "Allow",
              Principal: { Service: `logs.${region}.amazonaws.com` },
              Action: [
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
              ],
              Resource: "*",
              Condition: {
                ArnLike: {
                  "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${region}:${account}:log-group:*`,
                },
              },
            },
          ],
        }),
      );
      return new aws.kms.Key(
        `${name}-key`,
        {
          description: `Orchard ${pulumi.getStack()}: data lake, tables and alert topic`,
          enableKeyRotation: true,
          deletionWindowInDays: args.protect ? 30 : 7,
          policy,
          tags,
        },
        stateful,
      );
    }

    /** A bucket with its configuration; `finish` adds the policy (it may name other buckets). */
    function createBucket(
      role: DataBucketRole | "logs",
      rules: aws.types.input.s3.BucketLifecycleConfigurationRule[],
    ) {
      const prefix = `${name}-${role}`;
      const bucket = new aws.s3.Bucket(
        prefix,
        { forceDestroy: !args.protect, tags: { ...tags, role } },
        stateful,
      );
      new aws.s3.BucketOwnershipControls(
        `${prefix}-ownership`,
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        child,
      );
      const publicAccess = new aws.s3.BucketPublicAccessBlock(
        `${prefix}-public-access`,
        {
          bucket: bucket.id,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        child,
      );
      new aws.s3.BucketServerSideEncryptionConfiguration(
        `${prefix}-encryption`,
        {
          bucket: bucket.id,
          rules: [
            role === "logs"
              ? // SSE-S3: the only default encryption S3 server access logging supports.
                { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }
              : {
                  applyServerSideEncryptionByDefault: {
                    sseAlgorithm: "aws:kms",
                    kmsMasterKeyId: key.arn,
                  },
                  bucketKeyEnabled: true,
                },
          ],
        },
        child,
      );
      const versioning = new aws.s3.BucketVersioning(
        `${prefix}-versioning`,
        { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
        child,
      );
      new aws.s3.BucketLifecycleConfiguration(
        `${prefix}-lifecycle`,
        { bucket: bucket.id, rules },
        { ...child, dependsOn: [versioning] },
      );
      const finish = (extra: pulumi.Input<unknown>[] = []): SecureBucket => {
        const document = pulumi
          .all([bucket.arn, pulumi.output(extra)])
          .apply(([arn, statements]) => JSON.stringify(tlsOnlyPolicy(arn, statements)));
        const policy = new aws.s3.BucketPolicy(
          `${prefix}-policy`,
          { bucket: bucket.id, policy: document },
          { ...child, dependsOn: [publicAccess] },
        );
        return { bucket, policy };
      };
      return { bucket, finish };
    }

    /** S3 server access logging writes with this principal (no ACLs: ownership is enforced). */
    function logDeliveryStatement() {
      return pulumi
        .all([logs.bucket.arn, args.accountId, ...DATA_BUCKET_ROLES.map((r) => data[r].bucket.arn)])
        .apply(([logArn, account, ...sources]) => ({
          Sid: "S3ServerAccessLogDelivery",
          Effect: "Allow",
          Principal: { Service: "logging.s3.amazonaws.com" },
          Action: ["s3:PutObject"],
          Resource: [`${logArn}/*`],
          Condition: {
            ArnLike: { "aws:SourceArn": sources },
            StringEquals: { "aws:SourceAccount": account },
          },
        }));
    }
  }
}

/** The bucket policy: deny every request made without TLS, plus any `extra` statements. */
export function tlsOnlyPolicy(bucketArn: string, extra: unknown[] = []) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      ...extra,
    ],
  };
}

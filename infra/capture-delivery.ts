/**
 * Prediction capture in the cloud (docs/monitoring.md): the predict Lambda writes each
 * captured row as one `{"orchard":"capture",…}` line to its log group; a subscription filter
 * hands those lines to a Kinesis Data Firehose stream, which decompresses CloudWatch Logs'
 * batches, extracts the messages, puts a newline after each and delivers them in buffered
 * objects (5 MiB or 300 s) to the artifacts bucket under
 * `<pipeline>/capture/<yyyy-MM-dd>/<HH>/…jsonl`, encrypted with the data-lake key. The
 * function never waits on S3 for a prediction, and needs no grant for it.
 *
 * Two service roles, each scoped to this pipeline: Firehose may write only under the
 * pipeline's `capture/` and `capture-errors/` prefixes (and use the key through S3), and
 * CloudWatch Logs may put records only into this stream.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { CaptureSpec } from "../pipeline/spec/types.ts";
import { componentTags } from "./tags.ts";

/** CloudWatch Logs filter pattern matching the capture lines (and nothing else predict logs). */
export const CAPTURE_FILTER_PATTERN = '{ $.orchard = "capture" }';

/** The predict function's environment for `monitor.capture` (read by lambdas/predict.ts). */
export function captureEnvironment(
  capture: CaptureSpec | null,
  idColumn: string | null,
): Record<string, string> {
  if (!capture) return {};
  return {
    ORCHARD_CAPTURE_SAMPLE_RATE: String(capture.sampleRate),
    ...(capture.exclude.length > 0 ? { ORCHARD_CAPTURE_EXCLUDE: capture.exclude.join(",") } : {}),
    ...(idColumn ? { ORCHARD_ID_COLUMN: idColumn } : {}),
  };
}

export interface CaptureDeliveryArgs {
  pipeline: string;
  region: string;
  accountId: pulumi.Input<string>;
  /** The artifacts bucket. */
  bucketArn: pulumi.Input<string>;
  /** The data-lake key. */
  keyArn: pulumi.Input<string>;
  /** The predict function's log group. */
  logGroupName: pulumi.Input<string>;
  logGroupArn: pulumi.Input<string>;
}

export class CaptureDelivery extends pulumi.ComponentResource {
  readonly stream: aws.kinesis.FirehoseDeliveryStream;
  readonly firehoseRole: aws.iam.Role;
  readonly logsRole: aws.iam.Role;
  readonly filter: aws.cloudwatch.LogSubscriptionFilter;

  constructor(name: string, args: CaptureDeliveryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("orchard:monitor:CaptureDelivery", name, {}, opts);
    if (!/^[a-z0-9-]{1,40}$/.test(args.pipeline)) {
      throw new Error(
        `CaptureDelivery ${name}: pipeline "${args.pipeline}" is not a pipeline name`,
      );
    }
    const child = { parent: this };
    const tags = { ...componentTags("monitor"), pipeline: args.pipeline };
    const capture = `${args.pipeline}/capture/`;
    const errors = `${args.pipeline}/capture-errors/`;

    this.firehoseRole = createFirehoseRole();
    this.stream = createStream(this.firehoseRole);
    this.logsRole = createLogsRole(this.stream);
    this.filter = new aws.cloudwatch.LogSubscriptionFilter(
      `${name}-filter`,
      {
        logGroup: args.logGroupName,
        filterPattern: CAPTURE_FILTER_PATTERN,
        destinationArn: this.stream.arn,
        roleArn: this.logsRole.arn,
      },
      child,
    );
    this.registerOutputs({ streamArn: this.stream.arn });

    function createFirehoseRole(): aws.iam.Role {
      const role = new aws.iam.Role(
        `${name}-firehose`,
        {
          description: `Orchard ${args.pipeline}: Firehose delivers captured predictions to S3`,
          // The confused-deputy guard AWS documents for Firehose: only this account's streams.
          assumeRolePolicy: pulumi.output(args.accountId).apply((account) =>
            JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Principal: { Service: "firehose.amazonaws.com" },
                  Action: "sts:AssumeRole",
                  Condition: { StringEquals: { "sts:ExternalId": account } },
                },
              ],
            }),
          ),
          tags,
        },
        child,
      );
      new aws.iam.RolePolicy(
        `${name}-firehose-policy`,
        {
          role: role.id,
          policy: pulumi
            .all([args.bucketArn, args.keyArn])
            .apply(([bucket, key]) =>
              JSON.stringify(firehosePolicy(bucket, key, args.region, [capture, errors])),
            ),
        },
        child,
      );
      return role;
    }

    function createStream(role: aws.iam.Role): aws.kinesis.FirehoseDeliveryStream {
      return new aws.kinesis.FirehoseDeliveryStream(
        `${name}-stream`,
        {
          destination: "extended_s3",
          serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
          extendedS3Configuration: {
            roleArn: role.arn,
            bucketArn: args.bucketArn,
            prefix: `${capture}!{timestamp:yyyy-MM-dd}/!{timestamp:HH}/`,
            errorOutputPrefix: `${errors}!{firehose:error-output-type}/!{timestamp:yyyy-MM-dd}/`,
            fileExtension: ".jsonl",
            bufferingSize: 5,
            bufferingInterval: 300,
            compressionFormat: "UNCOMPRESSED",
            kmsKeyArn: args.keyArn,
            processingConfiguration: {
              enabled: true,
              processors: [
                {
                  type: "Decompression",
                  parameters: [{ parameterName: "CompressionFormat", parameterValue: "GZIP" }],
                },
                {
                  type: "CloudWatchLogProcessing",
                  parameters: [{ parameterName: "DataMessageExtraction", parameterValue: "true" }],
                },
                { type: "AppendDelimiterToRecord" },
              ],
            },
          },
          tags,
        },
        { ...child, dependsOn: [role] },
      );
    }

    function createLogsRole(stream: aws.kinesis.FirehoseDeliveryStream): aws.iam.Role {
      const role = new aws.iam.Role(
        `${name}-logs`,
        {
          description: `Orchard ${args.pipeline}: CloudWatch Logs sends capture lines to Firehose`,
          assumeRolePolicy: pulumi.all([args.logGroupArn]).apply(([logGroup]) =>
            JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Principal: { Service: `logs.${args.region}.amazonaws.com` },
                  Action: "sts:AssumeRole",
                  Condition: { ArnLike: { "aws:SourceArn": `${logGroup.replace(/:\*$/, "")}:*` } },
                },
              ],
            }),
          ),
          tags,
        },
        child,
      );
      new aws.iam.RolePolicy(
        `${name}-logs-policy`,
        {
          role: role.id,
          policy: stream.arn.apply((arn) =>
            JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Sid: "PutCaptureRecords",
                  Effect: "Allow",
                  Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
                  Resource: [arn],
                },
              ],
            }),
          ),
        },
        child,
      );
      return role;
    }
  }
}

/** Firehose's S3 destination actions (the AWS guide's list), on this pipeline's prefixes only. */
export function firehosePolicy(
  bucketArn: string,
  keyArn: string,
  region: string,
  prefixes: string[],
) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "WriteCaptureObjects",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObject"],
        Resource: prefixes.map((p) => `${bucketArn}/${p}*`),
      },
      {
        Sid: "CaptureBucket",
        Effect: "Allow",
        Action: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
        Resource: [bucketArn],
      },
      {
        Sid: "EncryptCaptureObjects",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: [keyArn],
        // Only through S3 (the bucket uses S3 Bucket Keys, so the encryption context names the
        // bucket, not the object: the prefix cannot be narrowed here, the S3 grant above does).
        Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
      },
    ],
  };
}

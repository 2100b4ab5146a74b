/**
 * Grant builders: one declared access in, the narrowest statements that let the code do it
 * out. Scoped to ARNs and named actions; no action wildcards. The only `Resource: "*"`
 * statements are in `wildcards.ts`, each with the reason it cannot be narrower.
 *
 * Statements are collected in a `StatementSet`, which merges statements with the same Sid
 * (same actions and condition keys, resources and condition values unioned), so that a role
 * touching three prefixes of one bucket gets one readable statement, not three.
 */
import type { ArnParts } from "./arns.ts";
import { viaService } from "./arns.ts";
import { AccessPolicyError } from "./errors.ts";
import type { ConditionBlock, PolicyStatement } from "./types.ts";

export type KeyService = "s3" | "dynamodb" | "sns";

export class StatementSet {
  private readonly bySid = new Map<string, PolicyStatement>();
  /** Services through which the role reads / writes data encrypted with the data-lake key. */
  readonly keyReads = new Set<KeyService>();
  readonly keyWrites = new Set<KeyService>();

  add(...statements: PolicyStatement[]): void {
    for (const s of statements) {
      const seen = this.bySid.get(s.Sid);
      if (!seen) {
        const copy = structuredClone(s);
        // An explicit `Condition: undefined` is not valid policy JSON to every consumer.
        if (copy.Condition === undefined) delete copy.Condition;
        this.bySid.set(s.Sid, copy);
        continue;
      }
      if (seen.Effect !== s.Effect || !sameList(seen.Action, s.Action)) {
        throw new AccessPolicyError(
          `two statements named ${s.Sid} differ in effect or actions; give them distinct Sids (a bug in infra/access)`,
        );
      }
      seen.Resource = union(seen.Resource, s.Resource);
      const condition = mergeConditions(seen.Condition, s.Condition, s.Sid);
      if (condition) seen.Condition = condition;
    }
  }

  statements(): PolicyStatement[] {
    return [...this.bySid.values()];
  }
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function asList(v: string | string[]): string[] {
  return Array.isArray(v) ? v : [v];
}

function mergeConditions(
  a: ConditionBlock | undefined,
  b: ConditionBlock | undefined,
  sid: string,
): ConditionBlock | undefined {
  if (!a && !b) return undefined;
  const keysOf = (c?: ConditionBlock) =>
    Object.entries(c ?? {})
      .flatMap(([op, kv]) => Object.keys(kv).map((k) => `${op} ${k}`))
      .sort()
      .join();
  if (keysOf(a) !== keysOf(b)) {
    throw new AccessPolicyError(
      `two statements named ${sid} have different condition keys; give them distinct Sids (a bug in infra/access)`,
    );
  }
  const out: ConditionBlock = {};
  for (const [op, kv] of Object.entries(a ?? {})) {
    out[op] = {};
    for (const [key, value] of Object.entries(kv)) {
      out[op][key] = union(asList(value), asList(b?.[op]?.[key] ?? []));
    }
  }
  return out;
}

function titleCase(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Read objects under key prefixes. ListBucket is granted for the same prefixes only (the
 * `s3:prefix` condition) so a role can tell "missing" from "forbidden" for its own keys
 * without being able to enumerate other pipelines' keys.
 */
export function grantRead(set: StatementSet, name: string, bucketArn: string, prefixes: string[]) {
  const label = titleCase(name);
  set.add(
    {
      Sid: `Read${label}Objects`,
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: prefixes.map((p) => `${bucketArn}/${p}*`),
    },
    {
      Sid: `List${label}Keys`,
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [bucketArn],
      Condition: { StringLike: { "s3:prefix": prefixes.map((p) => `${p}*`) } },
    },
  );
  set.keyReads.add("s3");
}

/**
 * Write objects under key prefixes. Orchard writes are content-addressed and HEAD the key
 * first (an existing snapshot is never rewritten), and HeadObject of a missing key answers
 * 403 instead of 404 unless the caller may list that prefix: so a write includes the read
 * grant. S3 decides that with the requested key as `s3:prefix`, so the prefix-conditioned
 * ListBucket below is enough (not verified on AWS here; Ceph RGW adopted the same rule to
 * match AWS, ceph/ceph#68577). AbortMultipartUpload lets lib-storage clean up a failed
 * multipart upload (`leavePartsOnError: false`); it cannot touch a completed object. No
 * DeleteObject.
 */
export function grantWrite(set: StatementSet, name: string, bucketArn: string, prefixes: string[]) {
  set.add({
    Sid: `Write${titleCase(name)}Objects`,
    Effect: "Allow",
    Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
    Resource: prefixes.map((p) => `${bucketArn}/${p}*`),
  });
  grantRead(set, name, bucketArn, prefixes);
  set.keyWrites.add("s3");
}

/** Hex characters of a SHA-256: content keys are `<prefix><64 of them>.<ext>`. */
const SHA256_HEX_LENGTH = 64;

/**
 * Create content-addressed objects and never overwrite one (raw snapshots are immutable):
 *
 * - PutObject only on keys shaped like a content address, `<prefix>` + 64 characters + `.`
 *   (`?` matches one character; IAM has no character classes, so this narrows the shape, not
 *   the alphabet), and only with `If-None-Match: *` (the `s3:if-none-match` condition key,
 *   which S3 evaluates for PutObject and CompleteMultipartUpload): S3 refuses to replace an
 *   existing key with 412, and a request without the header is denied. A writer racing on the
 *   same new bytes gets 412, which `S3ArtifactStore.putContent` reads as "already there".
 * - CreateMultipartUpload and UploadPart take no conditional header; AWS's documented way to
 *   admit them is `s3:ObjectCreationOperation` false (they create no object; the completing
 *   call is conditioned above). Source: "Enforce conditional writes on Amazon S3 buckets",
 *   S3 User Guide (conditional-writes-enforce).
 * - AbortMultipartUpload so lib-storage can clean up a failed upload; it cannot touch an object.
 *
 * The existence check before the write (HeadObject, a 404 when missing) needs the read grant.
 */
export function grantCreateContent(
  set: StatementSet,
  name: string,
  bucketArn: string,
  prefixes: string[],
) {
  const label = titleCase(name);
  const keys = prefixes.map((p) => `${bucketArn}/${p}${"?".repeat(SHA256_HEX_LENGTH)}.*`);
  set.add(
    {
      Sid: `Create${label}Content`,
      Effect: "Allow",
      Action: ["s3:PutObject"],
      Resource: keys,
      Condition: { StringEquals: { "s3:if-none-match": "*" } },
    },
    {
      Sid: `Upload${label}ContentParts`,
      Effect: "Allow",
      Action: ["s3:PutObject"],
      Resource: keys,
      Condition: { Bool: { "s3:ObjectCreationOperation": "false" } },
    },
    {
      Sid: `Abort${label}ContentUploads`,
      Effect: "Allow",
      Action: ["s3:AbortMultipartUpload"],
      Resource: keys,
    },
  );
  grantRead(set, name, bucketArn, prefixes);
  set.keyWrites.add("s3");
}

/** Read specific objects (ingest's `s3://` sources): GetObject on exactly those ARNs. */
export function grantReadObjects(set: StatementSet, objectArns: string[]) {
  if (objectArns.length === 0) return;
  set.add({
    Sid: "ReadSourceObjects",
    Effect: "Allow",
    Action: ["s3:GetObject"],
    Resource: objectArns,
  });
}

/**
 * Batch scoring's location (`deploy.batch.inputUri`), a prefix of a bucket the user owns or
 * the pipeline's landing prefix in the raw bucket: list it, read the inputs, write the
 * predictions files next to them. Writes are single
 * PutObject calls (lambdas/batch-score.ts never uploads in parts), so no
 * AbortMultipartUpload; no DeleteObject. An empty prefix is the whole bucket: the listing
 * then sends no prefix, which an `s3:prefix` condition would not match, so ListBucket is
 * granted on the bucket unconditioned (its own Sid). No KMS grant here: for the landing
 * prefix the policy builder adds the data-lake key's S3 use; a user's bucket under its own
 * KMS key must let the role use that key in the key policy.
 */
export function grantBatch(set: StatementSet, bucketArn: string, prefix: string) {
  const objects = [`${bucketArn}/${prefix}*`];
  set.add(
    prefix === ""
      ? {
          Sid: "ListBatchBucket",
          Effect: "Allow",
          Action: ["s3:ListBucket"],
          Resource: [bucketArn],
        }
      : {
          Sid: "ListBatchKeys",
          Effect: "Allow",
          Action: ["s3:ListBucket"],
          Resource: [bucketArn],
          Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } },
        },
    { Sid: "ReadBatchObjects", Effect: "Allow", Action: ["s3:GetObject"], Resource: objects },
    { Sid: "WriteBatchObjects", Effect: "Allow", Action: ["s3:PutObject"], Resource: objects },
  );
}

/**
 * Item operations on one table, limited to the pipelines' partition keys by
 * `dynamodb:LeadingKeys` (`ForAllValues`: every key a request touches must match).
 */
export function grantTable(
  set: StatementSet,
  name: string,
  tableArn: string,
  mode: "Read" | "Write",
  actions: string[],
  leadingKeys: { operator: "StringLike" | "StringEquals"; values: string[] },
) {
  set.add({
    Sid: `${mode}${titleCase(name)}Table`,
    Effect: "Allow",
    Action: actions,
    Resource: [tableArn],
    Condition: {
      [`ForAllValues:${leadingKeys.operator}`]: { "dynamodb:LeadingKeys": leadingKeys.values },
    },
  });
  (mode === "Read" ? set.keyReads : set.keyWrites).add("dynamodb");
}

/**
 * The data-lake key, only through the services that use it for this role's data
 * (`kms:ViaService`): the role cannot call KMS directly to decrypt anything else.
 * Readers decrypt; writers also generate data keys (and decrypt, for multipart uploads and
 * SNS publishing).
 */
export function grantKey(set: StatementSet, keyArn: string, key: ArnParts) {
  const decryptVia = union([...set.keyReads], [...set.keyWrites]).sort() as KeyService[];
  const generateVia = [...set.keyWrites].sort();
  if (decryptVia.length > 0) {
    set.add({
      Sid: "DecryptWithDataKey",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [keyArn],
      Condition: {
        StringEquals: { "kms:ViaService": decryptVia.map((s) => viaService(s, key.region)) },
      },
    });
  }
  if (generateVia.length > 0) {
    set.add({
      Sid: "EncryptWithDataKey",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey"],
      Resource: [keyArn],
      Condition: {
        StringEquals: { "kms:ViaService": generateVia.map((s) => viaService(s, key.region)) },
      },
    });
  }
}

/** Publish to the alert topic; the topic is encrypted with the data-lake key. */
export function grantPublish(set: StatementSet, topicArn: string) {
  set.add({ Sid: "PublishAlerts", Effect: "Allow", Action: ["sns:Publish"], Resource: [topicArn] });
  set.keyWrites.add("sns");
}

/** Move the `live` alias: publish a version of the function, point the alias at it. */
export function grantMoveAlias(set: StatementSet, functionArn: string, alias: string) {
  set.add(
    {
      Sid: "PublishPredictVersion",
      Effect: "Allow",
      Action: ["lambda:PublishVersion", "lambda:GetFunctionConfiguration"],
      Resource: [functionArn],
    },
    {
      Sid: "MovePredictAlias",
      Effect: "Allow",
      Action: ["lambda:GetAlias", "lambda:UpdateAlias"],
      Resource: [functionArn, `${functionArn}:${alias}`],
    },
  );
}

/**
 * Call predict: directly (InvokeFunction) or through its function URL, which must keep
 * `AWS_IAM` auth for this grant to apply.
 */
export function grantInvoke(set: StatementSet, functionArns: string[], alias: string) {
  const targets = functionArns.flatMap((arn) => [arn, `${arn}:${alias}`]);
  set.add(
    { Sid: "InvokePredict", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: targets },
    {
      Sid: "InvokePredictUrl",
      Effect: "Allow",
      Action: ["lambda:InvokeFunctionUrl"],
      Resource: targets,
      Condition: { StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } },
    },
  );
}

/** Start and watch executions; `operate` may also stop and redrive them. */
export function grantStateMachines(
  set: StatementSet,
  stateMachineArns: string[],
  executionArns: string[],
  mode: "run" | "operate",
) {
  if (stateMachineArns.length === 0) return;
  set.add(
    {
      Sid: "RunStateMachines",
      Effect: "Allow",
      Action: ["states:StartExecution", "states:DescribeStateMachine", "states:ListExecutions"],
      Resource: stateMachineArns,
    },
    {
      Sid: "WatchExecutions",
      Effect: "Allow",
      Action: ["states:DescribeExecution", "states:GetExecutionHistory"],
      Resource: executionArns,
    },
  );
  if (mode === "operate") {
    set.add({
      Sid: "OperateExecutions",
      Effect: "Allow",
      Action: ["states:StopExecution", "states:RedriveExecution"],
      Resource: executionArns,
    });
  }
}

/** Write the role's own log streams (the log group exists: the program creates it). */
export function grantWriteLogs(set: StatementSet, logStreamArns: string[]) {
  set.add({
    Sid: "WriteOwnLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: logStreamArns,
  });
}

/** Read the given log groups: search, list streams, read events, Logs Insights queries. */
export function grantReadLogs(set: StatementSet, logGroupArns: string[], logStreamArns: string[]) {
  if (logGroupArns.length === 0) return;
  set.add(
    {
      Sid: "SearchLogGroups",
      Effect: "Allow",
      Action: ["logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:StartQuery"],
      // Log-group actions are authorized against `log-group:<name>` or `log-group:<name>:*`
      // depending on the API; both name only these groups.
      Resource: union(
        logGroupArns,
        logGroupArns.map((a) => `${a}:*`),
      ),
    },
    {
      Sid: "ReadLogStreams",
      Effect: "Allow",
      Action: ["logs:GetLogEvents"],
      Resource: logStreamArns,
    },
  );
}

/** Raw snapshots are immutable: deny deleting them even if another policy allowed it. */
export function denyRawDeletion(set: StatementSet, rawBucketArn: string) {
  set.add({
    Sid: "RawDataIsImmutable",
    Effect: "Deny",
    Action: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
    Resource: [`${rawBucketArn}/*`],
  });
}

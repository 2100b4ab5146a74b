/**
 * ARN checks for the access targets. A malformed ARN in a grant is not harmless: IAM accepts
 * most strings, so a typo silently grants nothing (a broken step) or, with a stray `*`,
 * too much. Every target is checked for its service and shape before a statement uses it.
 */
import { AccessPolicyError } from "./errors.ts";

export interface ArnParts {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

const ARN = /^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)$/;

/** The shape each kind of target must have (the part after `arn:<partition>:`). */
const SHAPES = {
  bucket: { service: "s3", resource: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, regional: false },
  object: {
    service: "s3",
    resource: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[^*?]+$/,
    regional: false,
  },
  table: { service: "dynamodb", resource: /^table\/[A-Za-z0-9_.-]{3,255}$/, regional: true },
  key: { service: "kms", resource: /^key\/[A-Za-z0-9-]+$/, regional: true },
  topic: { service: "sns", resource: /^[A-Za-z0-9_-]{1,256}$/, regional: true },
  function: { service: "lambda", resource: /^function:[A-Za-z0-9_-]{1,64}$/, regional: true },
  stateMachine: {
    service: "states",
    resource: /^stateMachine:[A-Za-z0-9_-]{1,80}$/,
    regional: true,
  },
  logGroup: { service: "logs", resource: /^log-group:[A-Za-z0-9_\-/.#]{1,512}$/, regional: true },
  role: { service: "iam", resource: /^role\/[A-Za-z0-9_+=,.@\-/]{1,512}$/, regional: false },
  taskDefinition: {
    service: "ecs",
    resource: /^task-definition\/[A-Za-z0-9_-]{1,255}(:\d+)?$/,
    regional: true,
  },
  cluster: { service: "ecs", resource: /^cluster\/[A-Za-z0-9_-]{1,255}$/, regional: true },
} as const;

export type ArnKind = keyof typeof SHAPES;

/** Splits an ARN; `field` names the argument in the error (e.g. `buckets.raw`). */
export function parseArn(arn: string, field: string): ArnParts {
  const m = typeof arn === "string" ? ARN.exec(arn) : null;
  if (!m) {
    throw new AccessPolicyError(
      `${field} is "${String(arn)}", not an ARN; pass the resource's arn output (arn:aws:<service>:<region>:<account>:<resource>)`,
      { path: field },
    );
  }
  return { partition: m[1], service: m[2], region: m[3], account: m[4], resource: m[5] };
}

/** Checks that `arn` is an ARN of `kind` and returns its parts. */
export function requireArn(arn: string, kind: ArnKind, field: string): ArnParts {
  const parts = parseArn(arn, field);
  const shape = SHAPES[kind];
  const regionalOk = shape.regional
    ? parts.region !== "" && parts.account !== ""
    : parts.region === "" && (kind === "role" ? parts.account !== "" : parts.account === "");
  if (parts.service !== shape.service || !regionalOk || !shape.resource.test(parts.resource)) {
    throw new AccessPolicyError(
      `${field} is "${arn}", not a ${kind} ARN of ${shape.service}; pass the ${kind}'s arn output, without wildcards or qualifiers`,
      { path: field },
    );
  }
  return parts;
}

const PIPELINE_NAME = /^[a-z0-9-]{1,40}$/;

/**
 * Pipeline names become key prefixes in IAM patterns (`<pipeline>/*`, `<pipeline>#*`); the
 * spec allows only `[a-z0-9-]`, so a name can never contain a pattern character or reach
 * into another pipeline's keys.
 */
export function requirePipelineName(name: string, field: string): string {
  if (typeof name !== "string" || !PIPELINE_NAME.test(name)) {
    throw new AccessPolicyError(
      `${field} is "${String(name)}", not a pipeline name; use 1 to 40 characters of a-z, 0-9 and - (the spec's name)`,
      { path: field },
    );
  }
  return name;
}

/** `arn:aws:states:r:a:execution:<name>:*`: every execution of one state machine. */
export function executionsOf(stateMachineArn: string, field: string): string {
  const p = requireArn(stateMachineArn, "stateMachine", field);
  const name = p.resource.slice("stateMachine:".length);
  return `arn:${p.partition}:states:${p.region}:${p.account}:execution:${name}:*`;
}

/** `arn:aws:logs:r:a:log-group:<name>:log-stream:*`: the streams of one log group. */
export function logStreamsOf(logGroupArn: string, field: string): string {
  const p = requireArn(stripLogGroupSuffix(logGroupArn), "logGroup", field);
  return `arn:${p.partition}:logs:${p.region}:${p.account}:${p.resource}:log-stream:*`;
}

/** `aws.cloudwatch.LogGroup.arn` ends in `:*` in some provider versions; drop it. */
export function stripLogGroupSuffix(logGroupArn: string): string {
  return typeof logGroupArn === "string" ? logGroupArn.replace(/:\*$/, "") : logGroupArn;
}

/** `s3.eu-west-1.amazonaws.com`: the value `kms:ViaService` compares for a regional service. */
export function viaService(service: "s3" | "dynamodb" | "sns", region: string): string {
  return `${service}.${region}.amazonaws.com`;
}

/** Checks every ARN of a list; the error names the index (`sourceObjectArns[2]`). */
export function requireArns(arns: string[], kind: ArnKind, field: string): void {
  if (!Array.isArray(arns)) {
    throw new AccessPolicyError(`${field} must be a list of ${kind} ARNs`, { path: field });
  }
  for (const [i, arn] of arns.entries()) requireArn(arn, kind, `${field}[${i}]`);
}

/**
 * Named errors of `orchard cloud` and `orchard promote`, and the one function that turns an
 * AWS SDK failure into one of them. Every message says what failed, on which resource, and
 * what to change: a user reading it should not need to know the SDK's error names.
 */
import { OrchardError } from "../../pipeline/errors.ts";

/** No AWS credentials, or expired/invalid ones. */
export class CloudCredentialsError extends OrchardError {}

/** No region could be determined for a call. */
export class CloudRegionError extends OrchardError {}

/** The caller may not perform an action (IAM). The message names the action and resource. */
export class CloudAccessDeniedError extends OrchardError {}

/** The execution ARN names no execution (wrong ARN, other region, or older than 90 days). */
export class ExecutionNotFoundError extends OrchardError {}

/** The state machine named by the stack outputs does not exist (stale outputs file). */
export class StateMachineNotFoundError extends OrchardError {}

/** RedriveExecution refused: the execution is not in a redrivable state. */
export class ExecutionNotRedrivableError extends OrchardError {}

/** The stack outputs are missing, unreadable, or lack an output a command needs. */
export class StackOutputsError extends OrchardError {}

/** The --input of `orchard cloud run` cannot be read or is not a JSON object. */
export class ExecutionInputError extends OrchardError {}

/** Any other failed AWS call, with the action and resource it was about. */
export class CloudRequestError extends OrchardError {}

/** `orchard promote` refused to promote (gate, status, or a lost race): nothing was moved. */
export class PromotionRefusedError extends OrchardError {}

export interface CallContext {
  /** The IAM action, e.g. `states:StartExecution`, `s3:GetObject`. */
  action: string;
  /** The ARN or URI the call was about. */
  resource: string;
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const CREDENTIAL_SETUP =
  "Orchard uses the standard AWS SDK credential chain: run `aws configure` (access keys), or " +
  "`aws sso login --profile NAME` and set AWS_PROFILE=NAME, or export AWS_ACCESS_KEY_ID and " +
  "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials).";

const MISSING_CREDENTIALS = new Set(["CredentialsProviderError", "TokenProviderError"]);
const BAD_CREDENTIALS = new Set([
  "ExpiredTokenException",
  "ExpiredToken",
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
  "InvalidAccessKeyId",
]);
const ACCESS_DENIED = new Set([
  "AccessDeniedException",
  "AccessDenied",
  "UnauthorizedOperation",
  "AuthorizationError",
]);

function shape(err: unknown): SdkErrorShape {
  return typeof err === "object" && err !== null ? (err as SdkErrorShape) : {};
}

/** Maps an SDK failure of the call described by `context` to a named Orchard error. */
export function toCloudError(err: unknown, context: CallContext): unknown {
  if (err instanceof OrchardError) return err;
  const { name = "Error", message = String(err) } = shape(err);
  const status = shape(err).$metadata?.httpStatusCode;
  const call = `${context.action} on ${context.resource}`;
  if (MISSING_CREDENTIALS.has(name) || /could not load credentials/i.test(message)) {
    return new CloudCredentialsError(
      `No AWS credentials were found for ${call}. ${CREDENTIAL_SETUP}`,
      {},
      { cause: err },
    );
  }
  if (BAD_CREDENTIALS.has(name)) {
    return new CloudCredentialsError(
      `AWS rejected the credentials for ${call} (${name}: ${message}). They are expired or ` +
        `invalid: refresh them (e.g. \`aws sso login\`) and try again. ${CREDENTIAL_SETUP}`,
      {},
      { cause: err },
    );
  }
  if (name === "Region is missing" || /region is missing/i.test(message)) {
    return new CloudRegionError(
      `No AWS region is configured for ${call}. Set AWS_REGION (e.g. export AWS_REGION=eu-west-1) ` +
        "or a region in your AWS profile.",
      {},
      { cause: err },
    );
  }
  if (ACCESS_DENIED.has(name) || status === 403) {
    return new CloudAccessDeniedError(
      `Access denied: your AWS identity may not call ${call}. Assume a role that allows ` +
        `"${context.action}" on that resource (the stack's human role, e.g. the output ` +
        `humanRoleArns.platformAdmin), or ask an administrator to grant it. AWS said: ${message}`,
      {},
      { cause: err },
    );
  }
  if (name === "ExecutionDoesNotExist") {
    return new ExecutionNotFoundError(
      `No execution ${context.resource}: check the ARN and its region (executions are kept 90 ` +
        `days). List recent ones with "orchard cloud list <pipeline> --stack <stack>".`,
      {},
      { cause: err },
    );
  }
  if (name === "StateMachineDoesNotExist") {
    return new StateMachineNotFoundError(
      `The state machine ${context.resource} does not exist: the stack outputs are stale or ` +
        "from another account/region. Re-export them (pulumi stack output --json) and try again.",
      {},
      { cause: err },
    );
  }
  if (name === "ExecutionNotRedrivable") {
    return new ExecutionNotRedrivableError(
      `${context.resource} cannot be redriven: ${message}. Only executions that FAILED, ` +
        "TIMED_OUT or were ABORTED within the last 14 days can be redriven; start a new one " +
        'with "orchard cloud run" instead.',
      {},
      { cause: err },
    );
  }
  return new CloudRequestError(
    `${call} failed: ${name}: ${message}${status ? ` (HTTP ${status})` : ""}.`,
    {},
    { cause: err },
  );
}

/** Runs one AWS call and rethrows its failure mapped by `toCloudError`. */
export async function awsCall<T>(context: CallContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toCloudError(err, context);
  }
}

/**
 * Named errors of the storage adapters, and the one function that maps an AWS SDK failure to
 * them. The SDK has already retried (standard mode, 3 attempts) when a failure reaches us, so
 * what is still transient becomes `StorageUnavailableError`, the name the state machine's
 * `Retry` matches with a longer backoff. Missing objects become `ArtifactNotFoundError`. A call
 * IAM refused becomes `StorageAccessDeniedError`: a deployment error (a grant missing from
 * `infra/access/declarations.ts`) that no retry can fix, so the run fails fast naming the
 * operation and resource. Other failures (validation) are programming errors: they pass
 * through unchanged with the SDK's own name and message.
 */

import { ArtifactNotFoundError, OrchardError, TransientError } from "../../pipeline/errors.ts";
import { notFound } from "../../pipeline/store.ts";

export { ArtifactNotFoundError };

/** S3 or DynamoDB is throttling, failing (5xx) or unreachable after the SDK's own retries. */
export class StorageUnavailableError extends TransientError {}

/**
 * S3 or DynamoDB refused the call (403 AccessDenied, AccessDeniedException): the role the code
 * runs as lacks a grant. Not transient: Step Functions does not retry it, the run ends in
 * NotifyFailure with this name and the service's own message (role, action, resource).
 */
export class StorageAccessDeniedError extends OrchardError {}

/** A required environment variable is missing or invalid. The message names it. */
export class ConfigError extends OrchardError {}

const THROTTLING_NAMES = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "TransactionInProgressException",
  "InternalServerError",
  "InternalError",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
]);

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

const NOT_FOUND_NAMES = new Set(["NoSuchKey", "NotFound", "NoSuchBucket"]);

const ACCESS_DENIED_NAMES = new Set(["AccessDenied", "AccessDeniedException", "Forbidden"]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function shape(err: unknown): SdkErrorShape {
  return typeof err === "object" && err !== null ? (err as SdkErrorShape) : {};
}

/** The HTTP status the SDK saw, if any. */
export function httpStatusOf(err: unknown): number | undefined {
  return shape(err).$metadata?.httpStatusCode;
}

export function isTransient(err: unknown): boolean {
  const e = shape(err);
  if (e.name && THROTTLING_NAMES.has(e.name)) return true;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  const status = httpStatusOf(err);
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  // Network failures surface wrapped by the HTTP handler; look one level down.
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== err && NETWORK_CODES.has(shape(cause).code ?? "");
}

export function isNotFound(err: unknown): boolean {
  const e = shape(err);
  return (e.name !== undefined && NOT_FOUND_NAMES.has(e.name)) || httpStatusOf(err) === 404;
}

/** IAM refused the call (S3 answers HEAD with a bare 403, other calls with AccessDenied). */
export function isAccessDenied(err: unknown): boolean {
  const e = shape(err);
  return (e.name !== undefined && ACCESS_DENIED_NAMES.has(e.name)) || httpStatusOf(err) === 403;
}

export interface StorageContext {
  /** What we were doing, e.g. `S3 GetObject` or `DynamoDB BatchWriteItem`. */
  operation: string;
  /** The object the operation was about, for not-found messages. */
  uri?: string;
  /** Where (table or bucket), for unavailable messages. */
  resource?: string;
}

/** Maps an SDK failure to a named Orchard error, keeping the original as `cause`. */
export function toStorageError(err: unknown, context: StorageContext): unknown {
  if (err instanceof OrchardError) return err;
  if (context.uri && isNotFound(err)) return notFound(context.uri, err);
  if (isAccessDenied(err)) {
    const where = context.resource ?? context.uri ?? "storage";
    const said = err instanceof Error && err.message ? `: ${err.message}` : "";
    return new StorageAccessDeniedError(
      `${context.operation} on ${where} was denied (${shape(err).name ?? "HTTP 403"})${said}. ` +
        "The role this code runs as has no grant for it: declare the access in infra/access/declarations.ts beside the call and deploy again; retrying cannot help.",
      {},
      { cause: err },
    );
  }
  if (isTransient(err)) {
    const where = context.resource ?? context.uri ?? "storage";
    const name = shape(err).name ?? "error";
    const status = httpStatusOf(err);
    return new StorageUnavailableError(
      `${context.operation} on ${where} failed after retries (${name}${status ? `, HTTP ${status}` : ""}). ` +
        "The service is throttling or unavailable; the state machine retries the step with backoff, and if it still fails, check the service's health and limits, then run again.",
      {},
      { cause: err },
    );
  }
  return err;
}

/** Runs an SDK call and rethrows its failure mapped by `toStorageError`. */
export async function withStorageErrors<T>(
  context: StorageContext,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toStorageError(err, context);
  }
}

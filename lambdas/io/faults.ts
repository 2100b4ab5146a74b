/**
 * Storage call accounting and fault injection, as AWS SDK v3 middleware on the S3 and DynamoDB
 * clients (`createStorageClients` installs both).
 *
 * Accounting (always on): a middleware outside the SDK's retry loop counts each call and reads
 * `$metadata.attempts`, so a run can say how many SDK retries its storage calls needed.
 *
 * Faults (on when ORCHARD_FAULT_RATE is set, e.g. `ORCHARD_FAULT_RATE=0.2 orchard run …`): a
 * middleware inside the retry loop, below the deserializer, answers a share of attempts itself
 * with an HTTP error response instead of sending the request — 500 InternalError, 503
 * ServiceUnavailable/SlowDown, or a throttling error (S3 503 SlowDown, DynamoDB 400
 * ThrottlingException) in equal parts. The SDK's own deserializer turns that response into the
 * error the service would have sent, so the SDK retries exactly as it would for a real one, and
 * what is left after its retries reaches our adapters (`StorageUnavailableError`) and the state
 * machine's Retry. Faulted attempts never reach the service: nothing is half-written.
 *
 * Which attempts fail is seeded (ORCHARD_FAULT_SEED, default 1) and keyed by the request
 * (operation, bucket/key or table/key) and how many times that request was seen, so the same
 * run meets the same faults however its concurrent calls interleave.
 */

import { createHash } from "node:crypto";
import { deriveSeed } from "../../pipeline/random.ts";
import { ConfigError } from "./errors.ts";

export type StorageService = "s3" | "dynamodb";

export interface FaultOptions {
  /** Share of attempts that fail, in [0, 1]. */
  rate: number;
  seed: number;
}

export interface StorageCallStats {
  /** SDK commands sent (one per `client.send`). */
  calls: number;
  /** HTTP attempts, retries included. */
  attempts: number;
  /** attempts − calls: the retries the SDK made on its own. */
  sdkRetries: number;
  /** Calls that failed after the SDK's retries (404 answers are not failures). */
  failedCalls: number;
  /** Attempts answered by the fault layer. */
  faultsInjected: number;
}

export const FAULT_ENV = { rate: "ORCHARD_FAULT_RATE", seed: "ORCHARD_FAULT_SEED" } as const;

const stats: StorageCallStats = {
  calls: 0,
  attempts: 0,
  sdkRetries: 0,
  failedCalls: 0,
  faultsInjected: 0,
};

/** The process's counters since the last reset (a copy). */
export function storageCallStats(): StorageCallStats {
  return { ...stats };
}

export function resetStorageCallStats(): void {
  stats.calls = 0;
  stats.attempts = 0;
  stats.sdkRetries = 0;
  stats.failedCalls = 0;
  stats.faultsInjected = 0;
}

/** The fault options from the environment; null when ORCHARD_FAULT_RATE is unset or 0. */
export function faultOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): FaultOptions | null {
  const rawRate = env[FAULT_ENV.rate]?.trim();
  if (!rawRate) return null;
  const rate = Number(rawRate.endsWith("%") ? Number(rawRate.slice(0, -1)) / 100 : rawRate);
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new ConfigError(
      `Environment variable ${FAULT_ENV.rate} is "${rawRate}": use a share from 0 to 1 (e.g. 0.2) or a percentage (20%), or unset it.`,
    );
  }
  const rawSeed = env[FAULT_ENV.seed]?.trim() || "1";
  const seed = Number(rawSeed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new ConfigError(
      `Environment variable ${FAULT_ENV.seed} is "${rawSeed}": use an integer from 0 to 4294967295.`,
    );
  }
  return rate === 0 ? null : { rate, seed };
}

// ---------------------------------------------------------------------------------------------
// Middleware
// ---------------------------------------------------------------------------------------------

type Handler = (args: { input: Record<string, unknown>; request?: unknown }) => Promise<{
  output?: unknown;
  response?: unknown;
}>;
type Middleware = (next: Handler, context: { commandName?: string }) => Handler;

/** The part of a client's middleware stack used here (S3Client and DynamoDBClient have it). */
export interface InstrumentableClient {
  middlewareStack: {
    add(middleware: Middleware, options: Record<string, unknown>): void;
  };
}

interface SdkMetadata {
  $metadata?: { attempts?: number };
}

function countingMiddleware(): Middleware {
  return (next) => async (args) => {
    stats.calls++;
    try {
      const result = await next(args);
      record((result.output as SdkMetadata | undefined)?.$metadata?.attempts);
      return result;
    } catch (err) {
      const meta = (err as (SdkMetadata & { $metadata?: { httpStatusCode?: number } }) | null)
        ?.$metadata;
      // A 404 is an answer (HeadObject of a key not written yet), not a failure.
      if (meta?.httpStatusCode !== 404) stats.failedCalls++;
      record(meta?.attempts);
      throw err;
    }
  };
}

function record(attempts: number | undefined): void {
  const n = typeof attempts === "number" && attempts >= 1 ? attempts : 1;
  stats.attempts += n;
  stats.sdkRetries += n - 1;
}

type FaultKind = "internal" | "unavailable" | "throttled";
const KINDS: FaultKind[] = ["internal", "unavailable", "throttled"];

/** The HTTP response each service sends for a fault kind. */
function faultResponse(service: StorageService, kind: FaultKind) {
  const headers: Record<string, string> = { "x-amzn-requestid": "orchard-fault" };
  if (service === "s3") {
    const [statusCode, code, message] = {
      internal: [500, "InternalError", "We encountered an internal error. Please try again."],
      unavailable: [503, "ServiceUnavailable", "Please reduce your request rate."],
      throttled: [503, "SlowDown", "Please reduce your request rate."],
    }[kind] as [number, string, string];
    headers["content-type"] = "application/xml";
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>orchard-fault</RequestId></Error>`;
    return { statusCode, headers, body: new TextEncoder().encode(body) };
  }
  const [statusCode, type, message] = {
    internal: [500, "com.amazon.coral.service#InternalServerError", "Internal server error"],
    unavailable: [503, "com.amazon.coral.availability#ServiceUnavailableException", ""],
    throttled: [
      400,
      "com.amazonaws.dynamodb.v20120810#ThrottlingException",
      "Rate of requests exceeds the allowed throughput.",
    ],
  }[kind] as [number, string, string];
  headers["content-type"] = "application/x-amz-json-1.0";
  headers["x-amzn-errortype"] = type.split("#")[1];
  const body = JSON.stringify({ __type: type, message });
  return { statusCode, headers, body: new TextEncoder().encode(body) };
}

/** What identifies a request across runs: the operation and the object or item it is about. */
function requestIdentity(service: StorageService, command: string, input: Record<string, unknown>) {
  const about = { b: input.Bucket, k: input.Key, t: input.TableName, r: input.RequestItems };
  return `${service}:${command}:${JSON.stringify(about)}`;
}

/** A uniform draw in [0, 1) from (seed, identity, occurrence): the same request, the same fate. */
function draw(seed: number, identity: string, occurrence: number): number {
  const h = createHash("sha256").update(identity).digest();
  return deriveSeed(deriveSeed(seed, h.readUInt32LE(0)), occurrence) / 4294967296;
}

function faultMiddleware(service: StorageService, options: FaultOptions): Middleware {
  const seen = new Map<string, number>();
  return (next, context) => async (args) => {
    const identity = requestIdentity(service, context.commandName ?? "?", args.input ?? {});
    const occurrence = seen.get(identity) ?? 0;
    seen.set(identity, occurrence + 1);
    const u = draw(options.seed, identity, occurrence);
    if (u >= options.rate) return next(args);
    stats.faultsInjected++;
    // Spread the kinds with the same draw: u / rate is uniform in [0, 1) here.
    const kind = KINDS[Math.min(KINDS.length - 1, Math.floor((u / options.rate) * KINDS.length))];
    return { response: faultResponse(service, kind), output: undefined };
  };
}

/**
 * Adds the call counters to `client`, and the fault layer when `faults` is given. Call once per
 * client, right after creating it.
 */
export function instrumentClient(
  client: InstrumentableClient,
  service: StorageService,
  faults: FaultOptions | null,
): void {
  client.middlewareStack.add(countingMiddleware(), {
    name: "orchardCallCounter",
    step: "initialize",
    priority: "high",
  });
  if (!faults) return;
  // Below the deserializer (it parses our response as the service's) and inside the retry loop.
  client.middlewareStack.add(faultMiddleware(service, faults), {
    name: "orchardFaultInjection",
    step: "deserialize",
    priority: "low",
  });
}

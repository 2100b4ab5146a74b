/**
 * Checks of raw stack-config values, shared by the parts of `parseConfig` (infra/config.ts):
 * each failure is an `InfraConfigError` whose message starts with the full key
 * (`Config orchard:pipelines[0].batchUri is …`) and says what to write instead.
 */
import { didYouMean } from "../pipeline/spec/did-you-mean.ts";
import { InfraConfigError } from "./errors.ts";

export function fail(key: string, why: string): never {
  throw new InfraConfigError(`Config ${key} ${why}`, { path: key });
}

export function json(key: string, text: string | undefined): unknown {
  if (text === undefined) fail(key, "is not set: see the deploy guide in README.md.");
  try {
    return JSON.parse(text);
  } catch {
    fail(
      key,
      `is not structured config (${JSON.stringify(text.slice(0, 40))}); write it as YAML in the stack file.`,
    );
  }
}

export function bool(key: string, text: string | undefined, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  if (text === "true" || text === "false") return text === "true";
  fail(key, `is "${text}": use true or false.`);
}

export function checkTimeZone(key: string, zone: unknown): asserts zone is string {
  try {
    if (typeof zone !== "string" || zone === "") throw new RangeError("empty");
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    fail(key, `is ${JSON.stringify(zone)}, not an IANA time zone like "Europe/Berlin" or "UTC".`);
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function checkKeys(
  key: string,
  value: Record<string, unknown>,
  allowed: readonly string[],
): void {
  for (const name of Object.keys(value)) {
    if (!allowed.includes(name)) {
      fail(`${key}.${name}`, `is not a setting here.${didYouMean(name, allowed)}`);
    }
  }
}

export function integer(key: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    fail(key, `is ${JSON.stringify(value)}: use a whole number from ${min} to ${max}.`);
  }
  return value;
}

const BUCKET = "[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]";
const S3_OBJECT = new RegExp(`^s3://${BUCKET}/[^/].*[^/]$`);
const S3_PREFIX = new RegExp(`^s3://${BUCKET}(/.*)?$`);

/**
 * An `s3://` URI of one object (`s3://bucket/path/file.csv`) or of a key prefix
 * (`s3://bucket`, `s3://bucket/`, `s3://bucket/scores/`); `*` and `?` are refused in a prefix,
 * since it becomes an IAM resource pattern.
 */
export function s3Uri(key: string, value: unknown, kind: "object" | "prefix"): string {
  const ok =
    typeof value === "string" &&
    (kind === "object" ? S3_OBJECT.test(value) : S3_PREFIX.test(value) && !/[*?]/.test(value));
  if (!ok) {
    fail(
      key,
      `is ${JSON.stringify(value)}: use ${kind === "object" ? "s3://bucket/path/to/file.csv" : "s3://bucket/prefix/ (no * or ?)"}.`,
    );
  }
  return value;
}

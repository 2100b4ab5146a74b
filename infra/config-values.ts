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

/** Minutes east of UTC of `zone` at the instant `ms` (Node's `longOffset`: "GMT+02:00"). */
const offsetFormats = new Map<string, Intl.DateTimeFormat>();

function offsetMinutes(zone: string, ms: number): number {
  let format = offsetFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" });
    offsetFormats.set(zone, format);
  }
  const name = format.formatToParts(ms).find((p) => p.type === "timeZoneName")?.value;
  const m = /GMT([+-])(\d\d):(\d\d)/.exec(name ?? "");
  return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/**
 * The local times of day (minutes after midnight, [start, end)) that do not exist in `zone`
 * on some day of `years`: the clock jumps over them when daylight saving time starts. Empty for
 * zones without daylight saving time (UTC, Asia/Tokyo).
 */
export function dstGaps(zone: string, years: number[]): [number, number][] {
  const gaps = new Map<string, [number, number]>();
  for (const year of years) {
    const end = Date.UTC(year + 1, 0, 1);
    let before = offsetMinutes(zone, Date.UTC(year, 0, 1));
    // A day apart, then down to the minute: offsets change at most once a day.
    for (let t = Date.UTC(year, 0, 1) + 86_400_000; t <= end; t += 86_400_000) {
      const after = offsetMinutes(zone, t);
      if (after > before) {
        let lo = t - 86_400_000;
        let hi = t;
        while (hi - lo > 60_000) {
          const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
          if (offsetMinutes(zone, mid) === before) lo = mid;
          else hi = mid;
        }
        const local = (((hi / 60_000 + before) % 1440) + 1440) % 1440;
        const gap: [number, number] = [local, local + (after - before)];
        gaps.set(gap.join(), gap);
      }
      before = after;
    }
  }
  return [...gaps.values()];
}

/** Expands one cron field (numbers, lists, ranges, `/` steps) over [min, max]; `*` → null. */
function cronValues(field: string, min: number, max: number): number[] | null {
  if (field.includes("*")) return null;
  const out: number[] = [];
  for (const part of field.split(",")) {
    const [range, stepText] = part.split("/");
    const [a, b] = range.split("-").map(Number);
    const step = stepText === undefined ? 1 : Number(stepText);
    const last = b ?? (stepText === undefined ? a : max);
    if (![a, last, step].every(Number.isInteger) || step < 1) return null;
    for (let v = a; v <= last && v >= min; v += step) out.push(v);
  }
  return out;
}

/**
 * EventBridge Scheduler skips a cron time that does not exist locally on the day daylight saving
 * time starts ("your schedule invocation gets skipped if the cron expression falls on a
 * non-existent date and time", EventBridge Scheduler User Guide, "Daylight savings time"): a
 * nightly `cron(0 2 * * ? *)` in America/New_York silently does not run that day. Refused here
 * for cron schedules with fixed hours; `*` hours (hourly runs lose one run, by design) and
 * rate/at expressions are left alone.
 */
export function checkScheduleOutsideDstGap(
  key: string,
  expression: string,
  zone: string,
  years = [new Date().getUTCFullYear(), new Date().getUTCFullYear() + 1],
): void {
  const m = /^cron\((\S+) (\S+) /.exec(expression);
  if (!m) return;
  const hours = cronValues(m[2], 0, 23);
  const minutes = cronValues(m[1], 0, 59) ?? Array.from({ length: 60 }, (_, i) => i);
  if (!hours) return;
  const gaps = dstGaps(zone, years);
  for (const h of hours) {
    for (const min of minutes) {
      const t = h * 60 + min;
      const gap = gaps.find(([a, b]) => t >= a && t < b);
      if (gap) {
        const hhmm = (x: number) =>
          `${String(Math.floor(x / 60) % 24).padStart(2, "0")}:${String(x % 60).padStart(2, "0")}`;
        fail(
          key,
          `is ${JSON.stringify(expression)}, which runs at ${hhmm(t)} ${zone}: that time does not exist on the day daylight saving time starts (the clock jumps from ${hhmm(gap[0])} to ${hhmm(gap[1])}), and EventBridge Scheduler skips the run. Pick a time outside ${hhmm(gap[0])}–${hhmm(gap[1])}, or a time zone without daylight saving time such as UTC.`,
        );
      }
    }
  }
}

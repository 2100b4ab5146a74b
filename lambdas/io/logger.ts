/**
 * One-line JSON logs for the step handlers: `{"level","time","message",...fields}` per line,
 * which CloudWatch Logs Insights parses without configuration. Written to stderr so that a
 * CLI's stdout stays clean. `ORCHARD_LOG_LEVEL` (debug, info, warn, error, silent; default
 * info) is read when the logger is created.
 */

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
  readonly level: LogLevel;
}

export interface LoggerOptions {
  level?: LogLevel;
  fields?: LogFields;
  /** Where lines go (without the newline); defaults to stderr. */
  write?: (line: string) => void;
  now?: () => Date;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export function parseLogLevel(value: string | undefined): LogLevel {
  const v = value?.trim().toLowerCase();
  return v && v in RANK ? (v as LogLevel) : "info";
}

/** Errors as plain objects (JSON.stringify drops their properties otherwise), causes included. */
function toJson(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    if (value.stack) out.stack = value.stack;
    if (value.cause !== undefined && depth < 5) out.cause = toJson(value.cause, depth + 1);
    return out;
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? parseLogLevel(process.env.ORCHARD_LOG_LEVEL);
  const base = options.fields ?? {};
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => new Date());

  const log = (at: Exclude<LogLevel, "silent">, message: string, fields: LogFields = {}) => {
    if (RANK[at] < RANK[level]) return;
    const entry = { level: at, time: now().toISOString(), message, ...base, ...fields };
    write(JSON.stringify(entry, (_key, v) => toJson(v)));
  };

  return {
    level,
    debug: (m, f) => log("debug", m, f),
    info: (m, f) => log("info", m, f),
    warn: (m, f) => log("warn", m, f),
    error: (m, f) => log("error", m, f),
    child: (fields) => createLogger({ ...options, level, fields: { ...base, ...fields } }),
  };
}

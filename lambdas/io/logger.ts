/**
 * One-line JSON logs for the step handlers: `{"level","time","message",...fields}` per line,
 * which CloudWatch Logs Insights parses without configuration. Written to stderr so that a
 * CLI's stdout stays clean. `ORCHARD_LOG_LEVEL` (debug, info, warn, error, silent; default
 * info) is read when the logger is created.
 *
 * A thin adapter over Powertools for AWS Lambda's Logger (level handling, debug sampling with
 * POWERTOOLS_LOGGER_SAMPLE_RATE, Lambda Advanced Logging Controls, error and bigint
 * serialization): a custom formatter keeps the fields above (no `service`, `timestamp`,
 * `sampling_rate`) and `printLog` is overridden so lines go to `write` (stderr) whatever the
 * level (Powertools' console sends info and debug to stdout) and keep keys whose value is null
 * or "" (Powertools drops them).
 */
import { LogFormatter, LogItem, Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import type {
  LogAttributes,
  LogLevel as PowertoolsLogLevel,
  UnformattedAttributes,
} from "@aws-lambda-powertools/logger/types";

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

/** Errors as plain objects, causes included (the replacer formats nested errors in turn). */
class OrchardLogFormatter extends LogFormatter {
  constructor(private readonly now: () => Date) {
    super();
  }

  formatAttributes(attributes: UnformattedAttributes, fields: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel.toLowerCase(),
        time: this.now().toISOString(),
        message: attributes.message,
        ...fields,
      },
    });
  }

  override formatError(error: Error): LogAttributes {
    const out: LogAttributes = { name: error.name, message: error.message };
    if (error.stack) out.stack = error.stack;
    if (error.cause !== undefined) out.cause = error.cause as LogAttributes[string];
    return out;
  }
}

const stderrWrite = (line: string) => process.stderr.write(`${line}\n`);

class OrchardPowertoolsLogger extends PowertoolsLogger {
  sink: ((line: string) => void) | undefined;

  protected override printLog(_level: number, log: LogItem): void {
    // Not log.prepareForPrint(): it would drop null and "" fields the old logger kept.
    (this.sink ?? stderrWrite)(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? parseLogLevel(process.env.ORCHARD_LOG_LEVEL);
  const powertools = new OrchardPowertoolsLogger({
    logLevel: level.toUpperCase() as PowertoolsLogLevel,
    logFormatter: new OrchardLogFormatter(options.now ?? (() => new Date())),
  });
  powertools.sink = options.write;
  return adapter(powertools, level, options.fields ?? {});
}

/**
 * Children share their parent's Powertools logger and pass their fields with each line:
 * constructing a Powertools Logger costs about half a millisecond, and a child is made per
 * invocation.
 */
function adapter(powertools: PowertoolsLogger, level: LogLevel, base: LogFields): Logger {
  return {
    level,
    debug: (m, f) => powertools.debug(m, { ...base, ...f }),
    info: (m, f) => powertools.info(m, { ...base, ...f }),
    warn: (m, f) => powertools.warn(m, { ...base, ...f }),
    error: (m, f) => powertools.error(m, { ...base, ...f }),
    child: (fields) => adapter(powertools, level, { ...base, ...fields }),
  };
}

/** How the CLI reports an error: one clear line on stderr, no stack trace for known errors. */
import { OrchardError } from "../pipeline/errors.ts";
import { UsageError } from "./args.ts";

export function errorInfo(err: unknown): { name: string; message: string } {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: "Error", message: String(err) };
}

/** Prints the error for `command` and returns its exit code (2 usage, 1 otherwise). */
export function fail(command: string, err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`orchard ${command}: ${err.message}\n`);
    return 2;
  }
  const { name, message } = errorInfo(err);
  const known = err instanceof OrchardError;
  process.stderr.write(`orchard ${command}: ${name}: ${message}\n`);
  if (!known && err instanceof Error && process.env.ORCHARD_DEBUG) {
    process.stderr.write(`${err.stack}\n`);
  }
  return 1;
}

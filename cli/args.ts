/**
 * Argument parsing shared by the subcommands: node's parseArgs, with its errors said in
 * Orchard's words (the option, a did-you-mean, what to type) and usage errors exiting 2.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { closestMatch } from "../pipeline/spec/did-you-mean.ts";

export class UsageError extends Error {
  override name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

// The return type is spelled out for the package's .d.ts: node's own names for it are not exported.
export function parse<T extends Options>(
  argv: string[],
  options: T,
  usage: string,
): ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${explain(err as Error & { code?: string }, options)}\n\n${usage}`);
  }
}

/** The names a user may type: `--name` and `-s` for each option. */
function optionNames(options: Options): string[] {
  return Object.entries(options).flatMap(([name, option]) => [
    `--${name}`,
    ...(option.short ? [`-${option.short}`] : []),
  ]);
}

function explain(err: Error & { code?: string }, options: Options): string {
  const quoted = /'([^']+)'/.exec(err.message)?.[1] ?? "";
  if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const names = optionNames(options);
    const match = closestMatch(quoted, names);
    const hint = match ? `: did you mean ${match}?` : `; options are ${names.join(", ")}`;
    return `unknown option ${quoted}${hint}`;
  }
  if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const option = quoted.split(" ")[0] ?? quoted;
    return / argument missing/.test(err.message)
      ? `option ${option} needs a value: ${option} <value>`
      : `option ${option} takes no value: write ${option} alone`;
  }
  return err.message;
}

/** `unknown <what> "x": did you mean "y"?` for commands and subcommands. */
export function unknownName(what: string, name: string, known: readonly string[]): UsageError {
  const match = closestMatch(name, known);
  return new UsageError(
    `unknown ${what} "${name}"${match ? `: did you mean "${match}"?` : `; ${what}s are ${known.join(", ")}`}`,
  );
}

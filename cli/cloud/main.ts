/**
 * `orchard cloud <subcommand>`: operate the pipelines a stack deployed. Exit codes as
 * `orchard run`: 0 success, 1 the execution (or the call) failed, 2 usage error.
 */
import { unknownName } from "../args.ts";
import { fail } from "../report-error.ts";
import { inspectCommand } from "./inspect.ts";
import { listCommand } from "./list.ts";
import { redriveCommand } from "./redrive.ts";
import { runCommand } from "./run.ts";
import { destroySfnClients } from "./sfn.ts";

export const CLOUD_USAGE = `Usage: orchard cloud <subcommand> [options]

Subcommands:
  run <pipeline> --stack S      start an execution (--wait to follow it)
  status <execution>            state, times and the failing state's error
  history <execution>           every state with its duration, attempts and error
  logs <execution>              CloudWatch log links per Lambda invocation
  redrive <execution>           re-run a failed execution from its failed states
  list <pipeline> --stack S     the pipeline's executions, newest first

Credentials and region come from the standard AWS SDK chain (AWS_PROFILE, AWS_REGION, ...).
Run "orchard cloud <subcommand> --help" for its options.`;

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  run: runCommand,
  status: (argv) => inspectCommand("status", argv),
  history: (argv) => inspectCommand("history", argv),
  logs: (argv) => inspectCommand("logs", argv),
  redrive: redriveCommand,
  list: listCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === "--help" || sub === "-h") {
    process.stdout.write(`${CLOUD_USAGE}\n`);
    return sub ? 0 : 2;
  }
  const command = SUBCOMMANDS[sub];
  if (!command) {
    const error = unknownName("subcommand", sub, Object.keys(SUBCOMMANDS));
    error.message += `\n\n${CLOUD_USAGE}`;
    return fail("cloud", error);
  }
  try {
    return await command(rest);
  } catch (err) {
    return fail(`cloud ${sub}`, err);
  } finally {
    destroySfnClients();
  }
}

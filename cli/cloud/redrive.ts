/**
 * `orchard cloud redrive <execution>`: restarts a failed, timed out or aborted execution from
 * the states that did not succeed (Step Functions RedriveExecution: same execution, same
 * input, succeeded states are not re-run). With --wait, follows it like `cloud run --wait`.
 * Exit codes as `orchard run`.
 */
import { parse, UsageError } from "../args.ts";
import { createProgress } from "../progress.ts";
import { followExecution } from "./follow.ts";
import { historyText, statusJson } from "./format.ts";
import { describeExecution, redriveExecution } from "./sfn.ts";
import { executionArn, STACK_HELP, STACK_OPTIONS } from "./target.ts";

export const REDRIVE_USAGE = `Usage: orchard cloud redrive <execution-arn | name --pipeline P --stack S> [options]

Redrives a failed, timed out or aborted execution: its failed states run again with the
same input; states that succeeded are not re-run.

${STACK_HELP}
  --pipeline NAME   the pipeline, to find an execution given by name
  --wait            follow the redriven execution until it ends; exit 1 if it fails
  --no-progress     with --wait: no per-state progress on stderr
  --poll-seconds N  with --wait: seconds between history polls (default 2)`;

export async function redriveCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...STACK_OPTIONS,
      pipeline: { type: "string" },
      wait: { type: "boolean", default: false },
      "no-progress": { type: "boolean", default: false },
      "poll-seconds": { type: "string", default: "2" },
    },
    REDRIVE_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${REDRIVE_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one execution\n\n${REDRIVE_USAGE}`);
  const arn = await executionArn(positionals[0], values, REDRIVE_USAGE);
  const before = (await describeExecution(arn)).redriveCount ?? 0;
  const { redriveDate } = await redriveExecution(arn);
  if (!values.wait) {
    const out = {
      executionArn: arn,
      redriveDate: redriveDate.toISOString(),
      redriveCount: before + 1,
    };
    process.stdout.write(
      values.json ? `${JSON.stringify(out)}\n` : `Redrove ${arn} at ${out.redriveDate}\n`,
    );
    return 0;
  }
  const progress = createProgress(process.stderr, !values["no-progress"]);
  let followed: Awaited<ReturnType<typeof followExecution>>;
  try {
    followed = await followExecution(arn, {
      onEvent: (e) => progress.onEvent(e),
      pollMs: Number(values["poll-seconds"]) * 1000,
      redrives: before + 1,
    });
  } finally {
    progress.finish();
  }
  const status = statusJson(followed.description, followed.timeline);
  process.stdout.write(
    values.json
      ? `${JSON.stringify(status)}\n`
      : `\nRedriven execution: ${status.status}\n${historyText(followed.timeline)}`,
  );
  if (status.status === "SUCCEEDED") return 0;
  const e = status.error;
  process.stderr.write(
    `orchard cloud redrive: ${e ? `${e.state} failed: ${e.name}: ${e.message}` : status.status}\n`,
  );
  return 1;
}

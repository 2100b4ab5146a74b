/** `orchard cloud list <pipeline>`: the pipeline's executions in the stack, newest first. */
import type { ExecutionStatus } from "@aws-sdk/client-sfn";
import { parse, UsageError } from "../args.ts";
import { listJson, listText } from "./format.ts";
import { listExecutions } from "./sfn.ts";
import { requirePipelineOutput } from "./stack-outputs.ts";
import { onePipeline, STACK_HELP, STACK_OPTIONS, stackOutputs } from "./target.ts";

const STATUSES = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"];

export const LIST_USAGE = `Usage: orchard cloud list <pipeline> (--stack NAME | --outputs FILE) [options]

Lists the pipeline's executions in the stack, newest first.

${STACK_HELP}
  --status STATUS   only executions with this status (${STATUSES.join(", ")})
  --max N           at most N executions (default 20)`;

export async function listCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { ...STACK_OPTIONS, status: { type: "string" }, max: { type: "string", default: "20" } },
    LIST_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${LIST_USAGE}\n`);
    return 0;
  }
  const pipeline = onePipeline(positionals, LIST_USAGE);
  const status = values.status?.toUpperCase();
  if (status !== undefined && !STATUSES.includes(status)) {
    throw new UsageError(`--status must be one of ${STATUSES.join(", ")}\n\n${LIST_USAGE}`);
  }
  const max = Number(values.max);
  if (!Number.isInteger(max) || max < 1) {
    throw new UsageError(`--max must be a whole number ≥ 1\n\n${LIST_USAGE}`);
  }
  const outputs = await stackOutputs(values, LIST_USAGE);
  const machine = requirePipelineOutput(
    outputs,
    pipeline,
    "stateMachineArn",
    "names the state machine whose executions to list",
  );
  const items = await listExecutions(machine, { status: status as ExecutionStatus, max });
  process.stdout.write(
    values.json ? `${JSON.stringify(listJson(items))}\n` : listText(pipeline, items),
  );
  return 0;
}

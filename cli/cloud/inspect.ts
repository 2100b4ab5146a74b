/**
 * `orchard cloud status|history|logs <execution>`: read-only views of one execution.
 *
 * - status: its state, times, what is running, and the failing state's error. Exit 0 when it
 *   succeeded or is still running, 1 when it failed, timed out or was aborted (scriptable).
 * - history: one line per state with its duration, attempts and error (Map iterations
 *   indented), then the failing state's error and Lambda's cause. Exit 0.
 * - logs: per Task attempt, the Lambda function, its log group and a console link to its log
 *   events in the attempt's time window. Exit 0.
 */
import { parse, UsageError } from "../args.ts";
import { followExecution, readExecution } from "./follow.ts";
import { historyJson, historyText, logsText, statusJson, statusText } from "./format.ts";
import { logLinks } from "./log-links.ts";
import {
  executionArn,
  hasStack,
  pipelineOfExecution,
  STACK_HELP,
  STACK_OPTIONS,
  stackOutputs,
} from "./target.ts";

export type InspectView = "status" | "history" | "logs";

const DESCRIPTIONS: Record<InspectView, string> = {
  status: "Shows the execution's status, times, running states and the failing state's error.",
  history: "Shows every state of the execution with its duration, attempts and error.",
  logs: "Links each Lambda invocation of the execution to its CloudWatch log events.",
};

export function inspectUsage(view: InspectView): string {
  return `Usage: orchard cloud ${view} <execution-arn | name --pipeline P --stack S> [options]

${DESCRIPTIONS[view]}

${STACK_HELP}
  --pipeline NAME   the pipeline, to find an execution given by name${view === "logs" ? "\n                    (with --stack/--outputs, log groups come from the outputs)" : ""}${view === "status" ? "\n  --wait            follow the execution until it ends (progress on stderr)" : ""}`;
}

export async function inspectCommand(view: InspectView, argv: string[]): Promise<number> {
  const usage = inspectUsage(view);
  const { values, positionals } = parse(
    argv,
    {
      ...STACK_OPTIONS,
      pipeline: { type: "string" },
      wait: { type: "boolean", default: false },
      "poll-seconds": { type: "string", default: "2" },
    },
    usage,
  );
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one execution\n\n${usage}`);
  if (values.wait && view !== "status") throw new UsageError(`--wait is for status\n\n${usage}`);
  const arn = await executionArn(positionals[0], values, usage);
  const { timeline, description } = values.wait
    ? await followExecution(arn, { pollMs: Number(values["poll-seconds"]) * 1000 })
    : await readExecution(arn);

  if (view === "status") {
    const status = statusJson(description, timeline);
    process.stdout.write(
      values.json ? `${JSON.stringify(status)}\n` : statusText(description, timeline),
    );
    return ["FAILED", "TIMED_OUT", "ABORTED"].includes(status.status) ? 1 : 0;
  }
  if (view === "history") {
    process.stdout.write(
      values.json
        ? `${JSON.stringify({ ...statusJson(description, timeline), states: historyJson(timeline) })}\n`
        : historyText(timeline),
    );
    return 0;
  }
  let logGroups: Record<string, string> = {};
  if (hasStack(values)) {
    const pipeline = pipelineOfExecution(await stackOutputs(values, usage), arn);
    logGroups = pipeline?.outputs.logGroups ?? {};
  }
  const links = logLinks(timeline.states(), logGroups);
  process.stdout.write(
    values.json ? `${JSON.stringify({ executionArn: arn, links })}\n` : logsText(links),
  );
  return 0;
}

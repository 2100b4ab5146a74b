/**
 * AWS console links for an execution and for the log events of each Task attempt. Built from
 * the history alone (no CloudWatch Logs call): the history names the Lambda function each
 * attempt invoked and when, and a step's log group is the stack output
 * `pipelines.<p>.logGroups.<step>` when known, else Lambda's default `/aws/lambda/<function>`.
 * The console filters the group's streams to the attempt's time window (widened a little:
 * Lambda flushes logs after the invocation returns).
 */
import { STEP_NAMES, type StepName, TASK_STATE_OF_STEP } from "../../pipeline/workflow/steps.ts";
import type { CloudStateRecord } from "./history.ts";
import { regionOfArn } from "./stack-outputs.ts";

const BEFORE_MS = 5_000;
const AFTER_MS = 60_000;

/** The console's own escaping of URL fragments: percent-encoding with `$` for `%`. */
function consoleEscape(text: string): string {
  return encodeURIComponent(text).replace(/%/g, "$");
}

export function executionConsoleUrl(executionArn: string): string {
  const region = regionOfArn(executionArn) ?? "us-east-1";
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

export function logEventsConsoleUrl(
  region: string,
  logGroup: string,
  startMs: number,
  endMs: number,
): string {
  const group = consoleEscape(encodeURIComponent(logGroup));
  const query = consoleEscape(`?start=${startMs}&end=${endMs}`);
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${group}/log-events${query}`;
}

/** The function name of a Lambda ARN (without a qualifier), or undefined for other ARNs. */
export function lambdaFunctionName(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:([^:]+)/.exec(arn)?.[1];
}

/** The pipeline step a Task state runs (`TrainCandidate` → `train`). */
export function stepOfState(state: string): StepName | undefined {
  return STEP_NAMES.find((step) => TASK_STATE_OF_STEP[step] === state);
}

export interface LogLink {
  state: string;
  iteration?: number;
  attempt: number;
  /** What the attempt invoked (a Lambda function name or the integration ARN). */
  target: string;
  logGroup: string;
  /** True when the log group came from the stack outputs, false when it is Lambda's default. */
  fromOutputs: boolean;
  error?: string;
  url: string;
}

/** One link per attempt of every Task state that invoked a Lambda function. */
export function logLinks(
  records: CloudStateRecord[],
  logGroups: Record<string, string> = {},
  now = Date.now(),
): LogLink[] {
  const links: LogLink[] = [];
  for (const record of records) {
    record.tries.forEach((attempt, i) => {
      const resource = attempt.resource ?? "";
      const fn = lambdaFunctionName(resource);
      const region = regionOfArn(resource);
      if (!fn || !region) return;
      const step = stepOfState(record.name);
      const known = step ? logGroups[step] : undefined;
      const logGroup = known ?? `/aws/lambda/${fn}`;
      links.push({
        state: record.name,
        ...(record.iteration === undefined ? {} : { iteration: record.iteration }),
        attempt: i + 1,
        target: fn,
        logGroup,
        fromOutputs: known !== undefined,
        ...(attempt.error ? { error: `${attempt.error.name}: ${attempt.error.message}` } : {}),
        url: logEventsConsoleUrl(
          region,
          logGroup,
          attempt.startedAt - BEFORE_MS,
          (attempt.endedAt ?? now) + AFTER_MS,
        ),
      });
    });
  }
  return links;
}

/**
 * Follows an execution: polls its history (only the events after the last one seen), feeds
 * them to a `HistoryTimeline` (and through it to the progress view), and stops when the
 * execution has ended; then reads its final description.
 */
import type { DescribeExecutionOutput } from "@aws-sdk/client-sfn";
import type { ExecutionEvent } from "../local/executor.ts";
import { HistoryTimeline } from "./history.ts";
import { describeExecution, historySince } from "./sfn.ts";

export const DEFAULT_POLL_MS = 2_000;

export interface FollowOptions {
  onEvent?: (event: ExecutionEvent) => void;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * After a redrive the old terminal event is still in the history: keep polling until the
   * history shows this many `ExecutionRedriven` events, so the run being followed is the new one.
   */
  redrives?: number;
}

export interface Followed {
  timeline: HistoryTimeline;
  description: DescribeExecutionOutput;
}

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function followExecution(
  executionArn: string,
  options: FollowOptions = {},
): Promise<Followed> {
  const sleep = options.sleep ?? sleepMs;
  const timeline = new HistoryTimeline(options.onEvent);
  let redrivesSeen = 0;
  for (;;) {
    const events = await historySince(executionArn, timeline.lastEventId);
    redrivesSeen += events.filter((e) => e.type === "ExecutionRedriven").length;
    timeline.addAll(events);
    const current = redrivesSeen >= (options.redrives ?? 0);
    if (current && timeline.status !== "RUNNING") break;
    await sleep(options.pollMs ?? DEFAULT_POLL_MS);
  }
  return { timeline, description: await describeExecution(executionArn) };
}

/** The whole history of an execution, folded, plus its description. */
export async function readExecution(executionArn: string): Promise<Followed> {
  const [events, description] = await Promise.all([
    historySince(executionArn, 0),
    describeExecution(executionArn),
  ]);
  const timeline = new HistoryTimeline();
  timeline.addAll(events);
  return { timeline, description };
}

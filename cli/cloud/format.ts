/**
 * What `orchard cloud` prints: the status of an execution, its per-state timeline, its log
 * links and a list of executions, each as human text (ending with a newline) and as JSON.
 */
import type { DescribeExecutionOutput, ExecutionListItem } from "@aws-sdk/client-sfn";
import type { HistoryTimeline } from "./history.ts";
import { executionConsoleUrl, type LogLink } from "./log-links.ts";

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.round(s - m * 60)}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

const iso = (d: Date | number | undefined) =>
  d === undefined ? "-" : new Date(d).toISOString().replace(/\.\d+Z$/, "Z");

/** The execution's status: SUCCEEDED / FAILED / … from the description, else the history. */
export function executionStatus(description: DescribeExecutionOutput, timeline: HistoryTimeline) {
  return description.status ?? timeline.status;
}

export function statusJson(description: DescribeExecutionOutput, timeline: HistoryTimeline) {
  const failure = timeline.failure();
  const running = timeline.records.filter((r) => r.status === "RUNNING");
  return {
    executionArn: description.executionArn ?? null,
    name: description.name ?? null,
    stateMachineArn: description.stateMachineArn ?? null,
    status: executionStatus(description, timeline),
    startDate: description.startDate ? iso(description.startDate) : null,
    stopDate: description.stopDate ? iso(description.stopDate) : null,
    redriveCount: description.redriveCount ?? 0,
    running: running.map((r) => ({
      state: r.name,
      ...(r.iteration === undefined ? {} : { iteration: r.iteration }),
    })),
    error: failure
      ? { state: failure.state, name: failure.name, message: failure.message, cause: failure.cause }
      : null,
    consoleUrl: description.executionArn ? executionConsoleUrl(description.executionArn) : null,
  };
}

export function statusText(
  description: DescribeExecutionOutput,
  timeline: HistoryTimeline,
  now = Date.now(),
): string {
  const s = statusJson(description, timeline);
  const start = description.startDate?.getTime() ?? timeline.startedAt;
  const stop = description.stopDate?.getTime() ?? timeline.stoppedAt;
  const lines = [`Execution ${s.name ?? s.executionArn}: ${s.status}`];
  lines.push(`  state machine  ${s.stateMachineArn ?? "-"}`);
  const took = start === undefined ? "" : ` (${formatDuration((stop ?? now) - start)})`;
  lines.push(`  started        ${iso(start)}${stop ? `, stopped ${iso(stop)}` : ""}${took}`);
  if (s.redriveCount > 0) lines.push(`  redriven       ${s.redriveCount} time(s)`);
  if (s.running.length > 0) {
    const where = s.running.map((r) =>
      r.iteration === undefined ? r.state : `${r.state}[${r.iteration}]`,
    );
    lines.push(`  running        ${where.join(", ")}`);
  }
  if (s.error) {
    lines.push(`  failed in      ${s.error.state}: ${s.error.name}: ${s.error.message}`);
  }
  if (s.consoleUrl) lines.push(`  console        ${s.consoleUrl}`);
  return `${lines.join("\n")}\n`;
}

export function historyJson(timeline: HistoryTimeline) {
  return timeline.states().map((r) => ({
    state: r.name,
    ...(r.iteration === undefined ? {} : { iteration: r.iteration }),
    type: r.type,
    status: r.status,
    startedAt: iso(r.startedAt),
    durationMs: r.durationMs,
    attempts: r.attempts,
    error: r.error ? { ...r.error, cause: r.cause } : null,
  }));
}

/** One line per state, Map iterations indented under their Map, with durations and errors. */
export function historyText(timeline: HistoryTimeline, now = Date.now()): string {
  const rows = timeline.states().map((r) => {
    const name = r.iteration === undefined ? r.name : `  ${r.name}[${r.iteration}]`;
    const ms = r.status === "RUNNING" ? now - r.startedAt : r.durationMs;
    const retries = r.attempts > 1 ? ` (${r.attempts} attempts)` : "";
    const error = r.error && r.status === "FAILED" ? `  ${r.error.name}: ${r.error.message}` : "";
    return `  ${name.padEnd(22)}${formatDuration(ms).padStart(10)}  ${r.status}${retries}${error}`;
  });
  const failure = timeline.failure();
  const tail = failure ? [`\nFailed in ${failure.state}: ${failure.name}: ${failure.message}`] : [];
  const detail = failure?.cause ? causeDetail(failure.cause, failure.message) : [];
  if (detail.length > 0) tail.push("Cause:", ...detail.map((l) => `  ${l}`));
  return `${["States:", ...rows, ...tail].join("\n")}\n`;
}

export function logsText(links: LogLink[]): string {
  if (links.length === 0) return "No Lambda invocations in this execution yet.\n";
  const lines: string[] = [];
  for (const l of links) {
    const where = l.iteration === undefined ? l.state : `${l.state}[${l.iteration}]`;
    const attempt = l.attempt > 1 ? ` attempt ${l.attempt}` : "";
    const group = l.fromOutputs ? l.logGroup : `${l.logGroup} (Lambda's default log group)`;
    lines.push(`${where}${attempt}: ${l.target}${l.error ? ` failed: ${l.error}` : ""}`);
    lines.push(`  log group ${group}`);
    lines.push(`  ${l.url}`);
  }
  return `${lines.join("\n")}\n`;
}

export function listJson(items: ExecutionListItem[]) {
  return items.map((e) => ({
    name: e.name ?? null,
    executionArn: e.executionArn ?? null,
    status: e.status ?? null,
    startDate: e.startDate ? iso(e.startDate) : null,
    stopDate: e.stopDate ? iso(e.stopDate) : null,
    redriveCount: e.redriveCount ?? 0,
  }));
}

export function listText(pipeline: string, items: ExecutionListItem[]): string {
  if (items.length === 0) return `No executions of pipeline "${pipeline}".\n`;
  const rows = listJson(items).map((e) => [
    e.name ?? "-",
    e.status ?? "-",
    e.startDate ?? "-",
    e.stopDate ?? "-",
    e.redriveCount > 0 ? String(e.redriveCount) : "",
  ]);
  const header = ["name", "status", "started", "stopped", "redrives"];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]))
      .join("  ")
      .trimEnd();
  return `${[`Executions of pipeline "${pipeline}", newest first`, "", line(header), ...rows.map(line)].join("\n")}\n`;
}

/** Lambda's error payload as its stack trace lines; other causes as they are, unless redundant. */
export function causeDetail(cause: string, message: string): string[] {
  try {
    const payload = JSON.parse(cause) as { trace?: unknown };
    if (Array.isArray(payload.trace)) return payload.trace.map(String);
  } catch {
    // Not JSON: an engine error's plain text.
  }
  return cause === message ? [] : [cause];
}

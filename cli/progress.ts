/**
 * Progress of a local execution, on stderr: a live task list on a terminal (one line per
 * state, redrawn in place), plain lines elsewhere (CI logs).
 */
import type { ExecutionEvent } from "./local/executor.ts";

interface Row {
  state: string;
  status: "running" | "done" | "failed" | "retrying";
  startedAt: number;
  endedAt?: number;
  iterations: { total: number; done: number };
  note?: string;
}

export interface ProgressReporter {
  onEvent(event: ExecutionEvent): void;
  /** Stops redrawing (call before printing anything else). */
  finish(): void;
}

export function createProgress(stream: NodeJS.WriteStream, enabled: boolean): ProgressReporter {
  if (!enabled) return { onEvent() {}, finish() {} };
  return stream.isTTY ? liveProgress(stream) : plainProgress(stream);
}

/** The top-level state an event belongs to (Map iterations roll up into their Map). */
function topState(event: ExecutionEvent): string {
  return event.iteration === undefined ? event.state : "Train";
}

function plainProgress(stream: NodeJS.WriteStream): ProgressReporter {
  const started = new Map<string, number>();
  return {
    onEvent(event) {
      const where =
        event.iteration === undefined ? event.state : `${event.state}[${event.iteration}]`;
      if (event.kind === "started") {
        started.set(where, event.timestamp);
        stream.write(`orchard: ${where} started\n`);
      } else if (event.kind === "retried") {
        stream.write(
          `orchard: ${where} attempt ${event.attempt} failed (${event.error?.name}), retrying\n`,
        );
      } else {
        const ms = event.timestamp - (started.get(where) ?? event.timestamp);
        const detail =
          event.kind === "failed" ? `: ${event.error?.name}: ${event.error?.message}` : "";
        stream.write(`orchard: ${where} ${event.kind} in ${ms} ms${detail}\n`);
      }
    },
    finish() {},
  };
}

function liveProgress(stream: NodeJS.WriteStream): ProgressReporter {
  const rows: Row[] = [];
  let drawn = 0;
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let tick = 0;
  const draw = () => {
    tick++;
    const now = Date.now();
    const lines = rows.map((r) => {
      const icon =
        r.status === "done" ? "✔" : r.status === "failed" ? "✖" : frames[tick % frames.length];
      const secs = (((r.endedAt ?? now) - r.startedAt) / 1000).toFixed(1);
      const its = r.iterations.total > 0 ? ` ${r.iterations.done}/${r.iterations.total}` : "";
      return `${icon} ${r.state.padEnd(14)}${secs.padStart(6)}s${its}${r.note ? `  ${r.note}` : ""}`;
    });
    stream.write(
      `${drawn > 0 ? `\x1b[${drawn}A` : ""}${lines.map((l) => `\x1b[2K${l}\n`).join("")}`,
    );
    drawn = lines.length;
  };
  const timer = setInterval(draw, 100);
  timer.unref();
  const rowFor = (state: string, at: number): Row => {
    let row = rows.find((r) => r.state === state);
    if (!row) {
      row = { state, status: "running", startedAt: at, iterations: { total: 0, done: 0 } };
      rows.push(row);
    }
    return row;
  };
  return {
    onEvent(event) {
      const row = rowFor(topState(event), event.timestamp);
      if (event.iteration !== undefined) {
        if (event.kind === "started" && event.attempt === 1) row.iterations.total++;
        if (event.kind === "succeeded") row.iterations.done++;
        if (event.kind === "retried") row.note = `retrying (${event.error?.name})`;
        if (event.kind === "failed") row.status = "failed";
      } else if (event.kind === "started") {
        row.status = "running";
      } else if (event.kind === "retried") {
        row.note = `attempt ${event.attempt} failed (${event.error?.name}), retrying`;
      } else {
        row.status = event.kind === "succeeded" ? "done" : "failed";
        row.endedAt = event.timestamp;
        if (event.kind === "succeeded") row.note = undefined;
      }
      draw();
    },
    finish() {
      clearInterval(timer);
      draw();
    },
  };
}

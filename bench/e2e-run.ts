/**
 * One local run for bench/e2e.ts, in a process of its own so that its peak RSS is the run's:
 * `tsx bench/e2e-run.ts SPEC STATE_DIR`. Prints one JSON object: per top-level state the
 * seconds spent (a state entered several times adds up) and the highest RSS sampled while it
 * ran, the run's status and end state, and the process's peak RSS.
 */
import { runLocally } from "../cli/local/run-pipeline.ts";

const [specPath, stateDir] = process.argv.slice(2);
if (!specPath || !stateDir) throw new Error("usage: tsx bench/e2e-run.ts SPEC STATE_DIR");

const mb = (bytes: number) => bytes / 1024 / 1024;
const running = new Map<string, number>();
const peaks = new Map<string, number>();
const sample = () => {
  const rss = mb(process.memoryUsage.rss());
  for (const state of running.keys()) peaks.set(state, Math.max(peaks.get(state) ?? 0, rss));
};
// Sampling is cheap (one syscall) and catches the peaks between progress events.
const sampler = setInterval(sample, 50);

const started = performance.now();
const run = await runLocally({
  specPath,
  stateDir,
  onEvent: (event) => {
    if (event.iteration !== undefined) return;
    sample();
    if (event.kind === "started") running.set(event.state, 0);
    else running.delete(event.state);
  },
});
const endToEndSeconds = (performance.now() - started) / 1000;
clearInterval(sampler);

const seconds = new Map<string, number>();
for (const s of run.result.states.filter((s) => s.iteration === undefined)) {
  seconds.set(s.name, (seconds.get(s.name) ?? 0) + s.durationMs / 1000);
}
process.stdout.write(
  `${JSON.stringify({
    status: run.result.status,
    endState: run.result.endState,
    error: run.result.error ?? null,
    endToEndSeconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    states: [...seconds].map(([state, s]) => ({
      state,
      seconds: s,
      peakRssMb: peaks.get(state) ?? null,
    })),
  })}\n`,
);

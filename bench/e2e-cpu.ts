/**
 * CPU seconds per state of local runs, for judging a change on a loaded machine (wall time
 * there mostly measures the wait for a core): `tsx bench/e2e-cpu.ts SPEC STATE_DIR [--runs N]`.
 * Runs the pipeline N times (default 1) in one process on the same state directory, so the
 * second run has the first's model as champion (Evaluate re-scores it) and reuses its cached
 * steps. Prints, per run, each top-level state's wall and CPU seconds (process.cpuUsage, which
 * counts every thread of the process, worker threads included). Make the data and spec with
 * `npm run -s bench:e2e -- --keep` (it prints the directory).
 */
import { parseArgs } from "node:util";
import { runLocally } from "../cli/local/run-pipeline.ts";

const { values, positionals } = parseArgs({
  options: { runs: { type: "string", default: "1" } },
  allowPositionals: true,
});
const [specPath, stateDir] = positionals;
if (!specPath || !stateDir)
  throw new Error("usage: tsx bench/e2e-cpu.ts SPEC STATE_DIR [--runs N]");
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

for (let i = 1; i <= Number(values.runs); i++) {
  const cpu = new Map<string, number>();
  const startedAt = new Map<string, number>();
  const started = performance.now();
  const run = await runLocally({
    specPath,
    stateDir,
    onEvent: (event) => {
      if (event.iteration !== undefined) return;
      if (event.kind === "started") startedAt.set(event.state, cpuSeconds());
      else {
        const from = startedAt.get(event.state) ?? cpuSeconds();
        cpu.set(event.state, (cpu.get(event.state) ?? 0) + cpuSeconds() - from);
      }
    },
  });
  const wall = new Map<string, number>();
  for (const s of run.result.states.filter((s) => s.iteration === undefined)) {
    wall.set(s.name, (wall.get(s.name) ?? 0) + s.durationMs / 1000);
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`run ${i}: ${run.result.status}, ${seconds.toFixed(2)} s end to end\n`);
  process.stdout.write("state                 wall s    CPU s\n");
  for (const [state, w] of wall) {
    const c = cpu.get(state) ?? 0;
    process.stdout.write(
      `${state.padEnd(20)} ${w.toFixed(2).padStart(8)} ${c.toFixed(2).padStart(8)}\n`,
    );
  }
}

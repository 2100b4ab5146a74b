/**
 * Measures the reliability figures quoted in the README (not a test; takes a few minutes):
 *   npx tsx test/reliability/measure-figures.ts [--seeds 20]
 * - faults: the example at 20 % injected storage faults over N seeds, in-process with the state
 *   machine's retry waits set to 0 (the number of retries does not depend on the waits);
 * - resume: `orchard run` of a 12-candidate search as a user runs it: a fresh run, a run killed
 *   with SIGKILL after the first Train candidate finished and then rerun, and an unchanged rerun.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { resetRunCounters, runCounters } from "../../cli/local/run-counters.ts";
import { runLocally } from "../../cli/local/run-pipeline.ts";
import { FAULT_ENV } from "../../lambdas/io/faults.ts";
import { buildDefinition } from "../../pipeline/workflow/definition.ts";
import { localResources } from "../../pipeline/workflow/steps.ts";
import { REPO, spawnOrchard } from "./support.ts";

const { values } = parseArgs({ options: { seeds: { type: "string", default: "20" } } });
const EXAMPLE = join(REPO, "examples", "penguins");
const work = await mkdtemp(join(tmpdir(), "orchard-figures-"));
const spec = await readFile(join(EXAMPLE, "pipeline.yaml"), "utf8");
await copyFile(join(EXAMPLE, "penguins.csv"), join(work, "penguins.csv"));

// --- faults ---------------------------------------------------------------------------------
await writeFile(join(work, "pipeline.yaml"), spec);
const states = Object.keys(
  buildDefinition({ pipeline: "penguins" }, localResources("penguins")).States,
);
const waits = Object.fromEntries([...states, "TrainCandidate"].map((s) => [s, 0]));
process.env.ORCHARD_STEP_CACHE = "off";
process.env[FAULT_ENV.rate] = "0.2";
const totals = { runs: 0, succeeded: 0, calls: 0, faults: 0, sdk: 0, machine: 0, maxMachine: 0 };
for (let seed = 1; seed <= Number(values.seeds); seed++) {
  process.env[FAULT_ENV.seed] = String(seed);
  resetRunCounters();
  const run = await runLocally({
    specPath: join(work, "pipeline.yaml"),
    stateDir: join(work, `faults-${seed}`),
    retryIntervalOverrides: waits,
  });
  const c = runCounters(run);
  totals.runs++;
  if (run.result.status === "SUCCEEDED" && run.state?.promote?.promoted) totals.succeeded++;
  totals.calls += c.storage.calls;
  totals.faults += c.storage.faultsInjected;
  totals.sdk += c.storage.sdkRetries;
  totals.machine += c.stateRetries.total;
  totals.maxMachine = Math.max(totals.maxMachine, c.stateRetries.total);
}
delete process.env[FAULT_ENV.rate];
delete process.env.ORCHARD_STEP_CACHE;
console.log("faults at 20 %", totals);

// --- resume ---------------------------------------------------------------------------------
await writeFile(
  join(work, "pipeline.yaml"),
  spec
    .replace("trees: 100", "trees: 300")
    .replace("maxDepth: [4, null]", "maxDepth: [4, 8, null]")
    .replace(
      "    minSamplesLeaf: [1, 3]",
      "    minSamplesLeaf: [1, 3]\n    maxFeatures: [sqrt, 0.5]",
    ),
);
async function timed(state: string, killAfterCandidate = false) {
  const started = Date.now();
  const child = spawnOrchard(["run", "pipeline.yaml", "--state-dir", state], { cwd: work });
  if (killAfterCandidate) {
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (/TrainCandidate\[\d+\] succeeded/.test(child.stderr())) {
          clearInterval(t);
          child.child.kill("SIGKILL");
          resolve();
        }
      }, 2);
    });
  }
  const r = await child.done;
  const steps = r.stdout
    .split("\n")
    .filter((l) => /^ {4}\w+ +\d+ ms/.test(l))
    .reduce((n, l) => n + Number(/(\d+) ms/.exec(l)?.[1]), 0);
  const cache = r.stdout.split("\n").find((l) => l.startsWith("  cache")) ?? "";
  return { ms: Date.now() - started, stepsMs: steps, code: r.code, cache: cache.trim() };
}
const fresh = await timed("fresh");
const killed = await timed("crash", true);
const resumed = await timed("crash");
const unchanged = await timed("crash");
console.log({ fresh, killed, resumed, unchanged });
await rm(work, { recursive: true, force: true });

/**
 * `npm run cost -- [--stack staging|prod] [--duration step=seconds ...] [--json]`: the cost of
 * one run of each pipeline of a stack, from the definition it deploys and the stack config
 * (stacks/Pulumi.<stack>.yaml). Without durations every step is assumed to run to its
 * timeout: an upper bound. Needs no AWS account and no Pulumi CLI.
 */
import { parseArgs } from "node:util";
import { FUNCTION_KEYS, PROJECT_ROOT, parseConfig } from "../infra/config.ts";
import { estimateRunCost, PRICES, type RunCost, runPaths } from "../infra/cost.ts";
import { loadDeploySpecs } from "../infra/specs.ts";
import { readStackFile } from "../infra/stack-file.ts";
import { expandCandidates } from "../pipeline/search/candidates.ts";
import { buildDefinition } from "../pipeline/workflow/definition.ts";
import { localResources, STEP_NAMES, type StepName } from "../pipeline/workflow/steps.ts";

const { values } = parseArgs({
  options: {
    stack: { type: "string", default: "staging" },
    duration: { type: "string", multiple: true, default: [] },
    json: { type: "boolean", default: false },
  },
});

const durations: Partial<Record<StepName, number>> = {};
for (const pair of values.duration ?? []) {
  const [step, seconds] = pair.split("=");
  if (!(STEP_NAMES as readonly string[]).includes(step) || !(Number(seconds) > 0)) {
    console.error(
      `--duration ${pair}: write <step>=<seconds>, step one of ${STEP_NAMES.join(", ")}`,
    );
    process.exit(2);
  }
  durations[step as StepName] = Number(seconds);
}

const stack = values.stack ?? "staging";
const config = parseConfig(readStackFile(PROJECT_ROOT, stack), {
  project: "orchard",
  stack,
  rootDir: PROJECT_ROOT,
});
const lambdaTimeouts = FUNCTION_KEYS.filter(
  (k) => k !== "predict" && config.steps[k].compute === "lambda",
).map((k) => config.steps[k].timeoutSeconds);

const report = loadDeploySpecs(config.pipelines).map((deploy) => {
  const candidates = expandCandidates(
    deploy.spec.model,
    deploy.spec.search,
    deploy.spec.seed,
  ).length;
  const resources = localResources(deploy.name);
  const definition = buildDefinition(
    {
      pipeline: deploy.name,
      trainConcurrency: deploy.config.trainConcurrency,
      taskTimeoutSeconds: Math.max(...lambdaTimeouts, 1),
    },
    resources,
  );
  // Without deploy.batch, BatchScore returns at once: a second, not its 15-minute timeout.
  const runDurations = deploy.batch ? durations : { batchScore: 1, ...durations };
  // One ScoreFiles child (up to 10 files) per promoted run with deploy.batch.
  const fanOut = { shards: deploy.spec.model.shards, batchChildren: deploy.batch ? 1 : 0 };
  const runs = runPaths(definition, resources, candidates, fanOut).map((path) =>
    estimateRunCost(path, config.steps, runDurations),
  );
  return { pipeline: deploy.name, candidates, runs };
});

if (values.json) {
  console.log(
    JSON.stringify({ stack, region: config.region, prices: PRICES, pipelines: report }, null, 2),
  );
} else {
  const usd = (n: number) => `$${n.toFixed(4)}`;
  const basis =
    Object.keys(durations).length > 0
      ? "given durations, else timeouts"
      : "every step at its timeout (upper bound), BatchScore 1 s where the spec has no deploy.batch";
  console.log(`Orchard cost per run, stack ${stack} (${config.region}; list prices; ${basis})`);
  for (const { pipeline, candidates, runs } of report) {
    console.log(`\npipeline ${pipeline}: ${candidates} search candidates`);
    const promoted = runs[0] as RunCost;
    console.log("  step           compute    calls  seconds   GB-s        cost");
    for (const s of promoted.steps) {
      console.log(
        `  ${s.step.padEnd(14)} ${s.compute.padEnd(9)} ${String(s.invocations).padStart(6)} ${String(s.seconds).padStart(8)} ${s.gbSeconds.toFixed(0).padStart(7)} ${usd(s.usd).padStart(11)}`,
      );
    }
    for (const run of runs) {
      console.log(
        `  ${run.outcome.padEnd(13)}: ${run.transitions} state transitions (${usd(run.transitionsUsd)}), ${run.gbSeconds.toFixed(0)} Lambda GB-s, total ${usd(run.usd)}`,
      );
    }
  }
}

/**
 * The grown stack: what a platform team's stack looks like a year in, synthesized beside
 * staging and prod so AWS's limits are judged where they bite. Ten pipelines; every step that
 * may run as a Fargate task runs as one; every spec has a canary, batch scoring and on-drift
 * retraining.
 *
 * A test helper rather than `stacks/Pulumi.grown.yaml`: a stack file is a deployable stack
 * (`pulumi up -s grown`, `orchard synth --stack grown`, the cost script), and its ten specs
 * would have to ship under examples/. Here the specs are generated from the example spec into
 * a temporary directory, and the config is handed to the program whole (`stackValues`).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CONTAINER_STEPS } from "../../lambdas/bundles.ts";
import { runStack, type StackRun } from "./harness.ts";

export const GROWN_STACK = "grown";
export const GROWN_PIPELINES = Array.from(
  { length: 10 },
  (_, i) => `pipeline-${String(i + 1).padStart(2, "0")}`,
);

/**
 * Fargate sizes per container step: the search steps get the most, each a pair Fargate
 * accepts (limits.ts, FARGATE_TASK_SIZES).
 */
const CONTAINER_SIZES: Record<string, { cpu: number; memoryMb: number }> = {
  train: { cpu: 4096, memoryMb: 16384 },
  select: { cpu: 4096, memoryMb: 16384 },
  preprocess: { cpu: 2048, memoryMb: 8192 },
  evaluate: { cpu: 2048, memoryMb: 8192 },
  batchScore: { cpu: 2048, memoryMb: 8192 },
};

/** The example spec under another name, with a canary, batch scoring and on-drift retraining. */
function grownSpec(example: string, name: string): string {
  const body = example
    .replace(/^name: penguins$/m, `name: ${name}`)
    .replace(/^deploy:[\s\S]*$/m, "");
  if (body.includes("name: penguins") || /^(retrain|deploy):/m.test(body)) {
    throw new Error("the example spec changed shape; update test/infra/grown-stack.ts");
  }
  return `${body}retrain: on-drift
deploy:
  canary: { percent: 10, minutes: 30 }
  batch: { inputUri: batch/ }
`;
}

/** The grown stack's config (flat Pulumi keys), its specs written under a temporary directory. */
export function grownStackValues(root: string = process.cwd()): Record<string, string> {
  const example = readFileSync(path.join(root, "examples/penguins/pipeline.yaml"), "utf8");
  const dir = mkdtempSync(path.join(tmpdir(), "orchard-grown-"));
  const pipelines = GROWN_PIPELINES.map((name) => {
    const spec = path.join(dir, `${name}.yaml`);
    writeFileSync(spec, grownSpec(example, name));
    return {
      spec,
      schedule: "cron(0 4 * * ? *)",
      sourceUri: `s3://orchard-landing-example/${name}/data.csv`,
      batchUri: `s3://orchard-landing-example/${name}/batch/`,
    };
  });
  const steps = Object.fromEntries(
    CONTAINER_STEPS.map((step) => [
      step,
      { compute: "container", ...(CONTAINER_SIZES[step] ?? { cpu: 1024, memoryMb: 2048 }) },
    ]),
  );
  return {
    "aws:region": "eu-west-1",
    "orchard:pipelines": JSON.stringify(pipelines),
    "orchard:timeZone": "Europe/Berlin",
    "orchard:logRetentionDays": "90",
    "orchard:protect": "true",
    "orchard:logExecutionData": "false",
    "orchard:alarmEmail": "ml-oncall@example.com",
    "orchard:steps": JSON.stringify(steps),
    "orchard:container": JSON.stringify({
      image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orchard:1.0.0",
      subnets: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
      securityGroups: ["sg-0123456789abcdef0"],
    }),
  };
}

/** Synthesizes the grown stack under the Pulumi mocks (see harness.ts). */
export function runGrownStack(): Promise<StackRun> {
  return runStack(GROWN_STACK, { stackValues: grownStackValues() });
}

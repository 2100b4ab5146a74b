/**
 * The stack outputs `orchard cloud` and `orchard promote` read: the JSON of
 * `pulumi stack output --json -s <stack>`, defined here once. Names (exported by infra/index.ts):
 *
 *   rawBucket, featuresBucket, artifactsBucket   S3 bucket names          (promote)
 *   featureTable, registryTable                   DynamoDB table names     (promote)
 *   region                                        optional; else taken from an ARN below
 *   pipelines.<name>.stateMachineArn              Step Functions ARN       (cloud run, list)
 *   pipelines.<name>.specUri, .sourceUri          the scheduled run input  (cloud run)
 *   pipelines.<name>.batchUri                     optional: BatchScore's prefix, in that input
 *   pipelines.<name>.logGroups.<step>             optional: each step's log group (cloud logs)
 *
 * Anything else (predict URL, role ARNs, key ARN) is allowed and ignored. Each command checks
 * only the outputs it needs, and a missing one is a `StackOutputsError` naming it.
 *
 * Where the outputs come from, first match wins: `--outputs FILE`; the convention file
 * `stacks/outputs/<stack>.json` (write it with
 * `pulumi stack output --json -s <stack> > stacks/outputs/<stack>.json`); the Pulumi
 * Automation API when a Pulumi CLI is installed (`pulumi-outputs.ts`).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import type { StorageConfig } from "../../lambdas/io/env.ts";
import { StackOutputsError } from "./errors.ts";

const nonEmpty = z.string().trim().min(1);

const pipelineOutputsSchema = z.looseObject({
  stateMachineArn: nonEmpty.optional(),
  specUri: nonEmpty.optional(),
  sourceUri: nonEmpty.optional(),
  batchUri: nonEmpty.optional(),
  logGroups: z.record(z.string(), nonEmpty).optional(),
});

const stackOutputsSchema = z.looseObject({
  region: nonEmpty.optional(),
  rawBucket: nonEmpty.optional(),
  featuresBucket: nonEmpty.optional(),
  artifactsBucket: nonEmpty.optional(),
  featureTable: nonEmpty.optional(),
  registryTable: nonEmpty.optional(),
  pipelines: z.record(z.string(), pipelineOutputsSchema).optional(),
});

export type PipelineOutputs = z.infer<typeof pipelineOutputsSchema>;

export interface StackOutputs {
  /** Where the outputs were read from, for messages (a file path or `pulumi stack <name>`). */
  source: string;
  values: z.infer<typeof stackOutputsSchema>;
}

/** The outputs `orchard promote` needs, in the order checked. */
export const STORAGE_OUTPUTS = [
  "rawBucket",
  "featuresBucket",
  "artifactsBucket",
  "featureTable",
  "registryTable",
] as const;

/** The conventional place of a stack's exported outputs, relative to the project. */
export function conventionalOutputsPath(stack: string, cwd = process.cwd()): string {
  return join(resolve(cwd), "stacks", "outputs", `${stack}.json`);
}

/** Validates parsed JSON; a wrong type is a `StackOutputsError` naming the output. */
export function parseStackOutputs(json: unknown, source: string): StackOutputs {
  const parsed = stackOutputsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? `output "${issue.path.join(".")}"` : "the outputs";
    throw new StackOutputsError(
      `Stack outputs ${source}: ${where} is invalid (${issue.message}). Export them again with ` +
        "`pulumi stack output --json -s <stack>`.",
      { file: source, path: issue.path.join(".") || undefined },
    );
  }
  return { source, values: parsed.data };
}

export async function readStackOutputsFile(file: string): Promise<StackOutputs> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new StackOutputsError(
      `Cannot read the stack outputs file ${file}: ${(cause as Error).message}. Export it with ` +
        `\`pulumi stack output --json -s <stack> > ${file}\`.`,
      { file },
      { cause },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new StackOutputsError(
      `The stack outputs file ${file} is not JSON (${(cause as Error).message}). Write it with ` +
        "`pulumi stack output --json -s <stack>` (the --json flag matters).",
      { file },
      { cause },
    );
  }
  return parseStackOutputs(json, file);
}

export interface OutputsLocation {
  /** The stack name (`staging`, `prod`). */
  stack?: string;
  /** An explicit outputs file; wins over everything else. */
  outputsFile?: string;
  cwd?: string;
  /**
   * Reads the outputs through the Pulumi Automation API (injected so tests and machines
   * without a Pulumi CLI never load it). Returns null when no Pulumi CLI is available.
   */
  automation?: (stack: string, cwd: string) => Promise<Record<string, unknown> | null>;
  /** The option that names an outputs file, for messages (default `--outputs`). */
  flag?: string;
}

/** Finds and reads a stack's outputs (see the file comment for the order). */
export async function loadStackOutputs(location: OutputsLocation): Promise<StackOutputs> {
  const cwd = resolve(location.cwd ?? process.cwd());
  if (location.outputsFile) return readStackOutputsFile(resolve(cwd, location.outputsFile));
  const stack = location.stack;
  if (!stack) {
    throw new StackOutputsError(
      "No stack given: pass --stack NAME (with stacks/outputs/NAME.json or a Pulumi CLI) or " +
        "--outputs FILE.",
    );
  }
  const conventional = conventionalOutputsPath(stack, cwd);
  if (existsSync(conventional)) return readStackOutputsFile(conventional);
  const fromPulumi = await location.automation?.(stack, cwd);
  if (fromPulumi) return parseStackOutputs(fromPulumi, `pulumi stack ${stack}`);
  throw new StackOutputsError(
    `No outputs for stack "${stack}": ${conventional} does not exist and no Pulumi CLI is ` +
      `available. Export them with \`pulumi stack output --json -s ${stack} > ${conventional}\` ` +
      `or pass ${location.flag ?? "--outputs"} FILE.`,
    { file: conventional },
  );
}

function missing(outputs: StackOutputs, name: string, why: string): StackOutputsError {
  return new StackOutputsError(
    `Stack outputs ${outputs.source} have no output "${name}", which ${why}. Deploy the stack ` +
      "with the current Orchard Pulumi program (pulumi up), then export the outputs again.",
    { file: outputs.source, path: name },
  );
}

/** The outputs of one pipeline; a `StackOutputsError` listing the known ones when absent. */
export function pipelineOutputs(outputs: StackOutputs, pipeline: string): PipelineOutputs {
  const pipelines = outputs.values.pipelines;
  if (!pipelines) throw missing(outputs, "pipelines", "lists the deployed pipelines");
  const found = pipelines[pipeline];
  if (!found) {
    const known = Object.keys(pipelines);
    throw new StackOutputsError(
      `Stack outputs ${outputs.source} have no pipeline "${pipeline}" (deployed: ` +
        `${known.length > 0 ? known.join(", ") : "none"}). Add its spec to orchard:pipelines ` +
        "in the stack config and deploy, or check the name.",
      { file: outputs.source, path: `pipelines.${pipeline}` },
    );
  }
  return found;
}

/** A named output of a pipeline that a command requires. */
export function requirePipelineOutput(
  outputs: StackOutputs,
  pipeline: string,
  name: "stateMachineArn" | "specUri" | "sourceUri",
  why: string,
): string {
  const value = pipelineOutputs(outputs, pipeline)[name];
  if (!value) throw missing(outputs, `pipelines.${pipeline}.${name}`, why);
  return value;
}

const ARN_REGION = /^arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d):/;

/** The region of an ARN, or undefined. */
export function regionOfArn(arn: string | undefined): string | undefined {
  return arn ? ARN_REGION.exec(arn)?.[1] : undefined;
}

/** The stack's region: the `region` output, else the region of any ARN among the outputs. */
export function regionOfOutputs(outputs: StackOutputs): string | undefined {
  if (outputs.values.region) return outputs.values.region;
  const arns: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === "string" && value.startsWith("arn:")) arns.push(value);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(outputs.values);
  return arns.map(regionOfArn).find((r) => r !== undefined);
}

/** The storage configuration of a stack (what its step functions get as ORCHARD_* variables). */
export function storageConfigFromOutputs(outputs: StackOutputs): StorageConfig {
  const value = (name: (typeof STORAGE_OUTPUTS)[number]) => {
    const v = outputs.values[name];
    if (!v) throw missing(outputs, name, "names the stack's storage that promote copies between");
    return v;
  };
  const config: StorageConfig = {
    buckets: {
      raw: value("rawBucket"),
      features: value("featuresBucket"),
      artifacts: value("artifactsBucket"),
    },
    featureTable: value("featureTable"),
    registryTable: value("registryTable"),
  };
  const region = regionOfOutputs(outputs);
  if (region) config.region = region;
  return config;
}

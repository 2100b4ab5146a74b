/**
 * The stack configuration: the only place the Pulumi program reads config. `parseConfig` is
 * pure over the flat key → text map Pulumi hands a program (`aws:region`, `orchard:pipelines`,
 * …; structured values arrive as JSON text), so the cost script and the tests use the same
 * checks as `pulumi up`. Every error names the full key and says what to set.
 *
 * Keys (namespace `orchard`), defaults in brackets:
 *   aws:region                  required, e.g. eu-west-1
 *   orchard:pipelines           required: [{ spec, schedule?, timeZone?, sourceUri?, uploadSource?,
 *                               batchUri?, trainConcurrency?, enabled? }]; sourceUri (an
 *                               s3:// object) and batchUri (an s3:// prefix) override the
 *                               spec's source.uri and deploy.batch.inputUri in the cloud
 *   orchard:timeZone            [UTC] default IANA time zone of every schedule
 *   orchard:steps               [see STEP_DEFAULTS] per step { compute?, memoryMb?, timeoutSeconds?, cpu? }
 *   orchard:logRetentionDays    [30] one of CloudWatch's allowed values
 *   orchard:shardObjectDays     [7] days until a sharded fit's tree shards expire (1–365)
 *   orchard:protect             [false] protect and deletion-protect stateful resources
 *   orchard:logExecutionData    [true] state machine logs include execution input/output
 *   orchard:alarmEmail          [none] e-mail subscribed to the alert topic
 *   orchard:codeDir             [dist/lambdas] where `npm run build:lambdas` wrote the bundles
 *   orchard:serving             [{ target: lambda }] or { target: kubernetes, image, oidcProviderArn,
 *                               namespace?, replicas?, resources? } (infra/serving.ts)
 *   orchard:container           required when a step has compute: container
 *                               { image, subnets, securityGroups, assignPublicIp? [false] }
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_STEPS } from "../lambdas/bundles.ts";
import { didYouMean } from "../pipeline/spec/did-you-mean.ts";
import { STEP_NAMES, type StepName } from "../pipeline/workflow/steps.ts";
import {
  bool,
  checkKeys,
  checkScheduleOutsideDstGap,
  checkTimeZone,
  fail,
  integer,
  isObject,
  json,
  s3Uri,
} from "./config-values.ts";
import { parseServing, type ServingConfig } from "./serving.ts";

/** Every function the platform deploys: the state machine's steps and predict. */
export type FunctionKey = StepName | "predict";
export const FUNCTION_KEYS: readonly FunctionKey[] = [...STEP_NAMES, "predict"];

export type Compute = "lambda" | "container";

export interface StepSettings {
  compute: Compute;
  /** Lambda memory, or the Fargate task memory (MiB). */
  memoryMb: number;
  /** Lambda timeout, or the Task state's timeout for a container step. */
  timeoutSeconds: number;
  /** Fargate CPU units (container only). */
  cpu: number;
}

export interface PipelineConfig {
  /** The spec path as written in the config (relative to the project root). */
  spec: string;
  /** The spec file, absolute. */
  specFile: string;
  /** The config key prefix of this entry, for messages: `orchard:pipelines[0]`. */
  key: string;
  schedule: string;
  timeZone: string;
  /** Overrides the spec's `source.uri` for cloud runs (s3:// only). */
  sourceUri?: string;
  /**
   * Overrides the spec's `deploy.batch.inputUri` for cloud runs: an `s3://bucket/prefix/`
   * (only with a `deploy.batch` in the spec; without it a local directory deploys as the
   * pipeline's landing prefix in the raw bucket).
   */
  batchUri?: string;
  /** Upload a local `source.uri` file into the raw bucket with the deployment. */
  uploadSource: boolean;
  trainConcurrency?: number;
  /** A disabled schedule still deploys everything; runs start only by hand. */
  enabled: boolean;
}

export interface ContainerConfig {
  image: string;
  subnets: string[];
  securityGroups: string[];
  assignPublicIp: boolean;
}

export interface OrchardConfig {
  project: string;
  stack: string;
  region: string;
  pipelines: PipelineConfig[];
  steps: Record<FunctionKey, StepSettings>;
  logRetentionDays: number;
  /**
   * Days until the lifecycle rule expires a sharded fit's tree shards (`<pipeline>/shards/`):
   * intermediate objects only Assemble reads, in the same execution.
   */
  shardObjectDays: number;
  protect: boolean;
  logExecutionData: boolean;
  alarmEmail?: string;
  /** Absolute directory holding `<bundle>/index.mjs`. */
  codeDir: string;
  container?: ContainerConfig;
  /** Where predictions are served; parseConfig always sets it (default lambda). */
  serving?: ServingConfig;
}

/**
 * Sized for the example pipelines: the search steps (train, select) need the most memory
 * (Lambda CPU scales with memory: 1,769 MB is one vCPU), bookkeeping steps the least.
 */
export const STEP_DEFAULTS: Record<FunctionKey, { memoryMb: number; timeoutSeconds: number }> = {
  ingest: { memoryMb: 1024, timeoutSeconds: 300 },
  validate: { memoryMb: 1024, timeoutSeconds: 300 },
  drift: { memoryMb: 1024, timeoutSeconds: 300 },
  preprocess: { memoryMb: 2048, timeoutSeconds: 600 },
  train: { memoryMb: 3008, timeoutSeconds: 900 },
  select: { memoryMb: 3008, timeoutSeconds: 900 },
  // A shard holds the whole training split like select, grows a share of its trees.
  trainShard: { memoryMb: 3008, timeoutSeconds: 900 },
  assemble: { memoryMb: 3008, timeoutSeconds: 900 },
  evaluate: { memoryMb: 2048, timeoutSeconds: 600 },
  // Reads the data, re-scores the test rows and renders charts (vega): evaluate's size.
  report: { memoryMb: 2048, timeoutSeconds: 600 },
  // Reads a few metric sums and writes two small JSON objects.
  canary: { memoryMb: 256, timeoutSeconds: 60 },
  promote: { memoryMb: 256, timeoutSeconds: 60 },
  // Reads and writes whole files and predicts every row: predict's size, a step's timeout.
  batchScore: { memoryMb: 2048, timeoutSeconds: 900 },
  notifyFailure: { memoryMb: 256, timeoutSeconds: 30 },
  predict: { memoryMb: 1024, timeoutSeconds: 30 },
};

export const DEFAULTS = {
  schedule: "cron(0 3 * * ? *)",
  timeZone: "UTC",
  logRetentionDays: 30,
  // Longer than any execution (Assemble runs minutes to hours after FitShards), short enough
  // that megabytes of trees per run do not pile up.
  shardObjectDays: 7,
  protect: false,
  logExecutionData: true,
  codeDir: "dist/lambdas",
  containerCpu: 1024,
} as const;

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

/**
 * Fargate CPU units and the task memory (MiB) each allows: from the smallest to the largest in
 * fixed steps, plus the listed extra values (Amazon ECS Developer Guide, "Task CPU and memory"
 * for Fargate: 256 → 512, 1024, 2048; 512 → 1024–4096 in 1024 steps; 1024 → 2048–8192,
 * 2048 → 4096–16384, 4096 → 8192–30720 in 1024 steps; 8192 → 16384–61440 in 4096 steps;
 * 16384 → 32768–122880 in 8192 steps). Any other pair is refused by RegisterTaskDefinition.
 */
const FARGATE_MEMORY: Record<number, { min: number; max: number; step: number; extra?: number[] }> =
  {
    256: { min: 1024, max: 2048, step: 1024, extra: [512] },
    512: { min: 1024, max: 4096, step: 1024 },
    1024: { min: 2048, max: 8192, step: 1024 },
    2048: { min: 4096, max: 16384, step: 1024 },
    4096: { min: 8192, max: 30720, step: 1024 },
    8192: { min: 16384, max: 61440, step: 4096 },
    16384: { min: 32768, max: 122880, step: 8192 },
  };

/** Every task memory (MiB) Fargate accepts with `cpu` CPU units, smallest first. */
export function fargateMemoryChoices(cpu: number): number[] {
  const range = FARGATE_MEMORY[cpu];
  if (!range) return [];
  const steps: number[] = [];
  for (let m = range.min; m <= range.max; m += range.step) steps.push(m);
  return [...(range.extra ?? []), ...steps].sort((x, y) => x - y);
}

const KNOWN_KEYS = [
  "pipelines",
  "timeZone",
  "steps",
  "logRetentionDays",
  "shardObjectDays",
  "protect",
  "logExecutionData",
  "alarmEmail",
  "codeDir",
  "container",
  "serving",
] as const;

/** What Pulumi passes a program: full keys (`orchard:protect`), values as text. */
export type ConfigValues = Record<string, string | undefined>;

export interface ConfigContext {
  project: string;
  stack: string;
  /** Spec paths and `codeDir` are relative to this (the directory of Pulumi.yaml). */
  rootDir: string;
}

/** The directory of Pulumi.yaml: spec paths and `orchard:codeDir` are relative to it. */
export const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The running stack's configuration, checked. */
export function readConfig(rootDir: string = PROJECT_ROOT): OrchardConfig {
  return parseConfig(pulumi.runtime.allConfig(), {
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    rootDir,
  });
}

export function parseConfig(values: ConfigValues, context: ConfigContext): OrchardConfig {
  const ns = "orchard";
  for (const key of Object.keys(values)) {
    if (!key.startsWith(`${ns}:`)) continue;
    const name = key.slice(ns.length + 1);
    if (!(KNOWN_KEYS as readonly string[]).includes(name)) {
      fail(key, `is not an Orchard setting.${didYouMean(name, KNOWN_KEYS)}`);
    }
  }
  const get = (name: string) => values[`${ns}:${name}`];

  const region = values["aws:region"];
  if (!region) fail("aws:region", "is not set: run `pulumi config set aws:region eu-west-1`.");
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    fail("aws:region", `is "${region}", not an AWS region name like eu-west-1.`);
  }

  const timeZone = get("timeZone") ?? DEFAULTS.timeZone;
  checkTimeZone(`${ns}:timeZone`, timeZone);
  const config: OrchardConfig = {
    project: context.project,
    stack: context.stack,
    region,
    pipelines: parsePipelines(json(`${ns}:pipelines`, get("pipelines")), timeZone, context),
    steps: parseSteps(json(`${ns}:steps`, get("steps") ?? "{}")),
    logRetentionDays: retention(get("logRetentionDays")),
    shardObjectDays:
      get("shardObjectDays") === undefined
        ? DEFAULTS.shardObjectDays
        : integer(`${ns}:shardObjectDays`, Number(get("shardObjectDays")), 1, 365),
    protect: bool(`${ns}:protect`, get("protect"), DEFAULTS.protect),
    logExecutionData: bool(`${ns}:logExecutionData`, get("logExecutionData"), true),
    codeDir: path.resolve(context.rootDir, get("codeDir") ?? DEFAULTS.codeDir),
    serving: parseServing(
      get("serving") === undefined ? undefined : json(`${ns}:serving`, get("serving")),
    ),
  };
  const email = get("alarmEmail");
  if (email !== undefined && email !== "") {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      fail(`${ns}:alarmEmail`, `is "${email}", not an e-mail address.`);
    }
    config.alarmEmail = email;
  }
  const containerSteps = FUNCTION_KEYS.filter((k) => config.steps[k].compute === "container");
  const container = get("container");
  if (container !== undefined)
    config.container = parseContainer(json(`${ns}:container`, container));
  if (containerSteps.length > 0 && !config.container) {
    fail(
      `${ns}:container`,
      `is not set, but ${containerSteps.map((s) => `orchard:steps.${s}`).join(", ")} use compute: container; set { image, subnets, securityGroups }.`,
    );
  }
  return config;
}

function retention(text: string | undefined): number {
  if (text === undefined) return DEFAULTS.logRetentionDays;
  const days = Number(text);
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(days)) {
    fail("orchard:logRetentionDays", `is "${text}": use one of ${LOG_RETENTION_DAYS.join(", ")}.`);
  }
  return days;
}

const SCHEDULE =
  /^(cron\((\S+ ){5}\S+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\))$/;

function parsePipelines(raw: unknown, timeZone: string, context: ConfigContext): PipelineConfig[] {
  const root = "orchard:pipelines";
  if (!Array.isArray(raw) || raw.length === 0) {
    fail(root, "must list at least one pipeline: [{ spec: examples/penguins/pipeline.yaml }].");
  }
  const allowed = [
    "spec",
    "schedule",
    "timeZone",
    "sourceUri",
    "batchUri",
    "uploadSource",
    "trainConcurrency",
    "enabled",
  ];
  const seen = new Set<string>();
  return raw.map((entry, i) => {
    const key = `${root}[${i}]`;
    if (typeof entry === "string") entry = { spec: entry };
    if (!isObject(entry)) fail(key, "must be a mapping like { spec: path/to/pipeline.yaml }.");
    checkKeys(key, entry, allowed);
    if (typeof entry.spec !== "string" || entry.spec === "") {
      fail(`${key}.spec`, "is not set: give the pipeline spec file, relative to Pulumi.yaml.");
    }
    const specFile = path.resolve(context.rootDir, entry.spec);
    if (seen.has(specFile)) fail(`${key}.spec`, `lists ${entry.spec} a second time.`);
    seen.add(specFile);
    const schedule = entry.schedule ?? DEFAULTS.schedule;
    if (typeof schedule !== "string" || !SCHEDULE.test(schedule)) {
      fail(
        `${key}.schedule`,
        `is ${JSON.stringify(schedule)}: use an EventBridge Scheduler expression like "cron(0 3 * * ? *)" or "rate(1 day)".`,
      );
    }
    const zone = entry.timeZone ?? timeZone;
    checkTimeZone(`${key}.timeZone`, zone);
    checkScheduleOutsideDstGap(`${key}.schedule`, schedule, zone);
    const pipeline: PipelineConfig = {
      spec: entry.spec,
      specFile,
      key,
      schedule,
      timeZone: zone,
      uploadSource: false,
      enabled: true,
    };
    if (entry.sourceUri !== undefined) {
      pipeline.sourceUri = s3Uri(`${key}.sourceUri`, entry.sourceUri, "object");
    }
    if (entry.batchUri !== undefined) {
      pipeline.batchUri = s3Uri(`${key}.batchUri`, entry.batchUri, "prefix");
    }
    for (const flag of ["uploadSource", "enabled"] as const) {
      if (entry[flag] === undefined) continue;
      if (typeof entry[flag] !== "boolean") fail(`${key}.${flag}`, "must be true or false.");
      pipeline[flag] = entry[flag];
    }
    if (pipeline.sourceUri && pipeline.uploadSource) {
      fail(`${key}.uploadSource`, "and sourceUri are both set: keep one.");
    }
    if (entry.trainConcurrency !== undefined) {
      pipeline.trainConcurrency = integer(`${key}.trainConcurrency`, entry.trainConcurrency, 1, 40);
    }
    return pipeline;
  });
}

function parseSteps(raw: unknown): Record<FunctionKey, StepSettings> {
  const root = "orchard:steps";
  if (!isObject(raw))
    fail(root, "must be a mapping from step name to { memoryMb, timeoutSeconds, compute }.");
  checkKeys(root, raw, FUNCTION_KEYS);
  const steps = {} as Record<FunctionKey, StepSettings>;
  for (const step of FUNCTION_KEYS) {
    const key = `${root}.${step}`;
    const entry = raw[step] ?? {};
    if (!isObject(entry))
      fail(key, "must be a mapping like { memoryMb: 2048, timeoutSeconds: 600 }.");
    checkKeys(key, entry, ["compute", "memoryMb", "timeoutSeconds", "cpu"]);
    const compute = entry.compute ?? "lambda";
    if (compute !== "lambda" && compute !== "container") {
      fail(`${key}.compute`, `is ${JSON.stringify(compute)}: use lambda or container.`);
    }
    if (compute === "container" && !(CONTAINER_STEPS as readonly string[]).includes(step)) {
      fail(`${key}.compute`, `is container, but ${step} runs only as a Lambda.`);
    }
    const defaults = STEP_DEFAULTS[step];
    if (compute === "lambda") {
      if (entry.cpu !== undefined) fail(`${key}.cpu`, "applies to compute: container only.");
      steps[step] = {
        compute,
        memoryMb: integer(`${key}.memoryMb`, entry.memoryMb ?? defaults.memoryMb, 128, 10240),
        timeoutSeconds: integer(
          `${key}.timeoutSeconds`,
          entry.timeoutSeconds ?? defaults.timeoutSeconds,
          1,
          900,
        ),
        cpu: 0,
      };
      continue;
    }
    const cpu = entry.cpu ?? DEFAULTS.containerCpu;
    const range = typeof cpu === "number" ? FARGATE_MEMORY[cpu] : undefined;
    if (!range)
      fail(
        `${key}.cpu`,
        `is ${JSON.stringify(cpu)}: use one of ${Object.keys(FARGATE_MEMORY).join(", ")}.`,
      );
    const choices = fargateMemoryChoices(cpu as number);
    const memoryMb = entry.memoryMb ?? choices[0];
    if (typeof memoryMb !== "number" || !choices.includes(memoryMb)) {
      fail(
        `${key}.memoryMb`,
        `is ${JSON.stringify(memoryMb)}, which Fargate does not run with cpu ${cpu}: use one of ${choices.join(", ")} (MiB), or another cpu.`,
      );
    }
    steps[step] = {
      compute,
      cpu: cpu as number,
      memoryMb,
      timeoutSeconds: integer(`${key}.timeoutSeconds`, entry.timeoutSeconds ?? 3600, 60, 86400),
    };
  }
  return steps;
}

function parseContainer(raw: unknown): ContainerConfig {
  const key = "orchard:container";
  if (!isObject(raw)) fail(key, "must be a mapping { image, subnets, securityGroups }.");
  checkKeys(key, raw, ["image", "subnets", "securityGroups", "assignPublicIp"]);
  if (typeof raw.image !== "string" || raw.image === "") {
    fail(`${key}.image`, "is not set: give the image URI that runs the Orchard step handlers.");
  }
  const ids = (name: "subnets" | "securityGroups", prefix: string): string[] => {
    const list = raw[name];
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      !list.every((id) => typeof id === "string" && id.startsWith(prefix))
    ) {
      fail(`${key}.${name}`, `must list at least one id like "${prefix}0123456789abcdef0".`);
    }
    return list as string[];
  };
  const assignPublicIp = raw.assignPublicIp ?? false;
  if (typeof assignPublicIp !== "boolean") fail(`${key}.assignPublicIp`, "must be true or false.");
  return {
    image: raw.image,
    subnets: ids("subnets", "subnet-"),
    securityGroups: ids("securityGroups", "sg-"),
    assignPublicIp,
  };
}

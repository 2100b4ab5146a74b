/**
 * Serving: a pipeline's predict Lambda (a PipelineStep that publishes a version on each code
 * change), its `live` alias and a function URL on that alias with AWS_IAM auth: callers sign
 * requests and need lambda:InvokeFunctionUrl (the data-scientist role has it).
 *
 * Each deploy points `live` at the newly published version. Predict reads the champion from
 * the registry per request (and the canary split from `serving/traffic.json`), so a promotion
 * reaches serving without moving the alias: promote's role holds no Lambda actions.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LIVE_ALIAS } from "./access/policies.ts";
import type { StepSettings } from "./config.ts";
import { InfraConfigError } from "./errors.ts";
import { PipelineStep } from "./pipeline-step.ts";

/**
 * Where predictions are served (`orchard:serving`). `lambda` (the default): the function URL
 * below. `kubernetes`: additionally a Deployment of `orchard serve` in an existing cluster
 * (infra/kubernetes.ts); the Lambda stays deployed (it costs nothing idle, and the
 * data-scientist role's invoke grant names it).
 *
 *   orchard:serving:
 *     target: kubernetes
 *     image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/orchard:0.1.0
 *     oidcProviderArn: arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC
 *     namespace: orchard            # default orchard
 *     replicas: { min: 2, max: 10 } # default 2..6
 *     resources: { cpu: 500m, memory: 512Mi }
 */
export type ServingConfig =
  | { target: "lambda" }
  | { target: "kubernetes"; kubernetes: KubernetesConfig };

export interface KubernetesConfig {
  image: string;
  /** The cluster's IAM OIDC provider: the pods' service account assumes a role through it. */
  oidcProviderArn: string;
  namespace: string;
  replicas: { min: number; max: number };
  resources: { cpu: string; memory: string };
  /** The HorizontalPodAutoscaler's CPU utilization target, percent of the request. */
  targetCpuPercent: number;
}

export const KUBERNETES_DEFAULTS = {
  namespace: "orchard",
  replicas: { min: 2, max: 6 },
  resources: { cpu: "500m", memory: "512Mi" },
  targetCpuPercent: 70,
} as const;

const KEY = "orchard:serving";

function bad(key: string, why: string): never {
  throw new InfraConfigError(`Config ${key} ${why}`, { path: key });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function only(key: string, value: Record<string, unknown>, allowed: string[]): void {
  for (const name of Object.keys(value)) {
    if (!allowed.includes(name))
      bad(`${key}.${name}`, `is not a setting here; use ${allowed.join(", ")}.`);
  }
}

/** Parses `orchard:serving` (already JSON-decoded; undefined: the Lambda default). */
export function parseServing(raw: unknown): ServingConfig {
  if (raw === undefined) return { target: "lambda" };
  if (!isObject(raw))
    bad(
      KEY,
      "must be a mapping like { target: lambda } or { target: kubernetes, image, oidcProviderArn }.",
    );
  const target = raw.target ?? "lambda";
  if (target === "lambda") {
    only(KEY, raw, ["target"]);
    return { target };
  }
  if (target !== "kubernetes")
    bad(`${KEY}.target`, `is ${JSON.stringify(target)}: use lambda or kubernetes.`);
  only(KEY, raw, [
    "target",
    "image",
    "oidcProviderArn",
    "namespace",
    "replicas",
    "resources",
    "targetCpuPercent",
  ]);
  if (typeof raw.image !== "string" || !/^\S+$/.test(raw.image)) {
    bad(
      `${KEY}.image`,
      "is not set: give the image built from the Dockerfile, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/orchard:0.1.0.",
    );
  }
  if (
    typeof raw.oidcProviderArn !== "string" ||
    !/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/.test(raw.oidcProviderArn)
  ) {
    bad(
      `${KEY}.oidcProviderArn`,
      "is not an IAM OIDC provider ARN like arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC (aws eks describe-cluster shows the issuer).",
    );
  }
  const namespace = raw.namespace ?? KUBERNETES_DEFAULTS.namespace;
  if (typeof namespace !== "string" || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    bad(
      `${KEY}.namespace`,
      `is ${JSON.stringify(namespace)}: use a DNS label (lowercase letters, digits, hyphens).`,
    );
  }
  const replicas = raw.replicas ?? KUBERNETES_DEFAULTS.replicas;
  if (!isObject(replicas)) bad(`${KEY}.replicas`, "must be a mapping { min, max }.");
  only(`${KEY}.replicas`, replicas, ["min", "max"]);
  const min = replicas.min ?? KUBERNETES_DEFAULTS.replicas.min;
  const max = replicas.max ?? Math.max(KUBERNETES_DEFAULTS.replicas.max, Number(min));
  if (!Number.isInteger(min) || (min as number) < 1 || (min as number) > 100)
    bad(`${KEY}.replicas.min`, `is ${JSON.stringify(min)}: use a whole number from 1 to 100.`);
  if (!Number.isInteger(max) || (max as number) < (min as number) || (max as number) > 100)
    bad(
      `${KEY}.replicas.max`,
      `is ${JSON.stringify(max)}: use a whole number from replicas.min (${min}) to 100.`,
    );
  const resources = raw.resources ?? KUBERNETES_DEFAULTS.resources;
  if (!isObject(resources)) bad(`${KEY}.resources`, "must be a mapping { cpu, memory }.");
  only(`${KEY}.resources`, resources, ["cpu", "memory"]);
  const cpu = resources.cpu ?? KUBERNETES_DEFAULTS.resources.cpu;
  const memory = resources.memory ?? KUBERNETES_DEFAULTS.resources.memory;
  if (typeof cpu !== "string" || !/^\d+(\.\d+)?m?$/.test(cpu))
    bad(
      `${KEY}.resources.cpu`,
      `is ${JSON.stringify(cpu)}: use a Kubernetes CPU quantity like 500m or 1.`,
    );
  if (typeof memory !== "string" || !/^\d+(Ki|Mi|Gi)$/.test(memory))
    bad(
      `${KEY}.resources.memory`,
      `is ${JSON.stringify(memory)}: use a Kubernetes memory quantity like 512Mi or 1Gi.`,
    );
  const targetCpuPercent = raw.targetCpuPercent ?? KUBERNETES_DEFAULTS.targetCpuPercent;
  if (
    !Number.isInteger(targetCpuPercent) ||
    (targetCpuPercent as number) < 10 ||
    (targetCpuPercent as number) > 100
  ) {
    bad(
      `${KEY}.targetCpuPercent`,
      `is ${JSON.stringify(targetCpuPercent)}: use a whole number from 10 to 100.`,
    );
  }
  return {
    target,
    kubernetes: {
      image: raw.image,
      oidcProviderArn: raw.oidcProviderArn,
      namespace,
      replicas: { min: min as number, max: max as number },
      resources: { cpu, memory },
      targetCpuPercent: targetCpuPercent as number,
    },
  };
}

export interface ServingArgs {
  pipeline: string;
  settings: StepSettings;
  role: aws.iam.Role;
  code: pulumi.asset.Archive;
  environment: Record<string, pulumi.Input<string>>;
  logRetentionDays: number;
  /** The KMS key that encrypts the log group (the data-lake key). */
  logKeyArn?: pulumi.Input<string>;
}

export class Serving extends pulumi.ComponentResource {
  readonly step: PipelineStep;
  readonly function: aws.lambda.Function;
  readonly alias: aws.lambda.Alias;
  readonly url: aws.lambda.FunctionUrl;

  constructor(name: string, args: ServingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("orchard:serving:Serving", name, {}, opts);
    if (args.settings.compute !== "lambda") {
      throw new Error(
        `Serving ${name}: predict runs as a Lambda (compute is ${args.settings.compute})`,
      );
    }
    const child = { parent: this };
    this.step = new PipelineStep(
      `${name}-predict`,
      {
        pipeline: args.pipeline,
        step: "predict",
        settings: args.settings,
        role: args.role,
        code: args.code,
        environment: { ...args.environment, ORCHARD_PIPELINE: args.pipeline },
        logRetentionDays: args.logRetentionDays,
        logKeyArn: args.logKeyArn,
        publish: true,
      },
      child,
    );
    this.function = this.step.function!;
    this.alias = new aws.lambda.Alias(
      `${name}-live`,
      {
        name: LIVE_ALIAS,
        description: `Orchard ${args.pipeline}: the version serving predictions`,
        functionName: this.function.name,
        functionVersion: this.function.version,
      },
      child,
    );
    this.url = new aws.lambda.FunctionUrl(
      `${name}-url`,
      {
        functionName: this.function.name,
        qualifier: this.alias.name,
        authorizationType: "AWS_IAM",
      },
      child,
    );
    this.registerOutputs({ url: this.url.functionUrl, functionArn: this.function.arn });
  }
}

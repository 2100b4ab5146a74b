/**
 * PipelineStep: where one step's code runs. By default a Lambda function from the step's
 * esbuild bundle (`dist/lambdas/<bundle>/`: Node.js 22, arm64, X-Ray active, JSON logs into a
 * log group with the stack's retention). With `compute: container` it is a Fargate task
 * definition (plus its cluster) running the same handler code from a container image.
 *
 * The container contract (what the image must do; `lambdas/container-runner.ts` does it, as
 * the task's entry point): read the step from ORCHARD_STEP, the state from the S3 object
 * ORCHARD_EVENT_BUCKET/ORCHARD_EVENT_KEY and the task token from ORCHARD_TASK_TOKEN, send
 * heartbeats, run the handler, and report with SendTaskSuccess (the handler's result) or
 * SendTaskFailure (the error name and message). The state machine uses
 * `ecs:runTask.waitForTaskToken` rather than `.sync`: `.sync` returns ECS's DescribeTasks
 * response as the Task's result, so the step's output (the references later steps read under
 * `$.<step>`) would be lost. ECS limits overrides to 8 KiB, which a whole state can pass (the
 * Train Map's results alone), so the state machine stores the input in S3 first and the
 * overrides carry its key (infra/cloud-definition.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { containerInputPrefix } from "./cloud-definition.ts";
import type { ContainerConfig, FunctionKey, StepSettings } from "./config.ts";
import { stepLogGroupPrefix } from "./log-group-names.ts";
import { componentTags } from "./tags.ts";

export const LAMBDA_RUNTIME = "nodejs22.x";
export const LAMBDA_ARCHITECTURE = "arm64";
/** The container's name inside each task definition; the state machine overrides it by name. */
export const STEP_CONTAINER_NAME = "step";

/**
 * What a step's container runs: the container runner (lambdas/container-runner.ts) as the image
 * holds it, compiled into lib/ (no sources, no tsx), from the image's WORKDIR (/app in the
 * Dockerfile). Set as the entry point, not as the command: the
 * image's ENTRYPOINT is `node bin/orchard.js` with CMD `serve …` (the Kubernetes serving
 * image), so without it every step task ran `orchard serve` and never reported. Docker does
 * not inherit the image's CMD when the entry point is overridden.
 */
export const CONTAINER_RUNNER_ENTRY_POINT = ["node", "lib/lambdas/container-runner.js"] as const;

export interface PipelineStepArgs {
  pipeline: string;
  step: FunctionKey;
  settings: StepSettings;
  /** The Lambda execution role, or the task role of a container step. */
  role: aws.iam.Role;
  /** The bundle for a Lambda step (see infra/code.ts). */
  code?: pulumi.asset.Archive;
  environment: Record<string, pulumi.Input<string>>;
  logRetentionDays: number;
  /** The KMS key that encrypts the step's log group (the data-lake key). */
  logKeyArn?: pulumi.Input<string>;
  /** Publish a version on each code change (predict: its `live` alias points at versions). */
  publish?: boolean;
  /** Required for `compute: container`. */
  container?: {
    config: ContainerConfig;
    executionRole: aws.iam.Role;
    region: string;
    /** The pipeline's cluster (see `createStepCluster`), shared by its container steps. */
    cluster: aws.ecs.Cluster;
    /**
     * The bucket the state machine stores each container step's input in (under
     * `<pipeline>/container-inputs/`) and the key that encrypts it: the runner reads it.
     */
    inputs: { bucketArn: pulumi.Input<string>; keyArn: pulumi.Input<string> };
  };
}

/** How the state machine invokes a step. */
export type StepTarget =
  | { kind: "lambda"; functionArn: pulumi.Output<string> }
  | {
      kind: "container";
      clusterArn: pulumi.Output<string>;
      taskDefinitionArn: pulumi.Output<string>;
      taskRoleArn: pulumi.Output<string>;
      executionRoleArn: pulumi.Output<string>;
      network: { subnets: string[]; securityGroups: string[]; assignPublicIp: boolean };
      timeoutSeconds: number;
    };

/** The Fargate cluster a pipeline's container steps run in (clusters cost nothing idle). */
export function createStepCluster(
  name: string,
  pipeline: string,
  opts: pulumi.CustomResourceOptions,
): aws.ecs.Cluster {
  return new aws.ecs.Cluster(
    name,
    {
      settings: [{ name: "containerInsights", value: "enabled" }],
      tags: componentTags("pipeline-step", { pipeline }),
    },
    opts,
  );
}

export class PipelineStep extends pulumi.ComponentResource {
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly function?: aws.lambda.Function;
  readonly cluster?: aws.ecs.Cluster;
  readonly taskDefinition?: aws.ecs.TaskDefinition;
  readonly target: StepTarget;

  constructor(name: string, args: PipelineStepArgs, opts?: pulumi.ComponentResourceOptions) {
    super("orchard:compute:PipelineStep", name, {}, opts);
    const child = { parent: this };
    const tags = componentTags("pipeline-step", { pipeline: args.pipeline, step: args.step });
    const { settings } = args;

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        namePrefix: stepLogGroupPrefix(pulumi.getStack(), args.pipeline, args.step),
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.logKeyArn,
        tags,
      },
      child,
    );

    if (settings.compute === "lambda") {
      if (!args.code) throw new Error(`PipelineStep ${name}: code is required for a Lambda step`);
      const fn = new aws.lambda.Function(
        `${name}-fn`,
        {
          runtime: LAMBDA_RUNTIME,
          architectures: [LAMBDA_ARCHITECTURE],
          handler: "index.handler",
          code: args.code,
          role: args.role.arn,
          memorySize: settings.memoryMb,
          timeout: settings.timeoutSeconds,
          environment: {
            variables: { NODE_OPTIONS: "--enable-source-maps", ...args.environment },
          },
          tracingConfig: { mode: "Active" },
          loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
          publish: args.publish ?? false,
          tags,
        },
        { parent: this, dependsOn: [this.logGroup] },
      );
      this.function = fn;
      this.target = { kind: "lambda", functionArn: fn.arn };
    } else {
      const container = args.container;
      if (!container) {
        throw new Error(
          `PipelineStep ${name}: container settings are required for compute: container`,
        );
      }
      this.cluster = container.cluster;
      // The runner reads its input from where the state machine stored it, and reports its
      // result with the task token. SendTask* support no resource-level permissions (the
      // token itself names the execution): `*`.
      new aws.iam.RolePolicy(
        `${name}-task-token`,
        {
          role: args.role.id,
          policy: pulumi
            .all([
              pulumi.output(container.inputs.bucketArn),
              pulumi.output(container.inputs.keyArn),
            ])
            .apply(([bucketArn, keyArn]) =>
              JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                  {
                    Sid: "ReportTaskResult",
                    Effect: "Allow",
                    Action: [
                      "states:SendTaskSuccess",
                      "states:SendTaskFailure",
                      "states:SendTaskHeartbeat",
                    ],
                    Resource: ["*"],
                  },
                  {
                    Sid: "ReadContainerInput",
                    Effect: "Allow",
                    Action: ["s3:GetObject"],
                    Resource: [`${bucketArn}/${containerInputPrefix(args.pipeline)}*`],
                  },
                  {
                    Sid: "DecryptContainerInput",
                    Effect: "Allow",
                    Action: ["kms:Decrypt"],
                    Resource: [keyArn],
                    Condition: {
                      StringEquals: { "kms:ViaService": `s3.${container.region}.amazonaws.com` },
                    },
                  },
                ],
              }),
            ),
        },
        child,
      );
      const definitions = pulumi
        .all([this.logGroup.name, pulumi.output(args.environment)])
        .apply(([logGroup, environment]) =>
          JSON.stringify([
            {
              name: STEP_CONTAINER_NAME,
              image: container.config.image,
              entryPoint: [...CONTAINER_RUNNER_ENTRY_POINT],
              essential: true,
              environment: Object.entries({ ...environment, ORCHARD_STEP: args.step })
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([key, value]) => ({ name: key, value })),
              logConfiguration: {
                logDriver: "awslogs",
                options: {
                  "awslogs-group": logGroup,
                  "awslogs-region": container.region,
                  "awslogs-stream-prefix": args.step,
                },
              },
            },
          ]),
        );
      this.taskDefinition = new aws.ecs.TaskDefinition(
        `${name}-task`,
        {
          family: `orchard-${pulumi.getStack()}-${args.pipeline}-${args.step}`,
          cpu: String(settings.cpu),
          memory: String(settings.memoryMb),
          networkMode: "awsvpc",
          requiresCompatibilities: ["FARGATE"],
          runtimePlatform: { cpuArchitecture: "ARM64", operatingSystemFamily: "LINUX" },
          executionRoleArn: container.executionRole.arn,
          taskRoleArn: args.role.arn,
          containerDefinitions: definitions,
          tags,
        },
        child,
      );
      this.target = {
        kind: "container",
        clusterArn: this.cluster.arn,
        taskDefinitionArn: this.taskDefinition.arn,
        taskRoleArn: args.role.arn,
        executionRoleArn: container.executionRole.arn,
        network: {
          subnets: container.config.subnets,
          securityGroups: container.config.securityGroups,
          assignPublicIp: container.config.assignPublicIp,
        },
        timeoutSeconds: settings.timeoutSeconds,
      };
    }
    this.registerOutputs({
      logGroupName: this.logGroup.name,
      functionArn: this.function?.arn,
      taskDefinitionArn: this.taskDefinition?.arn,
    });
  }
}

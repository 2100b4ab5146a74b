/**
 * Serving: a pipeline's predict Lambda (a PipelineStep that publishes a version on each code
 * change), its `live` alias and a function URL on that alias with AWS_IAM auth: callers sign
 * requests and need lambda:InvokeFunctionUrl (the data-scientist role has it).
 *
 * Each deploy points `live` at the newly published version. Predict reads the champion from
 * the registry per request, so a promotion reaches serving without moving the alias; promote
 * may still move it (its role can), e.g. for canary weights.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LIVE_ALIAS } from "./access/policies.ts";
import type { StepSettings } from "./config.ts";
import { PipelineStep } from "./pipeline-step.ts";

export interface ServingArgs {
  pipeline: string;
  settings: StepSettings;
  role: aws.iam.Role;
  code: pulumi.asset.Archive;
  environment: Record<string, pulumi.Input<string>>;
  logRetentionDays: number;
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

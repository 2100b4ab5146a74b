/**
 * What the `orchard cloud` subcommands share: the options naming a stack, reading its outputs,
 * and turning `<execution>` (an ARN, or a name with --pipeline) into an execution ARN.
 */
import { UsageError } from "../args.ts";
import { StackOutputsError } from "./errors.ts";
import { readOutputsWithAutomation } from "./pulumi-outputs.ts";
import { executionArnOf, isExecutionArn } from "./sfn.ts";
import {
  loadStackOutputs,
  type PipelineOutputs,
  requirePipelineOutput,
  type StackOutputs,
} from "./stack-outputs.ts";

export const STACK_OPTIONS = {
  stack: { type: "string" },
  outputs: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

export const STACK_HELP = `  --stack NAME      the stack (outputs from stacks/outputs/NAME.json, else the Pulumi CLI)
  --outputs FILE    the stack outputs JSON (pulumi stack output --json -s NAME > FILE)
  --json            print one JSON object on stdout`;

export interface StackValues {
  stack?: string;
  outputs?: string;
}

export function hasStack(values: StackValues): boolean {
  return Boolean(values.stack || values.outputs);
}

export function stackOutputs(values: StackValues, usage: string): Promise<StackOutputs> {
  if (!hasStack(values)) throw new UsageError(`pass --stack NAME or --outputs FILE\n\n${usage}`);
  return loadStackOutputs({
    stack: values.stack,
    outputsFile: values.outputs,
    automation: readOutputsWithAutomation,
  });
}

/** An execution ARN, or a name resolved against the pipeline's state machine. */
export async function executionArn(
  ref: string,
  values: StackValues & { pipeline?: string },
  usage: string,
): Promise<string> {
  if (isExecutionArn(ref)) return ref;
  if (ref.startsWith("arn:")) {
    throw new UsageError(
      `"${ref}" is not an execution ARN (arn:aws:states:<region>:<account>:execution:<state machine>:<name>)\n\n${usage}`,
    );
  }
  if (!values.pipeline || !hasStack(values)) {
    throw new UsageError(
      `"${ref}" is an execution name: pass its full ARN, or --pipeline NAME with --stack or --outputs\n\n${usage}`,
    );
  }
  const outputs = await stackOutputs(values, usage);
  const machine = requirePipelineOutput(
    outputs,
    values.pipeline,
    "stateMachineArn",
    "names the state machine the execution belongs to",
  );
  return executionArnOf(machine, ref);
}

/** The pipeline whose state machine ran `executionArn`, found among the stack outputs. */
export function pipelineOfExecution(
  outputs: StackOutputs,
  arn: string,
): { name: string; outputs: PipelineOutputs } | undefined {
  const machine = arn.replace(":execution:", ":stateMachine:").replace(/:[^:]+$/, "");
  for (const [name, p] of Object.entries(outputs.values.pipelines ?? {})) {
    if (p.stateMachineArn === machine) return { name, outputs: p };
  }
  return undefined;
}

/** The pipeline name positional of run and list. */
export function onePipeline(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one pipeline name\n\n${usage}`);
  return positionals[0];
}

export function missingRunInput(outputs: StackOutputs, pipeline: string, name: string) {
  return new StackOutputsError(
    `Stack outputs ${outputs.source} have no output "pipelines.${pipeline}.${name}" and the ` +
      `--input file does not set run.${name}. Deploy the stack with the current Orchard Pulumi ` +
      `program and export the outputs again, or set run.${name} in the --input JSON.`,
    { file: outputs.source, path: `pipelines.${pipeline}.${name}` },
  );
}

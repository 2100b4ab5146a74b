/**
 * `orchard cloud run <pipeline>`: starts an execution of the pipeline's deployed state machine
 * with the input its schedule sends (`{ run: { pipeline, specUri, sourceUri, batchUri? } }` from the stack
 * outputs), optionally on other data, and with --wait follows it with the same progress view
 * as `orchard run`. Exit codes as `orchard run`: 0 started (or, with --wait, succeeded,
 * promoted or not), 1 failed, 2 usage.
 */
import { readFile } from "node:fs/promises";
import { parse, UsageError } from "../args.ts";
import { createProgress } from "../progress.ts";
import { ExecutionInputError } from "./errors.ts";
import { followExecution } from "./follow.ts";
import { historyText, statusJson } from "./format.ts";
import { executionConsoleUrl } from "./log-links.ts";
import { startExecution } from "./sfn.ts";
import { pipelineOutputs, requirePipelineOutput, type StackOutputs } from "./stack-outputs.ts";
import { missingRunInput, onePipeline, STACK_HELP, STACK_OPTIONS, stackOutputs } from "./target.ts";

export const RUN_USAGE = `Usage: orchard cloud run <pipeline> (--stack NAME | --outputs FILE) [options]

Starts an execution of the pipeline's state machine in the stack, with the input its
schedule sends (the deployed spec and source).

${STACK_HELP}
  --input FILE.json   execution input JSON, merged over the scheduled input
  --input s3://B/K    run on this source data instead of the scheduled source
  --name NAME         execution name (default: one Step Functions generates)
  --wait              follow the execution until it ends; exit 1 if it fails
  --no-progress       with --wait: no per-state progress on stderr
  --poll-seconds N    with --wait: seconds between history polls (default 2)`;

type RunInput = { run: Record<string, unknown>; [key: string]: unknown };

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...STACK_OPTIONS,
      input: { type: "string" },
      name: { type: "string" },
      wait: { type: "boolean", default: false },
      "no-progress": { type: "boolean", default: false },
      "poll-seconds": { type: "string", default: "2" },
    },
    RUN_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${RUN_USAGE}\n`);
    return 0;
  }
  const pipeline = onePipeline(positionals, RUN_USAGE);
  const pollSeconds = Number(values["poll-seconds"]);
  if (!Number.isFinite(pollSeconds) || pollSeconds < 0) {
    throw new UsageError(`--poll-seconds must be a number ≥ 0\n\n${RUN_USAGE}`);
  }
  const outputs = await stackOutputs(values, RUN_USAGE);
  const machine = requirePipelineOutput(
    outputs,
    pipeline,
    "stateMachineArn",
    "names the state machine to start",
  );
  const input = await executionInput(outputs, pipeline, values.input);
  const started = await startExecution(machine, input, values.name);
  const url = executionConsoleUrl(started.executionArn);
  if (!values.wait) {
    if (values.json) {
      const out = {
        status: "RUNNING",
        pipeline,
        executionArn: started.executionArn,
        consoleUrl: url,
      };
      process.stdout.write(`${JSON.stringify(out)}\n`);
    } else {
      process.stdout.write(
        `Started ${started.executionArn}\n  console ${url}\n  follow  orchard cloud status ${started.executionArn}\n`,
      );
    }
    return 0;
  }
  process.stderr.write(`orchard cloud run: started ${started.executionArn}\n`);
  const progress = createProgress(process.stderr, !values["no-progress"]);
  let followed: Awaited<ReturnType<typeof followExecution>>;
  try {
    followed = await followExecution(started.executionArn, {
      onEvent: (e) => progress.onEvent(e),
      pollMs: pollSeconds * 1000,
    });
  } finally {
    progress.finish();
  }
  const { timeline, description } = followed;
  const status = statusJson(description, timeline);
  const result = runResult(description.output);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ pipeline, ...status, ...result })}\n`);
  } else {
    const promoted = result.modelVersion
      ? `, model ${result.modelVersion} ${result.promoted ? "promoted" : "not promoted"}`
      : "";
    process.stdout.write(`\nPipeline ${pipeline}: ${status.status}${promoted}\n`);
    process.stdout.write(historyText(timeline));
    process.stdout.write(`Console: ${url}\n`);
  }
  if (status.status !== "SUCCEEDED") {
    const e = status.error;
    const why = e ? `${e.state} failed: ${e.name}: ${e.message}` : status.status;
    process.stderr.write(`orchard cloud run: ${why}\n`);
    return 1;
  }
  return 0;
}

/** The scheduled input from the outputs, with the --input file merged over it or data swapped. */
export async function executionInput(
  outputs: StackOutputs,
  pipeline: string,
  input: string | undefined,
): Promise<RunInput> {
  const deployed = pipelineOutputs(outputs, pipeline);
  const base: RunInput = {
    run: {
      pipeline,
      ...(deployed.specUri ? { specUri: deployed.specUri } : {}),
      ...(deployed.sourceUri ? { sourceUri: deployed.sourceUri } : {}),
      ...(deployed.batchUri ? { batchUri: deployed.batchUri } : {}),
    },
  };
  let merged = base;
  if (input?.startsWith("s3://")) {
    if (!/^s3:\/\/[^/]+\/.+/.test(input)) {
      throw new UsageError(`--input ${input} is not an S3 object URI (s3://bucket/key)`);
    }
    merged = { run: { ...base.run, sourceUri: input } };
  } else if (input) {
    const file = await readInputFile(input);
    merged = { ...base, ...file, run: { ...base.run, ...(file.run ?? {}) } };
  }
  for (const name of ["specUri", "sourceUri"] as const) {
    if (typeof merged.run[name] !== "string" || merged.run[name] === "") {
      throw missingRunInput(outputs, pipeline, name);
    }
  }
  return merged;
}

async function readInputFile(file: string): Promise<{ run?: Record<string, unknown> }> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (cause) {
    throw new ExecutionInputError(
      `Cannot read the execution input ${file}: ${(cause as Error).message}. Pass a JSON object ` +
        'like {"run": {"sourceUri": "s3://bucket/key.csv"}}, or an s3:// URI of the data.',
      { file },
      { cause },
    );
  }
  const isObject = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (
    !isObject(json) ||
    ((json as { run?: unknown }).run !== undefined && !isObject((json as { run?: unknown }).run))
  ) {
    throw new ExecutionInputError(
      `--input ${file} must hold a JSON object (with an optional "run" object), e.g. {"run": {"sourceUri": "s3://bucket/key.csv"}}`,
    );
  }
  return json as { run?: Record<string, unknown> };
}

/** What the final state says about the model (the execution output of a successful run). */
function runResult(output: string | undefined): { promoted: boolean; modelVersion: string | null } {
  try {
    const state = JSON.parse(output ?? "null") as {
      promote?: { promoted?: boolean };
      evaluate?: { version?: string };
    } | null;
    return {
      promoted: state?.promote?.promoted === true,
      modelVersion: state?.evaluate?.version ?? null,
    };
  } catch {
    return { promoted: false, modelVersion: null };
  }
}

/**
 * Entry of the `orchard` command: dispatches to one module per subcommand.
 * Exit codes: 0 success, 1 the job failed, 2 usage error (synth/diff: 3 policy violation).
 */
import { ORCHARD_VERSION } from "../pipeline/version.ts";
import { unknownName } from "./args.ts";
import { fail } from "./report-error.ts";

const USAGE = `Usage: orchard <command> [options]
       orchard --version

Commands:
  run <spec.yaml>      run the pipeline locally (embedded S3 and DynamoDB)
  predict <spec.yaml>  predict rows with the champion model
  serve <spec.yaml>    serve the champion over HTTP (/predict, /health)
  models <spec.yaml>   list model registry versions
  drift <spec.yaml>    compare a data file with the champion's training data (PSI, KS)
  monitor <spec.yaml>  live metrics from captured predictions and labels; retrain on alarm
  feedback <spec.yaml> store true outcomes (labels) of served predictions
  features <sub>       feature views: list, show, materialize, get
  ui                   local web UI: pipelines, executions, registry, run reports
  cloud <subcommand>   start, watch, redrive and list executions in a deployed stack
  promote <pipeline>   copy a model from one stack's registry to another's (--from --to)
  synth --stack S      print a stack's manifest, offline (Pulumi program under mocks)
  diff --stack S       compare a stack at a git ref with the working tree, offline
  init [dir]           scaffold a platform repository that depends on orchard-ml
  new pipeline <name>  infer a pipeline spec from a data file and add it to the stacks
  build                bundle the step Lambdas into dist/lambdas (before pulumi up)

Run "orchard <command> --help" for a command's options.`;

const commands: Record<string, () => Promise<{ main(argv: string[]): Promise<number> }>> = {
  run: () => import("./run.ts"),
  predict: () => import("./predict.ts"),
  serve: () => import("./serve.ts"),
  models: () => import("./models.ts"),
  drift: () => import("./drift.ts"),
  monitor: () => import("./monitor.ts"),
  feedback: () => import("./feedback.ts"),
  features: () => import("./features.ts"),
  ui: () => import("./ui.ts"),
  cloud: () => import("./cloud/main.ts"),
  promote: () => import("./promote.ts"),
  synth: () => import("./synth.ts"),
  diff: () => import("./diff.ts"),
  init: () => import("./init.ts"),
  new: () => import("./new.ts"),
  build: () => import("./build.ts"),
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h") {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  if (command === "--version" || command === "-V") {
    process.stdout.write(`${ORCHARD_VERSION}\n`);
    return 0;
  }
  const load = commands[command];
  if (!load) {
    const error = unknownName("command", command, Object.keys(commands));
    process.stderr.write(`orchard: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await (await load()).main(rest);
  } catch (err) {
    // A command that lets an error escape (e.g. a usage error) still gets one line and its code.
    return fail(command, err);
  }
}

process.exitCode = await main(process.argv.slice(2));

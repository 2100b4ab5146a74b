/**
 * Usage: orchard new pipeline <name> --data FILE --target COL [--force]
 *
 * Infers a spec from the data (pipeline/spec/infer-spec.ts), checks it with the same parser
 * every command uses, copies the data next to it and writes pipelines/<name>/pipeline.yaml in
 * the Pulumi project around the current directory, then adds the pipeline to every stack file
 * (staging-like stacks upload the data with the deployment; a protected stack gets a landing
 * bucket placeholder to replace). Comments in the stack files are kept.
 * Exit 0 written, 1 bad data or an existing pipeline, 2 usage.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { parseDocument, stringify } from "yaml";
import { readTable } from "../pipeline/data/read-table.ts";
import { OrchardError } from "../pipeline/errors.ts";
import { inferSpec } from "../pipeline/spec/infer-spec.ts";
import { parseSpec } from "../pipeline/spec/parse-spec.ts";
import { formatFromUri } from "../pipeline/spec/source-uri.ts";
import { parse, UsageError } from "./args.ts";
import { fail } from "./report-error.ts";

const USAGE = `Usage: orchard new pipeline <name> --data FILE --target COL [--force]

Infers a pipeline spec from FILE (csv, jsonl or parquet): the task from the target column's
type, an id and a time column when obvious, each feature's kind. Writes
pipelines/<name>/pipeline.yaml with a copy of the data, and adds the pipeline to every
stack file (Pulumi.<stack>.yaml).

  --data FILE   the data set (its columns and types decide the spec)
  --target COL  the column to predict
  --force       replace an existing pipelines/<name>/`;

export class NewPipelineError extends OrchardError {}

function projectRoot(): string {
  let dir = process.cwd();
  for (;;) {
    if (existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new NewPipelineError(
        `no Pulumi.yaml at or above ${process.cwd()}: run this in a platform repository (orchard init)`,
      );
    }
    dir = parent;
  }
}

function stackDir(root: string): string {
  const doc = parseDocument(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")).toJS() as {
    stackConfigDir?: string;
  } | null;
  return path.resolve(root, doc?.stackConfigDir ?? ".");
}

/** Adds the pipeline to one stack file; false when it is already there. */
function addToStack(file: string, specPath: string, pipeline: string, dataName: string): boolean {
  const doc = parseDocument(readFileSync(file, "utf8"));
  const existing = (doc.getIn(["config", "orchard:pipelines"]) ?? null) as {
    toJSON(): unknown;
  } | null;
  const list = (existing?.toJSON() ?? []) as { spec?: string }[];
  if (list.some((p) => p.spec === specPath)) return false;
  const isProtected = doc.getIn(["config", "orchard:protect"]) === true;
  const entry = isProtected
    ? { spec: specPath, sourceUri: `s3://my-landing-bucket/${pipeline}/${dataName}` }
    : { spec: specPath, uploadSource: true };
  if (existing) doc.addIn(["config", "orchard:pipelines"], doc.createNode(entry));
  else doc.setIn(["config", "orchard:pipelines"], doc.createNode([entry]));
  writeFileSync(file, doc.toString());
  return true;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(
      argv,
      {
        data: { type: "string" },
        target: { type: "string" },
        force: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const [what, name, ...extra] = positionals;
    if (what !== "pipeline") {
      throw new UsageError(
        `orchard new creates a pipeline: orchard new pipeline <name>\n\n${USAGE}`,
      );
    }
    if (!name) throw new UsageError(`the pipeline's name is missing\n\n${USAGE}`);
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"\n\n${USAGE}`);
    if (!/^[a-z0-9-]{1,40}$/.test(name)) {
      throw new UsageError(`"${name}": a pipeline name is 1 to 40 characters of a-z, 0-9 and -`);
    }
    if (!values.data) throw new UsageError(`--data FILE is required\n\n${USAGE}`);
    if (!values.target) throw new UsageError(`--target COL is required\n\n${USAGE}`);

    const root = projectRoot();
    const dataFile = path.resolve(values.data);
    if (!existsSync(dataFile)) {
      throw new NewPipelineError(`--data ${values.data} does not exist: check the path`, {
        file: values.data,
      });
    }
    const dir = path.join(root, "pipelines", name);
    if (existsSync(dir) && readdirSync(dir).length > 0 && !values.force) {
      throw new NewPipelineError(
        `${path.relative(process.cwd(), dir) || dir} already exists: pick another name or pass --force`,
        { file: dir },
      );
    }
    const dataName = path.basename(dataFile);
    const format = formatFromUri(dataName);
    if (!format) {
      throw new NewPipelineError(
        `--data ${values.data}: unknown format; use a .csv, .tsv, .jsonl, .ndjson or .parquet file`,
        { file: values.data },
      );
    }
    const table = await readTable(new Uint8Array(readFileSync(dataFile)), {
      file: values.data,
      ...format,
    });
    if (!table.columns.some((c) => c.name === values.target)) {
      throw new NewPipelineError(
        `--target ${values.target}: ${values.data} has no such column; its columns are ${table.columns.map((c) => c.name).join(", ")}`,
        { file: values.data, column: values.target },
      );
    }
    const inferred = inferSpec(table, { name, target: values.target, sourceUri: dataName });
    const specFile = path.join(dir, "pipeline.yaml");
    const yaml = `# Inferred by \`orchard new pipeline\` from ${dataName}: review the task, columns and search.\n${stringify(inferred.spec)}`;
    parseSpec(yaml, { file: specFile }); // refuses before anything is written
    mkdirSync(dir, { recursive: true });
    if (path.resolve(dir, dataName) !== dataFile) copyFileSync(dataFile, path.join(dir, dataName));
    writeFileSync(specFile, yaml);

    const specPath = path.relative(root, specFile).split(path.sep).join("/");
    const stacksDir = stackDir(root);
    const updated: string[] = [];
    for (const file of readdirSync(stacksDir).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f))) {
      if (addToStack(path.join(stacksDir, file), specPath, name, dataName)) updated.push(file);
    }
    const rel = (f: string) => path.relative(process.cwd(), f) || f;
    process.stdout.write(
      `${[
        `wrote ${rel(specFile)}: ${inferred.task}, target ${values.target}, ${inferred.numeric.length} numeric and ${inferred.categorical.length} categorical features` +
          `${inferred.id ? `, id ${inferred.id}` : ""}${inferred.timeColumn ? `, time split on ${inferred.timeColumn}` : ""}` +
          `${inferred.dropped.length ? `, dropped ${inferred.dropped.join(", ")}` : ""}`,
        `added to ${updated.length ? updated.join(", ") : "no stack file (already there)"}`,
        `next: orchard run ${rel(specFile)}`,
      ].join("\n")}\n`,
    );
    return 0;
  } catch (err) {
    return fail("new", err);
  }
}

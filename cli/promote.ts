/**
 * `orchard promote <pipeline> --from STACK --to STACK [--version V]`: copies a model version
 * (default: the source champion) and its lineage from one stack's registry and artifacts to
 * another's and makes it the target's champion with a conditional write. The rules are in
 * cli/cloud/promote-model.ts. Exit 0 when promoted (or already the champion), 1 when refused
 * or failed, 2 usage error.
 */
import { resolve } from "node:path";
import type { PipelineSpec } from "../pipeline/spec/types.ts";
import { parse, UsageError } from "./args.ts";
import { resolveActor } from "./cloud/actor.ts";
import { type PromoteModelResult, promoteModel } from "./cloud/promote-model.ts";
import { openStackStores, type StackStores } from "./cloud/stack-stores.ts";
import { loadSpecFile } from "./local/run-pipeline.ts";
import { fail } from "./report-error.ts";

const USAGE = `Usage: orchard promote <pipeline> --from STACK --to STACK [options]

Copies a model version and its lineage (model artifact, spec) from one stack's registry
and artifacts to another's and makes it the target's champion. Refuses a version that
failed its gate, and one that would not pass the target's gate.

  --version V            the version to promote (default: the source stack's champion)
  --from-outputs FILE    the source stack's outputs (default stacks/outputs/<from>.json,
                         else the Pulumi CLI)
  --to-outputs FILE      the target stack's outputs (default stacks/outputs/<to>.json, ...)
  --from-state-dir DIR   use a local state directory (orchard run --state-dir) as the source
  --to-state-dir DIR     use a local state directory as the target
  --spec FILE            decide with this spec's gate (default: the target's deployed spec,
                         else its champion's spec, else the version's own spec)
  --actor NAME           who promotes (default: your AWS identity, or your OS user locally)
  --json                 print one JSON object on stdout`;

export async function main(argv: string[]): Promise<number> {
  try {
    return await promote(argv);
  } catch (err) {
    return fail("promote", err);
  }
}

async function promote(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      from: { type: "string" },
      to: { type: "string" },
      version: { type: "string" },
      "from-outputs": { type: "string" },
      "to-outputs": { type: "string" },
      "from-state-dir": { type: "string" },
      "to-state-dir": { type: "string" },
      spec: { type: "string" },
      actor: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one pipeline name\n\n${USAGE}`);
  const pipeline = positionals[0];
  if (!values.from || !values.to)
    throw new UsageError(`pass --from STACK and --to STACK\n\n${USAGE}`);
  for (const side of ["from", "to"] as const) {
    if (values[`${side}-outputs`] && values[`${side}-state-dir`]) {
      throw new UsageError(`pass --${side}-outputs or --${side}-state-dir, not both\n\n${USAGE}`);
    }
  }
  const sameDir =
    values["from-state-dir"] &&
    values["to-state-dir"] &&
    resolve(values["from-state-dir"]) === resolve(values["to-state-dir"]);
  if (values.from === values.to || sameDir) {
    throw new UsageError(`--from and --to must be different stacks\n\n${USAGE}`);
  }
  const spec = values.spec ? await specFor(values.spec, pipeline) : undefined;

  const from = await openStackStores({
    stack: values.from,
    outputsFile: values["from-outputs"],
    stateDir: values["from-state-dir"],
    flag: "--from-outputs",
  });
  let to: StackStores | undefined;
  try {
    to = await openStackStores({
      stack: values.to,
      outputsFile: values["to-outputs"],
      stateDir: values["to-state-dir"],
      flag: "--to-outputs",
    });
    const actor = await resolveActor({
      actor: values.actor,
      kind: to.kind,
      region: to.config.region,
    });
    const result = await promoteModel({
      pipeline,
      from,
      to: { ...to, specUri: to.outputs?.values.pipelines?.[pipeline]?.specUri },
      version: values.version,
      spec,
      actor,
    });
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : summary(result));
    return 0;
  } finally {
    await to?.close();
    await from.close();
  }
}

async function specFor(file: string, pipeline: string): Promise<PipelineSpec> {
  const { spec } = await loadSpecFile(file);
  if (spec.name !== pipeline) {
    throw new UsageError(`--spec ${file} is the spec of "${spec.name}", not of "${pipeline}"`);
  }
  return spec;
}

function summary(result: PromoteModelResult): string {
  if (!result.promoted) return `Nothing to promote: ${result.reason}.\n`;
  const { record } = result;
  return [
    `Promoted ${record.pipeline} ${record.from.stack} ${record.from.version} → ${record.to.stack} ${record.to.version} ` +
      `(champion before: ${record.to.previousChampion ?? "none"})`,
    `  model   ${record.to.modelUri}`,
    `  gate    ${record.gate.reasons.join("; ")} (${record.gate.source})`,
    `  by      ${record.by} at ${record.at}`,
    `  record  ${result.recordUri}`,
    "",
  ].join("\n");
}

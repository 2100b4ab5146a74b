/**
 * Usage: orchard synth --stack staging|prod [--json] [--out FILE] [--repo DIR]
 *
 * Runs the Pulumi program under mocks with `stacks/Pulumi.<stack>.yaml` (no cloud credentials,
 * no state backend, no Lambda build) and prints the stack's manifest (infra/synth/manifest.ts):
 * every resource with its key inputs (secrets redacted, Lambda code as a hash of its
 * sources), IAM statements per role, state machine graphs, schedules and the policy-rule
 * results. The same commit gives the same bytes.
 *
 * Without --json: a readable summary. --json: the manifest as JSON on stdout. --out FILE: the
 * JSON manifest written to FILE (the summary still printed unless --json). Sizing warnings
 * (a pipeline whose `source.expectedRows` would exceed a step's memory or time) go to stderr
 * as `warning: sizing <pipeline>: …` lines.
 * Exit 0; 3 when a mandatory policy rule is violated; 2 usage error; 1 any other error.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { PROJECT_ROOT, parseConfig } from "../infra/config.ts";
import { loadDeploySpecs } from "../infra/specs.ts";
import { readStackFile } from "../infra/stack-file.ts";
import type { Manifest } from "../infra/synth/manifest.ts";
import { stableJson } from "../infra/synth/normalize.ts";
import { findProjectRoot, readProject } from "../infra/synth/project.ts";
import { synthesize } from "../infra/synth/synthesize.ts";
import { sizingWarnings } from "../pipeline/sizing.ts";
import { parse, UsageError } from "./args.ts";
import { fail } from "./report-error.ts";
// The user's Pulumi program is TypeScript: plain Node needs the loader (tsx does it here).
import "./ts-loader/register.ts";

export const EXIT_POLICY_VIOLATION = 3;

const USAGE = `Usage: orchard synth --stack <name> [--json] [--out FILE] [--repo DIR]

Synthesizes a stack offline (the project's Pulumi program under mocks, Pulumi.<name>.yaml) and
prints its manifest: resources, IAM statements per role, state machines, schedules, Lambda
source hashes and policy-rule results. Exit 3 when a mandatory policy rule is violated.

  --stack NAME  the stack to synthesize (staging, prod, … a file under stacks/)
  --json        print the manifest as JSON instead of a summary
  --out FILE    also write the JSON manifest to FILE
  --repo DIR    the Pulumi project to synthesize (default: the one around the current
                directory, else this Orchard checkout)`;

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(
      argv,
      {
        stack: { type: "string" },
        json: { type: "boolean", default: false },
        out: { type: "string" },
        repo: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length > 0) {
      throw new UsageError(`unexpected argument "${positionals[0]}"\n\n${USAGE}`);
    }
    if (!values.stack) throw new UsageError(`--stack is required\n\n${USAGE}`);
    const root = resolve(values.repo ?? findProjectRoot(process.cwd()) ?? PROJECT_ROOT);
    const manifest = await synthesize({ stack: values.stack, root });
    const json = stableJson(manifest);
    if (values.out) writeFileSync(values.out, json);
    const sizing = stackSizingWarnings(root, values.stack, readProject(root).stackConfigDir);
    // On stderr: the JSON manifest on stdout stays exactly the manifest.
    for (const w of sizing) process.stderr.write(`warning: sizing ${w}\n`);
    process.stdout.write(values.json ? json : manifestSummary(manifest));
    return manifest.policy.mandatory > 0 ? EXIT_POLICY_VIOLATION : 0;
  } catch (err) {
    return fail("synth", err);
  }
}

/**
 * Each pipeline's sizing warnings (pipeline/sizing.ts) for the stack's step settings, as
 * `<pipeline>: <message>`: the specs with `source.expectedRows` whose steps would run out of
 * memory or time.
 */
export function stackSizingWarnings(root: string, stack: string, configDir = "stacks"): string[] {
  const config = parseConfig(readStackFile(root, stack, configDir), {
    project: "orchard",
    stack,
    rootDir: root,
  });
  return loadDeploySpecs(config.pipelines).flatMap((deploy) =>
    sizingWarnings(deploy.spec, config.steps).map((w) => `${deploy.name}: ${w.message}`),
  );
}

/** The manifest as a few readable lines per section. */
export function manifestSummary(m: Manifest): string {
  const lines = [`stack ${m.stack} (${m.region}): ${m.resources.length} resources`, "resources:"];
  for (const r of m.resources) {
    const notes = [
      r.parent ? `parent ${r.parent}` : "",
      r.protect ? "protected" : "",
      r.retainOnDelete ? "retained on delete" : "",
    ].filter(Boolean);
    lines.push(`  ${r.type}  ${r.name}${notes.length ? `  (${notes.join(", ")})` : ""}`);
  }
  lines.push("roles:");
  for (const [role, access] of Object.entries(m.iam)) {
    const statements = Object.values(access.policies).reduce((n, s) => n + s.length, 0);
    const trust = access.trust.map((s) => JSON.stringify(s.principals ?? null)).join(" ");
    lines.push(`  ${role}: ${statements} statements; trusts ${trust}`);
  }
  lines.push("state machines:");
  for (const [name, g] of Object.entries(m.stateMachines)) {
    lines.push(
      `  ${name}: starts at ${g.startAt}, ${Object.keys(g.states).length} states, ${g.edges.length} edges`,
    );
  }
  lines.push("schedules:");
  for (const [name, s] of Object.entries(m.schedules)) {
    lines.push(`  ${name}: ${s.expression} ${s.timeZone ?? "UTC"} ${s.state ?? ""}`.trimEnd());
  }
  lines.push("code:");
  for (const [bundle, c] of Object.entries(m.code)) {
    lines.push(
      `  ${bundle}: sources ${c.sha256.slice(0, 12)} (${Object.keys(c.files).length} files)`,
    );
  }
  lines.push(`policy: ${m.policy.mandatory} mandatory, ${m.policy.advisory} advisory`);
  for (const f of m.policy.findings) lines.push(`  ${f.level} ${f.rule}: ${f.message}`);
  return `${lines.join("\n")}\n`;
}

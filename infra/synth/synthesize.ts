/**
 * Synthesizes one stack of one checkout into a manifest (manifest.ts): runs its Pulumi program
 * under the mocks, normalizes every resource's inputs, hashes the Lambda bundles' sources, and
 * runs the checkout's OWN policy rules (`<root>/infra/policy/rules.ts`), so a base ref is judged
 * by the rules it had. Same checkout, same bytes.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PROJECT_ROOT } from "../config.ts";
import type { Rule } from "../policy/types.ts";
import { hashBundleSources } from "./code-sources.ts";
import { SynthError } from "./errors.ts";
import { assembleManifest, bundlesIn, type Manifest, type SynthResource } from "./manifest.ts";
import { type Json, normalizeValue } from "./normalize.ts";
import { evaluatePolicies } from "./policy-findings.ts";
import { readProject } from "./project.ts";
import { type ProgramImporter, runUnderMocks } from "./run-under-mocks.ts";

export interface SynthOptions {
  stack: string;
  /** The checkout (holds infra/index.ts and stacks/). Default: this one. */
  root?: string;
  /** Overrides of the stack file's config; `undefined` removes a key. */
  config?: Record<string, string | undefined>;
  importProgram?: ProgramImporter;
}

/** An Orchard checkout's own rules; a platform repository's are those of its orchard-ml. */
async function rulesOf(root: string): Promise<readonly Rule[]> {
  const file = path.join(root, "infra", "policy", "rules.ts");
  const mod = (
    existsSync(file) ? await import(pathToFileURL(file).href) : await import("../policy/rules.ts")
  ) as { allRules?: Rule[] };
  return mod.allRules ?? [];
}

export async function synthesize(options: SynthOptions): Promise<Manifest> {
  const root = path.resolve(options.root ?? PROJECT_ROOT);
  readProject(root); // fails early, naming the missing program
  const run = await runUnderMocks({ ...options, root });
  const ctx = { root, codeDir: run.codeDir };
  const resources: SynthResource[] = [];
  for (const r of run.resources) {
    const inputs = (await normalizeValue(r.inputs, ctx)) as Record<string, Json>;
    resources.push({
      type: r.type,
      name: r.name,
      ...(r.parent ? { parent: r.parent.name } : {}),
      custom: r.custom,
      protect: r.protect,
      ...(r.options.retainOnDelete !== undefined
        ? { retainOnDelete: r.options.retainOnDelete }
        : {}),
      ...(r.options.ignoreChanges?.length ? { ignoreChanges: [...r.options.ignoreChanges] } : {}),
      ...(r.options.dependsOn.length ? { dependsOn: [...r.options.dependsOn].sort() } : {}),
      inputs,
      ...(typeof r.state.name === "string" ? { physicalName: r.state.name } : {}),
      ...(typeof r.state.arn === "string" ? { arn: r.state.arn } : {}),
    });
  }
  const bundles = new Set<string>();
  for (const r of resources) bundlesIn(r.inputs, bundles);
  const present = [...bundles].filter((b) => existsSync(path.join(root, "lambdas", `${b}.ts`)));
  let code: Awaited<ReturnType<typeof hashBundleSources>>;
  try {
    code = await hashBundleSources(root, present);
  } catch (cause) {
    throw new SynthError(
      `could not read the Lambda handlers' sources under ${path.join(root, "lambdas")}: ${(cause as Error).message.split("\n")[0]}; fix the handler so \`npm run build:lambdas\` succeeds`,
      { file: path.join(root, "lambdas") },
      { cause },
    );
  }
  const findings = evaluatePolicies(await rulesOf(root), run.resources);
  return assembleManifest({
    stack: run.stack,
    region: run.region,
    resources,
    code,
    findings,
    outputs: await normalizeValue(run.outputs, ctx),
  });
}

/**
 * Usage: orchard build [--out DIR]
 *
 * Bundles the step Lambdas and the predict function with esbuild into DIR (default
 * dist/lambdas of the Pulumi project around the current directory), what `pulumi up` deploys
 * (`orchard:codeDir`). The same bundling as Orchard's own `npm run build:lambdas`
 * (scripts/build-lambdas.ts), from the installed package's compiled handlers. The row
 * transforms (`features.transform`) of the pipelines the stacks deploy are bundled into the
 * functions that run rows.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { findProjectRoot, readProject } from "../infra/synth/project.ts";
import { parseSpec } from "../pipeline/spec/parse-spec.ts";
import { type BundledTransform, buildLambdas } from "../scripts/build-lambdas.ts";
import { parse, UsageError } from "./args.ts";
import { fail } from "./report-error.ts";

const USAGE = `Usage: orchard build [--out DIR]

Bundles the step Lambdas and the predict function into DIR (default: dist/lambdas of the
Pulumi project around the current directory), which \`pulumi up\` deploys.`;

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(
      argv,
      { out: { type: "string" }, help: { type: "boolean", short: "h", default: false } },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length > 0) {
      throw new UsageError(`unexpected argument "${positionals[0]}"\n\n${USAGE}`);
    }
    const root = findProjectRoot(process.cwd()) ?? process.cwd();
    const outDir = path.resolve(values.out ?? path.join(root, "dist", "lambdas"));
    const started = Date.now();
    const transforms = stackTransforms(root);
    const manifest = await buildLambdas({ outDir, transforms });
    const count = Object.keys(manifest.bundles).length;
    const withTransforms =
      transforms.length > 0
        ? `, with ${transforms.map((t) => `${t.pipeline}'s ${t.module}`).join(", ")}`
        : "";
    process.stdout.write(
      `${count} bundles in ${path.relative(process.cwd(), outDir) || "."}${withTransforms} (${Date.now() - started} ms)\n`,
    );
    return 0;
  } catch (err) {
    return fail("build", err);
  }
}

/**
 * The row transforms of every pipeline the project's stacks deploy (`orchard:pipelines[].spec`
 * in each `Pulumi.<stack>.yaml`), resolved against each spec file.
 */
export function stackTransforms(root: string): BundledTransform[] {
  const dir = existsSync(path.join(root, "Pulumi.yaml"))
    ? readProject(root).stackConfigDir
    : path.join(root, "stacks");
  if (!existsSync(dir)) return [];
  const byPipeline = new Map<string, BundledTransform>();
  for (const name of readdirSync(dir)
    .filter((f) => /^Pulumi\..+\.ya?ml$/.test(f))
    .sort()) {
    const config = (parseYaml(readFileSync(path.join(dir, name), "utf8")) ?? {}) as {
      config?: Record<string, unknown>;
    };
    const pipelines = config.config?.["orchard:pipelines"];
    if (!Array.isArray(pipelines)) continue;
    for (const entry of pipelines as { spec?: unknown }[]) {
      if (typeof entry?.spec !== "string") continue;
      const specFile = path.resolve(root, entry.spec);
      const spec = parseSpec(readFileSync(specFile, "utf8"), { file: specFile });
      if (spec.features.transform === null) continue;
      byPipeline.set(spec.name, {
        pipeline: spec.name,
        module: spec.features.transform,
        file: path.resolve(path.dirname(specFile), spec.features.transform),
      });
    }
  }
  return [...byPipeline.values()];
}

/**
 * Usage: orchard build [--out DIR]
 *
 * Bundles the step Lambdas and the predict function with esbuild into DIR (default
 * dist/lambdas of the Pulumi project around the current directory), what `pulumi up` deploys
 * (`orchard:codeDir`). The same bundling as Orchard's own `npm run build:lambdas`
 * (scripts/build-lambdas.ts), from the installed package's compiled handlers.
 */
import path from "node:path";
import { findProjectRoot } from "../infra/synth/project.ts";
import { buildLambdas } from "../scripts/build-lambdas.ts";
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
    const manifest = await buildLambdas({ outDir });
    const count = Object.keys(manifest.bundles).length;
    process.stdout.write(
      `${count} bundles in ${path.relative(process.cwd(), outDir) || "."} (${Date.now() - started} ms)\n`,
    );
    return 0;
  } catch (err) {
    return fail("build", err);
  }
}

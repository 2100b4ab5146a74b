/**
 * Usage: orchard init [dir] [--name PIPELINE] [--package SPEC] [--force]
 *
 * Scaffolds a platform repository a team owns (cli/scaffold/templates.ts): package.json
 * depending on orchard-ml, Pulumi.yaml, infra/index.ts, stacks/Pulumi.{staging,prod}.yaml,
 * pipelines/<name>/ with a small data set, tests, a README and GitHub workflows.
 *
 * A directory is "empty" when it holds nothing but what `npm install orchard-ml` and `git
 * init` leave (package.json, package-lock.json, node_modules, .git): that is how a team starts
 * (`npm install orchard-ml && npx orchard init`), and the existing package.json is merged
 * (its orchard-ml dependency kept). Anything else needs --force, which overwrites only the
 * files the scaffold writes. Exit 0 written, 1 refused, 2 usage.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { OrchardError } from "../pipeline/errors.ts";
import { parse, UsageError } from "./args.ts";
import { fail } from "./report-error.ts";
import * as t from "./scaffold/templates.ts";

const USAGE = `Usage: orchard init [dir] [--name PIPELINE] [--package SPEC] [--force]

Scaffolds a platform repository in dir (default: the current directory): package.json
depending on orchard-ml, Pulumi.yaml, infra/index.ts, stacks/Pulumi.staging.yaml and
stacks/Pulumi.prod.yaml, pipelines/<PIPELINE>/ with a small data set, tests, a README and
GitHub workflows (pull-request infra review; deploy staging, smoke run, approved prod).

  --name PIPELINE  the example pipeline's name (default: penguins)
  --package SPEC   the orchard-ml dependency to write (default: ^<this version>; a range,
                   a tarball path or a git URL), unless package.json already has one
  --force          write into a directory that holds other files (scaffold files are
                   overwritten, others kept)`;

/** What `npm install orchard-ml` and `git init` leave: a directory still "empty" for init. */
const ALLOWED_BEFORE_INIT = new Set(["package.json", "package-lock.json", "node_modules", ".git"]);

export class ScaffoldError extends OrchardError {}

/** The bundled example data (examples/penguins/penguins.csv in the package). */
function exampleData(): string {
  // From sources (cli/) or from the package's lib/cli/.
  const candidates = ["../examples/penguins/penguins.csv", "../../examples/penguins/penguins.csv"];
  for (const rel of candidates) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(file)) return readFileSync(file, "utf8");
  }
  throw new ScaffoldError(
    "the example data examples/penguins/penguins.csv is missing from orchard-ml: reinstall it",
  );
}

export interface InitResult {
  dir: string;
  files: string[];
}

export function scaffold(
  dir: string,
  options: { pipeline?: string; orchardDependency?: string; force?: boolean } = {},
): InitResult {
  const root = path.resolve(dir);
  const pipeline = options.pipeline ?? "penguins";
  if (!/^[a-z0-9-]{1,40}$/.test(pipeline)) {
    throw new UsageError(
      `--name "${pipeline}": a pipeline name is 1 to 40 characters of a-z, 0-9 and -, e.g. churn`,
    );
  }
  const present = existsSync(root) ? readdirSync(root) : [];
  const others = present.filter((f) => !ALLOWED_BEFORE_INIT.has(f));
  if (others.length > 0 && !options.force) {
    throw new ScaffoldError(
      `${root} is not empty (${others.slice(0, 5).join(", ")}${others.length > 5 ? ", …" : ""}): pick an empty directory, or pass --force to write the scaffold's files into it`,
      { file: root },
    );
  }
  const pkgFile = path.join(root, "package.json");
  let existing: Record<string, unknown> = {};
  if (existsSync(pkgFile)) {
    try {
      existing = JSON.parse(readFileSync(pkgFile, "utf8")) as Record<string, unknown>;
    } catch (cause) {
      throw new ScaffoldError(
        `${pkgFile} is not valid JSON: fix or remove it`,
        { file: pkgFile },
        { cause },
      );
    }
  }
  const project = (
    typeof existing.name === "string" ? existing.name : path.basename(root).toLowerCase()
  ).replace(/[^a-z0-9-_.]/g, "-");
  const opts: t.ScaffoldOptions = {
    project,
    pipeline,
    orchardDependency: options.orchardDependency ?? t.defaultDependency(),
  };
  const files: Record<string, string> = {
    "package.json": t.packageJson(opts, existing),
    "Pulumi.yaml": t.pulumiYaml(opts),
    "infra/index.ts": t.INFRA_INDEX,
    "stacks/Pulumi.staging.yaml": t.stagingStack(opts),
    "stacks/Pulumi.prod.yaml": t.prodStack(opts),
    [`pipelines/${pipeline}/pipeline.yaml`]: t.examplePipeline(opts),
    [`pipelines/${pipeline}/data.csv`]: exampleData(),
    "test/platform.test.ts": t.PLATFORM_TEST,
    "vitest.config.ts": t.VITEST_CONFIG,
    "tsconfig.json": t.TSCONFIG,
    "README.md": t.readme(opts),
    ".gitignore": t.GITIGNORE,
    ".github/workflows/infra-review.yml": t.INFRA_REVIEW_WORKFLOW,
    ".github/workflows/deploy.yml": t.DEPLOY_WORKFLOW,
  };
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(root, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return { dir: root, files: Object.keys(files) };
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(
      argv,
      {
        name: { type: "string" },
        package: { type: "string" },
        force: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length > 1) {
      throw new UsageError(`unexpected argument "${positionals[1]}"\n\n${USAGE}`);
    }
    const result = scaffold(positionals[0] ?? ".", {
      ...(values.name ? { pipeline: values.name } : {}),
      ...(values.package ? { orchardDependency: values.package } : {}),
      force: values.force,
    });
    const rel = path.relative(process.cwd(), result.dir) || ".";
    const cd = rel === "." ? "" : `cd ${rel} && `;
    process.stdout.write(
      `${result.files.map((f) => `  wrote ${path.join(rel, f)}`).join("\n")}\n\nNext: ${cd}npm install && npm start && npm test\n`,
    );
    return 0;
  } catch (err) {
    return fail("init", err);
  }
}

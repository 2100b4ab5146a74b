/**
 * The Pulumi project a synth runs: its Pulumi.yaml names the program (`main`) and where the
 * stack files are (`stackConfigDir`). Orchard's own checkout and a platform repository that
 * `orchard init` scaffolded are both such projects; synth reads the file instead of assuming
 * Orchard's layout, so it runs the user's program with the user's stacks.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { SynthError } from "./errors.ts";

export interface PulumiProject {
  root: string;
  name: string;
  /** The program's entry file (absolute). */
  main: string;
  /** The directory of `Pulumi.<stack>.yaml` files (absolute). */
  stackConfigDir: string;
}

/** The nearest directory at or above `from` that holds a Pulumi.yaml, or undefined. */
export function findProjectRoot(from: string): string | undefined {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function readProject(root: string): PulumiProject {
  const file = path.join(root, "Pulumi.yaml");
  let doc: { name?: unknown; main?: unknown; stackConfigDir?: unknown } = {};
  if (existsSync(file)) {
    try {
      doc = (parse(readFileSync(file, "utf8")) as typeof doc | null) ?? {};
    } catch (cause) {
      throw new SynthError(`${file} is not valid YAML: fix it`, { file }, { cause });
    }
  }
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  // Orchard's layout is the default for a checkout older than its Pulumi.yaml `main`.
  let main = path.resolve(root, str(doc.main) ?? "infra/index.ts");
  if (existsSync(main) && statSync(main).isDirectory()) main = path.join(main, "index.ts");
  if (!existsSync(main)) {
    throw new SynthError(
      `${root} has no Pulumi program ${path.relative(root, main) || main}: run synth in a platform repository (orchard init) or an Orchard checkout, or set "main" in its Pulumi.yaml`,
      { file: main },
    );
  }
  return {
    root,
    name: str(doc.name) ?? "orchard",
    main,
    // Pulumi's default is the project directory; a checkout without Pulumi.yaml is Orchard's.
    stackConfigDir: path.resolve(
      root,
      str(doc.stackConfigDir) ?? (existsSync(file) ? "." : "stacks"),
    ),
  };
}

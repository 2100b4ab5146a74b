/**
 * A Lambda function's code, judged from the sources its bundle is built from rather than from
 * dist/: `orchard synth` must not need `npm run build:lambdas`, and bundle bytes change with
 * every esbuild or minifier upgrade even when no source did (the noise that makes
 * `pulumi preview` diffs of Lambda archives useless).
 *
 * How: one esbuild pass over all handlers of the checkout (`lambdas/<bundle>.ts`, with code
 * splitting so shared modules are printed once: ~0.6 s for all of them), nothing written; its
 * metafile is the module graph. From each entry, every module it reaches is hashed by path and
 * content. A bundle that reaches the forest worker pool also ships the worker entry
 * (`pipeline/forest/worker.ts`, see scripts/build-lambdas.ts), so the worker's graph counts too.
 *
 * Paths are repo-relative; a file under node_modules is named from its first `node_modules/`
 * on, so a git worktree whose node_modules is a symlink to this checkout's hashes the same.
 * What is NOT covered: esbuild's own options (scripts/build-lambdas.ts) and esbuild's version;
 * a change to those changes every bundle and shows here as no change. esbuild is a
 * devDependency: synth needs `npm ci` with dev dependencies, as `npm run build:lambdas` does.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Metafile } from "esbuild";

const WORKER_POOL_SOURCE = "pipeline/forest/worker-pool.ts";
const WORKER_SOURCE = "pipeline/forest/worker.ts";

export interface BundleSources {
  /** sha256 over every source file of the bundle (repo-relative path and content). */
  sha256: string;
  /** The checkout's own source files of the bundle: path → sha256. */
  files: Record<string, string>;
  /** sha256 over the bundled node_modules files (path and content). */
  dependencies: string;
}

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/** `../main/node_modules/yaml/dist/index.js` → `node_modules/yaml/dist/index.js`. */
export function portableSourcePath(esbuildPath: string): string {
  const posix = esbuildPath.replaceAll("\\", "/");
  const at = posix.indexOf("node_modules/");
  return at >= 0 ? posix.slice(at) : posix;
}

/** Every input reachable from `entry` in esbuild's metafile (external imports excluded). */
export function reachableInputs(metafile: Metafile, entry: string): string[] {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next) || !metafile.inputs[next]) continue;
    seen.add(next);
    for (const imp of metafile.inputs[next].imports) {
      if (!imp.external) stack.push(imp.path);
    }
  }
  return [...seen].sort();
}

/** Hashes a bundle's inputs: `digest(path)` gives a file's content hash. */
export function summarizeSources(
  inputs: readonly string[],
  digest: (esbuildPath: string) => string,
): BundleSources {
  const own: [string, string][] = [];
  const deps: [string, string][] = [];
  for (const input of inputs) {
    const name = portableSourcePath(input);
    (name.startsWith("node_modules/") ? deps : own).push([name, digest(input)]);
  }
  const lines = (entries: [string, string][]) =>
    entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([p, h]) => `${p}\t${h}\n`)
      .join("");
  return {
    sha256: sha256(lines([...own, ...deps])),
    files: Object.fromEntries(own.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    dependencies: sha256(lines(deps)),
  };
}

/** The sources of each named bundle (`lambdas/<bundle>.ts`) of the checkout at `root`. */
export async function hashBundleSources(
  root: string,
  bundles: readonly string[],
): Promise<Record<string, BundleSources>> {
  if (bundles.length === 0) return {};
  const { build } = await import("esbuild");
  const entries = [...new Set(bundles)].sort().map((b) => `lambdas/${b}.ts`);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [...entries, WORKER_SOURCE],
    bundle: true,
    splitting: true,
    platform: "node",
    target: "node22",
    format: "esm",
    mainFields: ["module", "main"],
    outdir: path.join(root, ".orchard-synth-unused"),
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const contentHashes = new Map<string, string>();
  const digest = (input: string): string => {
    let hash = contentHashes.get(input);
    if (hash === undefined) {
      try {
        hash = sha256(readFileSync(path.resolve(root, input)));
      } catch {
        hash = sha256(input); // esbuild's virtual modules (`<runtime>`) have no file
      }
      contentHashes.set(input, hash);
    }
    return hash;
  };
  const worker = reachableInputs(result.metafile, WORKER_SOURCE);
  const out: Record<string, BundleSources> = {};
  for (const bundle of [...new Set(bundles)].sort()) {
    const inputs = reachableInputs(result.metafile, `lambdas/${bundle}.ts`);
    const all = inputs.includes(WORKER_POOL_SOURCE) ? [...new Set([...inputs, ...worker])] : inputs;
    out[bundle] = summarizeSources(all, digest);
  }
  return out;
}

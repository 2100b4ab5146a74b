/**
 * The code version `orchard run` puts in step cache keys: a hash of the sources that compute
 * the steps (`pipeline/` and `lambdas/`, every .ts/.mjs/.js file, by path and content). Editing any
 * of them invalidates the local cache, so a changed step never reuses an old output.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DIRS = ["pipeline", "lambdas"];

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    // .js: the installed package runs compiled code (lib/), whose .d.ts alone would not change.
    else if (/\.(ts|mjs|js)$/.test(entry.name)) out.push(path);
  }
  return out;
}

let memo: Promise<string> | undefined;

/** `src-<first 16 hex of the sha256>`; computed once per process. */
export function localCodeVersion(): Promise<string> {
  memo ??= sourcesVersion(ROOT);
  return memo;
}

/** The version of the step code under `root` (its pipeline/ and lambdas/ directories). */
export async function sourcesVersion(root: string): Promise<string> {
  const hash = createHash("sha256");
  const files = (await Promise.all(DIRS.map((d) => sources(join(root, d))))).flat().sort();
  for (const file of files) {
    hash
      .update(relative(root, file))
      .update("\0")
      .update(await readFile(file))
      .update("\0");
  }
  return `src-${hash.digest("hex").slice(0, 16)}`;
}

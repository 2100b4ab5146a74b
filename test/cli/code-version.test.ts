/** The local step-cache code version covers the code that runs: sources, or compiled lib/. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sourcesVersion } from "../../cli/local/code-version.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A root with both step-code directories, plus `files`. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), "orchard-code-version-"));
  dirs.push(root);
  const all = { "pipeline/spec.ts": "s", "lambdas/x.d.ts": "t", ...files };
  for (const [name, text] of Object.entries(all)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

describe("sourcesVersion", () => {
  it.each([
    ["a TypeScript source", "pipeline/a.ts"],
    ["a compiled file of the installed package", "lambdas/train.js"],
  ])("changes when %s changes", async (_, file) => {
    const before = await sourcesVersion(tree({ [file]: "1" }));
    const after = await sourcesVersion(tree({ [file]: "2" }));
    expect(after).not.toBe(before);
  });

  it("ignores files outside pipeline/ and lambdas/", async () => {
    const a = await sourcesVersion(tree({ "pipeline/a.ts": "1", "cli/b.js": "1" }));
    const b = await sourcesVersion(tree({ "pipeline/a.ts": "1", "cli/b.js": "2" }));
    expect(a).toBe(b);
  });
});

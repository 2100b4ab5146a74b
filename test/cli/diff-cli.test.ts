/**
 * `orchard diff` as a user runs it (the command's `main`, in-process): the base ref comes from
 * a temporary git worktree, the working tree is a temporary checkout of HEAD (this
 * repository's own working tree holds other people's edits in progress).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/diff.ts";
import { withWorktree } from "../../cli/infra-review/worktree.ts";
import { mandatoryFindings } from "../infra/mandatory-findings.ts";
import { applyEdit, headCommit, REPO } from "./diff-helpers.ts";

let commit: string;

beforeAll(() => {
  commit = headCommit();
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function runDiff(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((s) => out.push(String(s)) > 0);
  vi.spyOn(process.stderr, "write").mockImplementation((s) => err.push(String(s)) > 0);
  const code = await main(argv);
  vi.restoreAllMocks();
  return { code, out: out.join(""), err: err.join("") };
}

function worktreeCount(): number {
  const list = execFileSync("git", ["-C", REPO, "worktree", "list", "--porcelain"], {
    encoding: "utf8",
  });
  return list.split("\n").filter((l) => l.startsWith("worktree ")).length;
}

describe("orchard diff", () => {
  it("says no changes for HEAD against a clean checkout of HEAD, no new violation, and leaves no worktree behind", async () => {
    const jsonOut = path.join(mkdtempSync(path.join(tmpdir(), "orchard-diff-test-")), "d.json");
    await withWorktree(REPO, commit, async (dir) => {
      const before = worktreeCount();
      const args = ["--stack", "staging", "--repo", dir, "--base", commit, "--json-out", jsonOut];
      const { code, out } = await runDiff(args);
      expect(out).toContain("**No changes.**");
      const { mandatory } = JSON.parse(readFileSync(jsonOut, "utf8")).policy;
      expect(mandatoryFindings(mandatory)).toEqual([]);
      expect(out).not.toContain("New mandatory violations");
      expect(out).toContain("No mandatory policy violations");
      expect(code).toBe(mandatory.length > 0 ? 3 : 0);
      expect(worktreeCount()).toBe(before);
    });
  });

  it("exits 3 on a new mandatory violation, keeps it in a cut comment and writes the full JSON", async () => {
    const jsonOut = path.join(mkdtempSync(path.join(tmpdir(), "orchard-diff-test-")), "d.json");
    await withWorktree(REPO, commit, async (dir) => {
      applyEdit(dir, {
        file: "infra/data-lake.ts",
        find: "      new aws.s3.BucketServerSideEncryptionConfiguration(",
        replace: '      if (role !== "raw") new aws.s3.BucketServerSideEncryptionConfiguration(',
      });
      // Touches every handler's sources: many code lines, so the comment must be cut.
      applyEdit(dir, {
        file: "pipeline/errors.ts",
        find: "export class OrchardError extends Error {",
        replace: "// reviewed\nexport class OrchardError extends Error {",
      });
      const args = ["--stack", "prod", "--repo", dir, "--base", commit];
      const { code, out } = await runDiff([...args, "--max-chars", "1500", "--json-out", jsonOut]);
      expect(code).toBe(3);
      expect(out.length).toBeLessThanOrEqual(1500);
      expect(out).toContain("bucket-encryption-configured");
      expect(out).toMatch(
        /Truncated to fit a comment: \d+ of \d+ lines shown; the full diff is in `.*d\.json`/,
      );
      const full = JSON.parse(readFileSync(jsonOut, "utf8"));
      expect(full.base).toEqual({ ref: commit, commit });
      expect(full.removed).toEqual([
        {
          type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
          name: "orchard-data-raw-encryption",
        },
      ]);
      expect(full.code.length).toBeGreaterThan(1);
      for (const line of full.code) expect(line.files.changed).toContain("pipeline/errors.ts");
    });
  });

  it.each([
    [["--base", "HEAD"], /--stack is required/],
    [["--stack", "prod", "--format", "html"], /--format html: use markdown or json/],
    [["--stack", "prod", "--max-chars", "12"], /--max-chars 12/],
    [["--stack", "prod", "--base", "no-such-ref-anywhere"], /no such commit.*git fetch/],
    [["--stack", "prod", "extra"], /unexpected argument "extra"/],
  ])("exits 2 for %j", async (argv, message) => {
    const { code, err } = await runDiff(argv);
    expect(err).toMatch(message);
    expect(code).toBe(2);
  });
});

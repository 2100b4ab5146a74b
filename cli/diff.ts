/**
 * Usage: orchard diff --stack S [--base GIT_REF] [--format markdown|json] [--json-out FILE]
 *                     [--max-chars N] [--repo DIR]
 *
 * Synthesizes the stack twice, offline: at the base ref (a temporary git worktree whose
 * node_modules links to this checkout's, cli/infra-review/worktree.ts) and in the working
 * tree (uncommitted edits included), and prints what a reviewer needs: counts; resources
 * added, removed and changed with property-level changes (replacements marked); IAM
 * permission changes per role (wildcards flagged); state machine states, edges, retry and
 * catch changes; schedule changes; new and fixed policy findings; one line per Lambda
 * function whose code changed. Nothing differs: "No changes."
 *
 * Markdown is at most --max-chars characters (default 65,000; a PR comment holds 65,536): when
 * cut, the note names the JSON file holding the full diff (--json-out, or
 * orchard-diff-<stack>.json in the current directory, written only then).
 * Exit 0; 3 when the working tree has any mandatory policy violation (new or existing);
 * 2 usage error (including an unknown ref); 1 any other error.
 */
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../infra/config.ts";
import { stackFilePath } from "../infra/stack-file.ts";
import { diffManifests, type ManifestDiff } from "../infra/synth/diff.ts";
import { MANIFEST_FORMAT, type Manifest } from "../infra/synth/manifest.ts";
import { stableJson } from "../infra/synth/normalize.ts";
import { findProjectRoot } from "../infra/synth/project.ts";
import { synthesize } from "../infra/synth/synthesize.ts";
import { parse, UsageError } from "./args.ts";
import { DEFAULT_MAX_CHARS, renderDiffMarkdown } from "./infra-review/render-markdown.ts";
import { repoRoot, resolveCommit, withWorktree } from "./infra-review/worktree.ts";
import { fail } from "./report-error.ts";
// The user's Pulumi program is TypeScript: plain Node needs the loader (tsx does it here).
import "./ts-loader/register.ts";
import { EXIT_POLICY_VIOLATION } from "./synth.ts";

const USAGE = `Usage: orchard diff --stack <name> [--base GIT_REF] [--format markdown|json]
                    [--json-out FILE] [--max-chars N] [--repo DIR]

Compares the stack synthesized at GIT_REF (default HEAD) with the working tree, offline:
resources, IAM permissions, state machines, schedules, Lambda code and policy findings.
Exit 3 when the working tree violates a mandatory policy rule.

  --stack NAME      the stack (a file stacks/Pulumi.<name>.yaml)
  --base GIT_REF    what to compare against (default HEAD; in a PR: origin/<base branch>)
  --format FORMAT   markdown (default) or json
  --json-out FILE   also write the full JSON diff to FILE
  --max-chars N     cut the markdown to N characters (default ${DEFAULT_MAX_CHARS})
  --repo DIR        the Pulumi project whose working tree is compared (default: the one
                    around the current directory, else this Orchard checkout)`;

export interface DiffReport extends ManifestDiff {
  base: { ref: string; commit: string };
}

/** A stack that does not exist at the base: everything in the head is added. */
export function emptyManifest(stack: string, region = ""): Manifest {
  return {
    format: MANIFEST_FORMAT,
    stack,
    region,
    resources: [],
    code: {},
    iam: {},
    stateMachines: {},
    schedules: {},
    policy: { mandatory: 0, advisory: 0, findings: [] },
    outputs: {},
  };
}

/** Synthesizes `stack` at `baseRef` and in the working tree of `repo`, and compares them. */
export async function diffStack(repo: string, stack: string, baseRef: string): Promise<DiffReport> {
  const root = await repoRoot(repo);
  const commit = await resolveCommit(root, baseRef);
  const head = await synthesize({ stack, root: repo });
  const base = await withWorktree(root, commit, async (dir) => {
    const worktreeRepo = path.join(dir, path.relative(root, repo));
    if (!existsSync(stackFilePath(worktreeRepo, stack))) return emptyManifest(stack, head.region);
    return synthesize({ stack, root: worktreeRepo });
  });
  return { base: { ref: baseRef, commit }, ...diffManifests(base, head) };
}

function maxChars(text: string | undefined): number {
  if (text === undefined) return DEFAULT_MAX_CHARS;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1000) {
    throw new UsageError(`--max-chars ${text}: give a whole number of at least 1000\n\n${USAGE}`);
  }
  return n;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(
      argv,
      {
        stack: { type: "string" },
        base: { type: "string", default: "HEAD" },
        format: { type: "string", default: "markdown" },
        "json-out": { type: "string" },
        "max-chars": { type: "string" },
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
    if (values.format !== "markdown" && values.format !== "json") {
      throw new UsageError(`--format ${values.format}: use markdown or json\n\n${USAGE}`);
    }
    const limit = maxChars(values["max-chars"]);
    const repo = path.resolve(values.repo ?? findProjectRoot(process.cwd()) ?? PROJECT_ROOT);
    const report = await diffStack(repo, values.stack, values.base);
    const json = stableJson(report);
    if (values["json-out"]) writeFileSync(values["json-out"], json);
    if (values.format === "json") process.stdout.write(json);
    else {
      const jsonPath = values["json-out"] ?? `orchard-diff-${values.stack}.json`;
      const md = renderDiffMarkdown(report, { base: report.base, maxChars: limit, jsonPath });
      if (md.truncated && !values["json-out"]) writeFileSync(jsonPath, json);
      process.stdout.write(md.text);
    }
    return report.policy.mandatory.length > 0 ? EXIT_POLICY_VIOLATION : 0;
  } catch (err) {
    return fail("diff", err);
  }
}

/**
 * The base side of `orchard diff`: a temporary `git worktree` of the base commit, removed
 * afterwards. The worktree gets no `npm ci`: its `node_modules` is a symlink to the current
 * checkout's. That is fast (no install) and it is also what makes synthesis work at all: the
 * base program's `@pulumi/pulumi` must be the very module instance the mocks are installed in,
 * and Node resolves the symlink to the same real path. The cost: the base is synthesized with
 * the CURRENT dependency versions, so a PR that only bumps a dependency shows that as a
 * Lambda code change (bundled node_modules hashes) but not as a change of Pulumi's behaviour.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { UsageError } from "../args.ts";

const run = promisify(execFile);

async function git(repo: string, args: string[]): Promise<string> {
  const { stdout } = await run("git", ["-C", repo, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** The commit a ref names; a usage error that says how to get it when it names none. */
export async function resolveCommit(repo: string, ref: string): Promise<string> {
  try {
    return await git(repo, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  } catch {
    throw new UsageError(
      `--base ${ref}: no such commit in ${repo}; fetch it first (e.g. \`git fetch origin main\`, in CI \`actions/checkout\` with fetch-depth: 0) or name a commit`,
    );
  }
}

/** The top directory of the git checkout holding `dir`. */
export async function repoRoot(dir: string): Promise<string> {
  try {
    return await git(dir, ["rev-parse", "--show-toplevel"]);
  } catch {
    throw new UsageError(`${dir} is not inside a git checkout; orchard diff compares git refs`);
  }
}

export interface Worktree {
  dir: string;
  /** Removes the worktree and its directory; never throws. */
  remove(): Promise<void>;
}

/** A detached worktree of `commit` whose node_modules links to `repo`'s. */
export async function addWorktree(repo: string, commit: string): Promise<Worktree> {
  const dir = mkdtempSync(path.join(tmpdir(), "orchard-base-"));
  const remove = async () => {
    await git(repo, ["worktree", "remove", "--force", dir]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    await git(repo, ["worktree", "prune"]).catch(() => undefined);
  };
  try {
    await git(repo, ["worktree", "add", "--detach", "--quiet", dir, commit]);
    const modules = path.join(repo, "node_modules");
    if (existsSync(modules)) symlinkSync(realpathSync(modules), path.join(dir, "node_modules"));
  } catch (err) {
    await remove();
    throw err;
  }
  return { dir, remove };
}

/** Runs `fn` on a temporary worktree of `commit` (see addWorktree), removed afterwards. */
export async function withWorktree<T>(
  repo: string,
  commit: string,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const worktree = await addWorktree(repo, commit);
  try {
    return await fn(worktree.dir);
  } finally {
    await worktree.remove();
  }
}

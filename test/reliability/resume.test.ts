/**
 * Crash and resume, as a user meets it: `orchard run` killed with SIGKILL in the middle of
 * training, then run again on the same state directory. The rerun is not blocked by the dead
 * run's lock, reuses Validate, Preprocess and every Train candidate that had finished from the
 * step cache, and computes the rest; a further unchanged rerun reuses every cached step.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOLDER_FILE } from "../../cli/local/state-lock.ts";
import { orchard, REPO, spawnOrchard } from "./support.ts";

const EXAMPLE = join(REPO, "examples", "penguins");
const CANDIDATES = 12;

/** The example with a 3 × 2 × 2 grid of 300-tree candidates: training lasts about a second. */
async function project(dir: string): Promise<void> {
  const text = (await readFile(join(EXAMPLE, "pipeline.yaml"), "utf8"))
    .replace("trees: 100", "trees: 300")
    .replace("maxDepth: [4, null]", "maxDepth: [4, 8, null]")
    .replace(
      "    minSamplesLeaf: [1, 3]",
      "    minSamplesLeaf: [1, 3]\n    maxFeatures: [sqrt, 0.5]",
    );
  await writeFile(join(dir, "pipeline.yaml"), text);
  await copyFile(join(EXAMPLE, "penguins.csv"), join(dir, "penguins.csv"));
}

/** The summary's "cache reused …" counts per step, e.g. { train: [4, 12] }. */
function reused(stdout: string): Record<string, [number, number]> {
  const line = stdout.split("\n").find((l) => l.startsWith("  cache       reused ")) ?? "";
  return Object.fromEntries(
    [...line.matchAll(/(\w+) (\d+)\/(\d+)/g)].map((m) => [m[1], [Number(m[2]), Number(m[3])]]),
  );
}

const summaryLine = (stdout: string, key: string) =>
  stdout.split("\n").find((l) => l.startsWith(`  ${key.padEnd(12)}`));

describe("a run killed in the middle of training, then run again", () => {
  let work: string;
  const run = () =>
    orchard(["run", "pipeline.yaml", "--state-dir", "state", "--no-progress"], { cwd: work });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "orchard-resume-"));
    await project(work);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  let resumed: string;

  it("dies by SIGKILL after some Train candidates finished and before Train did", async () => {
    const first = spawnOrchard(["run", "pipeline.yaml", "--state-dir", "state"], { cwd: work });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (/TrainCandidate\[\d+\] succeeded/.test(first.stderr())) {
          clearInterval(timer);
          first.child.kill("SIGKILL");
          resolve();
        }
      }, 2);
      first.done.then(() => {
        clearInterval(timer);
        reject(new Error(`the run ended before it could be killed: ${first.stderr()}`));
      }, reject);
    });
    const killed = await first.done;
    expect(killed.signal).toBe("SIGKILL");
    expect(killed.stderr).toContain("orchard: Train started");
    expect(killed.stderr).not.toContain("orchard: Train succeeded");
    // The dead run's holder record is left behind; its OS lock went with it.
    const holder = JSON.parse(await readFile(join(work, "state", HOLDER_FILE), "utf8"));
    expect(holder.pid).toBe(first.child.pid);
  });

  it("the rerun completes, reusing Validate, Preprocess and the finished candidates", async () => {
    const r = await run();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Pipeline penguins: SUCCEEDED/);
    const counts = reused(r.stdout);
    expect(counts.validate).toEqual([1, 1]);
    expect(counts.preprocess).toEqual([1, 1]);
    const [done, total] = counts.train;
    expect(total).toBe(CANDIDATES);
    expect(done).toBeGreaterThanOrEqual(1);
    expect(done).toBeLessThan(CANDIDATES);
    expect(counts.select).toBeUndefined();
    expect(summaryLine(r.stdout, "champion")).toContain("after v1 (promoted)");
    resumed = r.stdout;
  });

  it("an unchanged rerun reuses every cached step and reaches the same model", async () => {
    const r = await run();
    expect(r.code, r.stderr).toBe(0);
    expect(reused(r.stdout)).toEqual({
      validate: [1, 1],
      preprocess: [1, 1],
      train: [CANDIDATES, CANDIDATES],
      select: [1, 1],
    });
    for (const key of ["best", "test"]) {
      expect(summaryLine(r.stdout, key)).toBe(summaryLine(resumed, key));
    }
  });
});

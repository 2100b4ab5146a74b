/**
 * Concurrency: two `orchard run`s on one state directory (the second stops with a message
 * naming the first's pid; the first completes), the state-directory lock itself (in-process,
 * and a holder record left by a dead process), and five executions of the state machine racing
 * to promote against one registry: exactly one champion and a consistent version history.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executeLocally } from "../../cli/local/executor.ts";
import { STEP_HANDLERS, type StepHandlers, withLocalStores } from "../../cli/local/run-pipeline.ts";
import { HOLDER_FILE, lockStateDir, StateDirLockedError } from "../../cli/local/state-lock.ts";
import { FAULT_ENV } from "../../lambdas/io/faults.ts";
import { stepDeps } from "../../lambdas/step-handler.ts";
import type { PromoteOutput, RunState } from "../../pipeline/steps/types.ts";
import { buildDefinition } from "../../pipeline/workflow/definition.ts";
import { localResources } from "../../pipeline/workflow/steps.ts";
import { REPO, spawnOrchard } from "./support.ts";

const EXAMPLE = join(REPO, "examples", "penguins");

async function smallProject(dir: string): Promise<string> {
  const text = await readFile(join(EXAMPLE, "pipeline.yaml"), "utf8");
  await writeFile(
    join(dir, "pipeline.yaml"),
    text.replace("trees: 100", "trees: 10").replace("folds: 5", "folds: 3"),
  );
  await copyFile(join(EXAMPLE, "penguins.csv"), join(dir, "penguins.csv"));
  return join(dir, "pipeline.yaml");
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "orchard-concurrency-"));
  await smallProject(work);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("the state-directory lock", () => {
  it("a second holder in the same process is refused with this pid in the message", async () => {
    const dir = join(work, "lock-inproc");
    const first = await lockStateDir(dir);
    try {
      const err = await lockStateDir(dir).catch((e) => e);
      expect(err).toBeInstanceOf(StateDirLockedError);
      expect(err.message).toContain(`(pid ${process.pid}, `);
      expect(err.message).toContain("use another --state-dir");
    } finally {
      await first.release();
    }
    const again = await lockStateDir(dir);
    await again.release();
  });

  it("a holder record left by a process that died does not block", async () => {
    const dir = join(work, "lock-stale");
    const dead = spawnOrchard(["--help"]);
    await dead.done;
    const record = {
      pid: dead.child.pid,
      command: "orchard run x.yaml",
      startedAt: "2026-01-01T00:00:00.000Z",
      host: "h",
    };
    const first = await lockStateDir(dir);
    await first.release();
    await writeFile(join(dir, HOLDER_FILE), JSON.stringify(record));
    const lock = await lockStateDir(dir);
    expect(JSON.parse(await readFile(join(dir, HOLDER_FILE), "utf8")).pid).toBe(process.pid);
    await lock.release();
  });

  it("two orchard runs started together on one state directory: one runs, the other stops naming its pid", async () => {
    const dir = join(work, "two-runs");
    await mkdir(dir);
    await smallProject(dir);
    const args = ["run", "pipeline.yaml", "--state-dir", "shared", "--json"];
    const runs = [spawnOrchard(args, { cwd: dir }), spawnOrchard(args, { cwd: dir })];
    const results = await Promise.all(runs.map((r) => r.done));
    const winner = results.findIndex((r) => r.code === 0);
    expect(winner, results.map((r) => r.stderr).join("\n")).toBeGreaterThanOrEqual(0);
    const loser = results[1 - winner];
    expect(loser.code).toBe(1);
    const lines = loser.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^orchard run: StateDirLockedError: The state directory .*shared is in use by another orchard process/,
    );
    expect(lines[0]).toContain(`pid ${runs[winner].child.pid}, "orchard run pipeline.yaml`);
    expect(JSON.parse(loser.stdout)).toMatchObject({ status: "FAILED", error: { state: "Start" } });
    expect(JSON.parse(results[winner].stdout)).toMatchObject({
      status: "SUCCEEDED",
      modelVersion: "v1",
    });
  });
});

/** Resolves when `n` callers have arrived. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open = () => {};
  const all = new Promise<void>((resolve) => {
    open = resolve;
  });
  return () => {
    arrived++;
    if (arrived === n) open();
    return all;
  };
}

describe("five concurrent promotions against one registry", () => {
  it.each([
    ["no faults", undefined],
    ["20 percent storage faults", "0.2"],
  ])(
    "%s: exactly one champion, every version registered once, one promotion in the history",
    async (_, rate) => {
      const saved = { ...process.env };
      process.env.ORCHARD_STEP_CACHE = "off";
      if (rate) {
        process.env[FAULT_ENV.rate] = rate;
        process.env[FAULT_ENV.seed] = "11";
      }
      const spec = join(work, "pipeline.yaml");
      const stateDir = join(work, `promotions-${rate ?? "0"}`);
      try {
        await withLocalStores(stateDir, async () => {
          const deps = stepDeps();
          const stored = await deps.artifacts.putContent(
            "artifacts",
            "penguins/specs",
            await readFile(spec),
            "yaml",
          );
          const arrive = barrier(5);
          // Every execution reaches Promote, having evaluated against "no champion", before any
          // of them promotes: the widest race the registry can see.
          const handlers: StepHandlers = {
            ...STEP_HANDLERS,
            promote: async (event) => {
              await arrive();
              return STEP_HANDLERS.promote(event);
            },
          };
          const resources = localResources("penguins");
          const definition = buildDefinition({ pipeline: "penguins" }, resources);
          const waits = Object.fromEntries(
            [...Object.keys(definition.States), "TrainCandidate"].map((s) => [s, 0]),
          );
          const results = await Promise.all(
            Array.from({ length: 5 }, () =>
              executeLocally({
                definition,
                handlers,
                resources,
                input: {
                  run: {
                    pipeline: "penguins",
                    specUri: stored.uri,
                    sourceUri: `file://${join(work, "penguins.csv")}`,
                  },
                },
                retryIntervalOverrides: waits,
              }),
            ),
          );
          for (const r of results) expect(r.status, JSON.stringify(r.error)).toBe("SUCCEEDED");
          const outputs = results.map((r) => (r.output as RunState).promote as PromoteOutput);
          const winners = outputs.filter((o) => o.promoted);
          expect(winners).toHaveLength(1);
          const champion = await deps.registry.getChampion("penguins");
          expect(champion?.version).toBe(winners[0].champion);
          for (const o of outputs.filter((x) => !x.promoted)) {
            expect(o.champion).toBe(champion?.version);
            expect(o.reason).toMatch(/another promotion won/);
          }
          const versions = await deps.registry.listVersions("penguins");
          expect(versions.map((v) => v.sequence).sort()).toEqual([1, 2, 3, 4, 5]);
          const evaluated = results.map((r) => (r.output as RunState).evaluate?.version).sort();
          expect(evaluated).toEqual(versions.map((v) => v.version).sort());
          const promotions = versions.flatMap((v) =>
            v.promotions.map((p) => [v.version, p.previous]),
          );
          expect(promotions).toEqual([[champion?.version, null]]);
        });
      } finally {
        process.env = saved;
      }
    },
  );
});

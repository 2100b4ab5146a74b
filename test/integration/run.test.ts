/**
 * Whole local executions: the real ASL on the local engine, the real handlers, and the
 * real s3rver/dynalite servers under a temporary state directory.
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runLocally, withLocalStores } from "../../cli/local/run-pipeline.ts";
import { stepDeps } from "../../lambdas/step-handler.ts";
import { TransientError } from "../../pipeline/errors.ts";

const example = new URL("../../examples/penguins/", import.meta.url);
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "orchard-it-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of the example (spec + CSV) whose CSV the test may rewrite. */
function exampleCopy(csv?: (text: string) => string): string {
  const dir = tempDir();
  copyFileSync(new URL("pipeline.yaml", example), join(dir, "pipeline.yaml"));
  const text = readFileSync(new URL("penguins.csv", example), "utf8");
  writeFileSync(join(dir, "penguins.csv"), csv ? csv(text) : text);
  return join(dir, "pipeline.yaml");
}

describe("orchard run, locally end to end", () => {
  const stateDir = tempDir();
  const specPath = exampleCopy();

  it("promotes the first model and reports every state with its duration", async () => {
    const run = await runLocally({ specPath, stateDir });
    expect(run.result.status).toBe("SUCCEEDED");
    expect(run.result.endState).toBe("Promoted");
    expect(run.championBefore).toBeNull();
    expect(run.championAfter?.version).toBe(run.state?.evaluate?.version);
    const top = run.result.states.filter((s) => s.iteration === undefined).map((s) => s.name);
    expect(top).toEqual([
      "Ingest",
      "Validate",
      "Drift",
      "Retrain",
      "Preprocess",
      "Train",
      "Select",
      "Sharded",
      "Evaluate",
      "Report",
      "Gate",
      "CanaryStart",
      "CanaryChoice",
      "Promote",
      "BatchScore",
      "Batch",
      "ScoreFiles",
      "BatchResults",
      "Promoted",
    ]);
    expect(run.result.states.every((s) => s.durationMs >= 0)).toBe(true);
    expect(run.result.states.filter((s) => s.name === "TrainCandidate")).toHaveLength(4);
  });

  it("reuses the raw snapshot on the same data and does not promote an equal model", async () => {
    const run = await runLocally({ specPath, stateDir });
    expect(run.result.status).toBe("SUCCEEDED");
    expect(run.result.endState).toBe("NotPromoted");
    expect(run.state?.ingest?.created).toBe(false);
    expect(run.state?.evaluate?.champion?.source).toBe("rescored");
    expect(run.championAfter?.version).toBe(run.championBefore?.version);
  });

  it("fails in Validate with a named error on a one-class target, leaving raw data and champion", async () => {
    const bad = exampleCopy((text) => {
      const [header, ...rows] = text.trim().split("\n");
      return `${[header, ...rows.filter((r) => r.includes(",Adelie,"))].join("\n")}\n`;
    });
    const before = await withLocalStores(stateDir, () =>
      stepDeps().registry.getChampion("penguins"),
    );
    const run = await runLocally({ specPath: bad, stateDir });
    expect(run.result.status).toBe("FAILED");
    expect(run.result.error).toMatchObject({ state: "Validate", name: "TargetError" });
    expect(run.result.error?.message).toMatch(/species/);
    expect(run.championAfter?.version).toBe(before?.version);
    // The first run's raw snapshot is still readable, byte for byte.
    const good = readFileSync(new URL("penguins.csv", example));
    const key = `penguins/${createHash("sha256").update(good).digest("hex")}.csv`;
    const raw = await withLocalStores(stateDir, () =>
      stepDeps().artifacts.get(`s3://orchard-raw/${key}`),
    );
    expect(Buffer.from(raw).equals(good)).toBe(true);
  });

  it("fails in Ingest with SourceNotFoundError when the source file does not exist", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "pipeline.yaml"),
      readFileSync(new URL("pipeline.yaml", example), "utf8").replace("penguins.csv", "nope.csv"),
    );
    const run = await runLocally({ specPath: join(dir, "pipeline.yaml"), stateDir: tempDir() });
    expect(run.result.error).toMatchObject({ state: "Ingest", name: "SourceNotFoundError" });
    expect(run.result.error?.message).toMatch(/nope\.csv does not exist/);
  });

  it("retries a transient error injected into a handler and succeeds", async () => {
    let calls = 0;
    const run = await runLocally({
      specPath: exampleCopy(),
      stateDir: tempDir(),
      retryIntervalOverrides: { Preprocess: 0 },
      wrapHandlers: (handlers) => ({
        ...handlers,
        preprocess: async (event) => {
          calls++;
          if (calls === 1) throw new TransientError("injected: storage briefly unavailable");
          return handlers.preprocess(event);
        },
      }),
    });
    expect(run.result.status).toBe("SUCCEEDED");
    expect(calls).toBe(2);
    expect(run.result.states.find((s) => s.name === "Preprocess")).toMatchObject({
      status: "RETRIED",
      attempts: 2,
    });
  });
});

/**
 * A sharded final fit through the local state machine (`model.shards: 3`): Select plans three
 * tree ranges, the FitShards Map grows them in three TrainShard iterations, Assemble joins
 * them, and the model bundle is byte for byte the one Select stores when it fits every tree
 * itself from the same state.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runLocally, withLocalStores } from "../../cli/local/run-pipeline.ts";
import { runAs } from "../../lambdas/io/caller.ts";
import { stepDeps } from "../../lambdas/step-handler.ts";
import { takeRows } from "../../pipeline/data/frame.ts";
import { loadSpec } from "../../pipeline/steps/context.ts";
import { shardPrefix } from "../../pipeline/steps/intermediate-keys.ts";
import { loadDataset } from "../../pipeline/steps/load-dataset.ts";
import { storeModel } from "../../pipeline/steps/select.ts";
import { trainingSetup } from "../../pipeline/steps/setup.ts";
import { rankCandidates } from "../../pipeline/train/cross-validate.ts";
import { fitModel, takeTarget } from "../../pipeline/train/fit.ts";

const example = fileURLToPath(new URL("../../examples/penguins/", import.meta.url));
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "orchard-shards-it-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The example without batch scoring, its final fit split in three shards. */
function shardedSpec(): string {
  const dir = tempDir();
  cpSync(join(example, "penguins.csv"), join(dir, "penguins.csv"));
  const yaml = readFileSync(join(example, "pipeline.yaml"), "utf8")
    .replace("model:\n  trees: 100\n", "model:\n  trees: 100\n  shards: 3\n")
    .replace(/\ndeploy:[\s\S]*$/, "\n");
  if (!yaml.includes("shards: 3")) throw new Error("the example's model section changed");
  writeFileSync(join(dir, "pipeline.yaml"), yaml);
  return join(dir, "pipeline.yaml");
}

describe("a sharded final fit in a local run", () => {
  it("fans the trees out over FitShards and assembles the bundle an unsharded Select stores", async () => {
    const stateDir = tempDir();
    const run = await runLocally({ specPath: shardedSpec(), stateDir });
    expect(run.result.status).toBe("SUCCEEDED");
    const names = run.result.states.filter((s) => s.iteration === undefined).map((s) => s.name);
    expect(names.slice(names.indexOf("Select"), names.indexOf("Evaluate") + 1)).toEqual([
      "Select",
      "Sharded",
      "FitShards",
      "Assemble",
      "Evaluate",
    ]);
    const shards = run.result.states.filter((s) => s.name === "TrainShard");
    expect(shards.map((s) => s.iteration)).toEqual([0, 1, 2]);
    const state = run.state!;
    expect(state.shards?.map((s) => [s.from, s.to])).toEqual([
      [0, 33],
      [33, 66],
      [66, 100],
    ]);
    // the state carries the shards' URIs, never their trees
    expect(JSON.stringify(state.shards).length).toBeLessThan(2000);
    // under the one prefix the lifecycle rule expires (infra: expire-<pipeline>-shards)
    for (const s of state.shards ?? []) {
      expect(s.shardUri).toMatch(
        new RegExp(`^s3://[^/]+/${shardPrefix("penguins")}[0-9a-f]{64}\\.orchard-shard$`),
      );
    }

    // Select's own refit of the same candidate from the same state: the same bundle bytes.
    const unsharded = await withLocalStores(stateDir, () =>
      runAs({ role: "select", pipeline: "penguins" }, async () => {
        const deps = stepDeps();
        const spec = await loadSpec(deps, state);
        const data = await loadDataset(deps, state.preprocess!.datasetUri);
        const ranked = rankCandidates(state.train!);
        const model = await fitModel(
          takeRows(data.frame, data.train),
          takeTarget(data.target, data.train),
          ranked[0]!.params,
          trainingSetup(spec, state.preprocess!.features),
        );
        return storeModel(state, deps, spec, data, ranked, model);
      }),
    );
    expect(state.select?.modelSha256).toBe(unsharded.modelSha256);
    expect(state.select?.modelUri).toBe(unsharded.modelUri);
    expect(run.championAfter?.version).toBe(state.evaluate?.version);
  });
});

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TargetError } from "../../pipeline/errors.ts";
import { loadBundle } from "../../pipeline/model/bundle.ts";
import {
  evaluate,
  ingest,
  preprocess,
  promote,
  type RunState,
  type StepDeps,
  select,
  train,
  validate,
} from "../../pipeline/steps/index.ts";
import {
  MemoryArtifactStore,
  MemoryFeatureStore,
  MemoryModelRegistry,
} from "../../pipeline/store-memory.ts";

const specYaml = readFileSync(new URL("../../examples/penguins/pipeline.yaml", import.meta.url));
const csv = readFileSync(new URL("../../examples/penguins/penguins.csv", import.meta.url));

function memoryDeps(source: Uint8Array): StepDeps {
  return {
    artifacts: new MemoryArtifactStore(),
    features: new MemoryFeatureStore(),
    registry: new MemoryModelRegistry(),
    readSource: async () => source,
    now: () => new Date("2026-01-01T00:00:00Z"),
  };
}

/** Runs the steps in the state machine's order, merging outputs as ResultPath does. */
async function runSteps(deps: StepDeps, spec: Uint8Array = specYaml): Promise<RunState> {
  const stored = await deps.artifacts.putContent("artifacts", "penguins/specs", spec, "yaml");
  const state: RunState = {
    run: { pipeline: "penguins", specUri: stored.uri, sourceUri: "file:///data/penguins.csv" },
  };
  state.ingest = await ingest(state, deps);
  state.validate = await validate(state, deps);
  state.preprocess = await preprocess(state, deps);
  state.train = await Promise.all(
    state.preprocess.candidates.map((candidate) => train({ candidate, run: state }, deps)),
  );
  state.select = await select(state, deps);
  state.evaluate = await evaluate(state, deps);
  if (state.evaluate.promote) state.promote = await promote(state, deps);
  return state;
}

describe("pipeline steps in sequence (in-memory stores)", () => {
  it("trains, registers and promotes the first model, then does not churn on the same data", async () => {
    const deps = memoryDeps(csv);
    const first = await runSteps(deps);
    expect(first.preprocess?.candidates).toHaveLength(4);
    // A hash split: about 20 % of rows (69 ± 7), the same rows however the data grows.
    expect(first.preprocess?.rows).toMatchObject({ input: 344, train: 270, test: 74 });
    expect(first.preprocess?.onlineRows).toBe(344);
    const accuracy = (first.select?.metrics as { accuracy?: number } | undefined)?.accuracy;
    expect(accuracy).toBeGreaterThan(0.95);
    expect(first.evaluate?.promote).toBe(true);
    expect(first.promote).toEqual({ promoted: true, champion: first.evaluate?.version });

    const second = await runSteps(deps);
    expect(second.ingest?.rawUri).toBe(first.ingest?.rawUri);
    expect(second.ingest?.created).toBe(false);
    // Same data, same seed: the same model bytes, which do not beat the champion.
    expect(second.select?.modelUri).toBe(first.select?.modelUri);
    expect(second.evaluate?.promote).toBe(false);
    expect(second.evaluate?.champion).toMatchObject({ version: "v1", source: "rescored" });
    expect((await deps.registry.getChampion("penguins"))?.version).toBe("v1");
  });

  it("writes a bundle that predicts raw rows with the same preprocessing", async () => {
    const deps = memoryDeps(csv);
    const state = await runSteps(deps);
    const bundle = loadBundle(await deps.artifacts.get(state.select?.modelUri ?? ""));
    const [p] = bundle.predict([
      {
        island: "Biscoe",
        bill_length_mm: 47.5,
        bill_depth_mm: 15,
        flipper_length_mm: 218,
        body_mass_g: 4950,
        sex: "MALE",
      },
    ]);
    expect(p.prediction).toBe("Gentoo");
    expect(Object.values(p.probabilities ?? {}).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(bundle.header.lineage).toMatchObject({ pipeline: "penguins", seed: 42 });
    expect(bundle.header.lineage.dataSha256).toBe(state.ingest?.sha256);
  });

  it("fails Validate with a TargetError on a single-class target and leaves no champion", async () => {
    const lines = csv.toString().trim().split("\n");
    const adelie = [lines[0], ...lines.filter((l) => l.includes(",Adelie,"))].join("\n");
    const deps = memoryDeps(new TextEncoder().encode(`${adelie}\n`));
    await expect(runSteps(deps)).rejects.toThrow(TargetError);
    expect(await deps.registry.getChampion("penguins")).toBeNull();
  });
});

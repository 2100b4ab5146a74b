/**
 * The spec's reading options through the steps: `source.missing` makes a column with
 * placeholders numeric at training and in the bundle; `preprocessing.dropMissingTarget` drops
 * (and counts) rows without a target instead of failing Validate.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TargetError } from "../../pipeline/errors.ts";
import { loadBundle } from "../../pipeline/model/bundle.ts";
import {
  ingest,
  preprocess,
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

const csv = readFileSync(new URL("../../examples/penguins/penguins.csv", import.meta.url), "utf8");

/** Penguins with `n/a` in 3 bill lengths and no species in 4 rows. */
function messyCsv(): Uint8Array {
  const [header, ...lines] = csv.trim().split("\n");
  const out = lines.map((line, i) => {
    const cells = line.split(",");
    if (i % 50 === 7) cells[3] = "n/a";
    if (i % 80 === 3) cells[1] = "";
    return cells.join(",");
  });
  return new TextEncoder().encode(`${[header, ...out].join("\n")}\n`);
}

const SPEC = `name: penguins
seed: 42
source:
  uri: penguins.csv
target: species
task: classification
id: penguin_id
model:
  trees: 10
search:
  folds: 3
`;

async function runSteps(spec: string): Promise<{ state: RunState; deps: StepDeps }> {
  const deps: StepDeps = {
    artifacts: new MemoryArtifactStore(),
    features: new MemoryFeatureStore(),
    registry: new MemoryModelRegistry(),
    readSource: async () => messyCsv(),
    now: () => new Date("2026-01-01T00:00:00Z"),
  };
  const stored = await deps.artifacts.putContent(
    "artifacts",
    "penguins/specs",
    new TextEncoder().encode(spec),
    "yaml",
  );
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
  return { state, deps };
}

describe("reading options through the steps", () => {
  it("without them: Validate fails on the missing species and names the option", async () => {
    await expect(runSteps(SPEC)).rejects.toThrow(TargetError);
    await expect(runSteps(SPEC)).rejects.toThrow(/preprocessing\.dropMissingTarget: true/);
  });

  it("with them: rows dropped and counted, the column numeric, the reading in the bundle", async () => {
    const spec = SPEC.replace("uri: penguins.csv", "uri: penguins.csv\n  missing: [n/a]").concat(
      "preprocessing:\n  dropMissingTarget: true\n",
    );
    const { state, deps } = await runSteps(spec);
    expect(state.preprocess?.rows).toMatchObject({ input: 344, missingTargetDropped: 5 });
    expect(state.preprocess?.features.numeric).toContain("bill_length_mm");
    expect(state.validate?.warnings.join("\n")).toContain("preprocessing.dropMissingTarget");
    const bundle = loadBundle(await deps.artifacts.get(state.select?.modelUri ?? ""));
    expect(bundle.header.schema.reading).toEqual({ missing: ["n/a"] });
    const row = {
      island: "Biscoe",
      bill_depth_mm: 15,
      flipper_length_mm: 218,
      body_mass_g: 4950,
      sex: "MALE",
    };
    expect(bundle.predict([{ ...row, bill_length_mm: " n/a " }])).toEqual(
      bundle.predict([{ ...row, bill_length_mm: null }]),
    );
  });

  it("with placeholders and no source.missing: a warning names the column and the fix", async () => {
    const spec = SPEC.concat("preprocessing:\n  dropMissingTarget: true\n");
    const { state } = await runSteps(spec);
    const warning = state.validate?.warnings.find((w) => w.includes('"bill_length_mm"'));
    expect(warning).toContain("numeric except 7 cells of text");
    expect(warning).toContain("source.missing: [n/a]");
  });
});

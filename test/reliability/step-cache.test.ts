/**
 * The step cache over in-memory stores: a repeated step is answered from the cache; a change
 * to anything the step depends on (input, code version, a spec section it reads) misses; a
 * change to a section it does not read hits — and the real step's output is indeed unchanged
 * by it; a corrupt entry or a missing artifact is a miss, not an error.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { ArtifactNotFoundError } from "../../pipeline/errors.ts";
import { cachedStep, stepCacheStats } from "../../pipeline/steps/cache.ts";
import { PREPROCESS_CACHE, TRAIN_CACHE } from "../../pipeline/steps/cache-policies.ts";
import {
  ingest,
  preprocess,
  type RunState,
  type StepDeps,
  type TrainEvent,
  train,
} from "../../pipeline/steps/index.ts";
import {
  MemoryArtifactStore,
  MemoryFeatureStore,
  MemoryModelRegistry,
} from "../../pipeline/store-memory.ts";

const SPEC = readFileSync(new URL("../../examples/penguins/pipeline.yaml", import.meta.url), "utf8")
  .replace("trees: 100", "trees: 8")
  .replace("folds: 5", "folds: 3");
const CSV = readFileSync(new URL("../../examples/penguins/penguins.csv", import.meta.url));

const ON = () => ({ enabled: true, codeVersion: "test-1" });

function memoryDeps(): StepDeps {
  return {
    artifacts: new MemoryArtifactStore(),
    features: new MemoryFeatureStore(),
    registry: new MemoryModelRegistry(),
    readSource: async () => CSV,
    now: () => new Date("2026-01-01T00:00:00Z"),
  };
}

/** The state after Preprocess for `specText`, in `deps`. */
async function prepared(deps: StepDeps, specText: string): Promise<RunState> {
  const stored = await deps.artifacts.putContent(
    "artifacts",
    "penguins/specs",
    new TextEncoder().encode(specText),
    "yaml",
  );
  const state: RunState = {
    run: { pipeline: "penguins", specUri: stored.uri, sourceUri: "file:///data/penguins.csv" },
  };
  state.ingest = await ingest(state, deps);
  state.preprocess = await preprocess(state, deps);
  return state;
}

/** The same state with the spec replaced (same dataset, same candidates). */
async function withSpec(deps: StepDeps, state: RunState, specText: string): Promise<RunState> {
  const stored = await deps.artifacts.putContent(
    "artifacts",
    "penguins/specs",
    new TextEncoder().encode(specText),
    "yaml",
  );
  return { ...state, run: { ...state.run, specUri: stored.uri } };
}

describe("the step cache", () => {
  let deps: StepDeps;
  let base: RunState;
  let event: TrainEvent;

  beforeAll(async () => {
    deps = memoryDeps();
    base = await prepared(deps, SPEC);
    event = { candidate: base.preprocess!.candidates[0], run: base };
  });

  it("answers a repeated step from the cache with the same output, without running it", async () => {
    const run = vi.fn(train);
    const step = cachedStep(TRAIN_CACHE, run, ON);
    const first = await step(event, deps);
    const second = await step(event, deps);
    expect(run).toHaveBeenCalledTimes(1);
    expect(second).toEqual(first);
  });

  it.each([
    ["the code version", SPEC, "test-2", 0, true],
    ["the candidate", SPEC, "test-1", 1, true],
    ["model (read)", SPEC.replace("trees: 8", "trees: 9"), "test-1", 0, true],
    ["preprocessing (read)", SPEC.replace("scale: standard", "scale: robust"), "test-1", 0, true],
    ["search (read)", SPEC.replace("folds: 3", "folds: 4"), "test-1", 0, true],
    ["seed (read)", SPEC.replace("seed: 42", "seed: 7"), "test-1", 0, true],
    ["gate (not read)", SPEC.replace("minimum: 0.9", "minimum: 0.5"), "test-1", 0, false],
    [
      "split (not read)",
      SPEC.replace("testFraction: 0.2", "testFraction: 0.3"),
      "test-1",
      0,
      false,
    ],
  ])("Train: a change of %s → runs again: %s", async (_, specText, code, candidate, runs) => {
    const state = await withSpec(deps, base, specText);
    const run = vi.fn(train);
    const step = cachedStep(TRAIN_CACHE, run, () => ({ enabled: true, codeVersion: code }));
    await cachedStep(TRAIN_CACHE, train, ON)(event, deps);
    await step({ candidate: state.preprocess!.candidates[candidate], run: state }, deps);
    expect(run).toHaveBeenCalledTimes(runs ? 1 : 0);
  });

  it.each([
    ["gate", SPEC.replace("minimum: 0.9", "minimum: 0.5")],
    ["split", SPEC.replace("testFraction: 0.2", "testFraction: 0.3")],
  ])("Train's real output does not depend on %s, which its key leaves out", async (_, text) => {
    const state = await withSpec(deps, base, text);
    const candidate = base.preprocess!.candidates[0];
    expect(await train({ candidate, run: state }, deps)).toEqual(await train(event, deps));
  });

  it("Preprocess's real output does not depend on gate, which its key leaves out", async () => {
    const other = await prepared(deps, SPEC.replace("minimum: 0.9", "minimum: 0.5"));
    expect(PREPROCESS_CACHE.specSections).not.toContain("gate");
    expect(other.preprocess).toEqual(base.preprocess);
  });

  it("treats a corrupt entry as a miss and rewrites it", async () => {
    const local = memoryDeps();
    const state = await prepared(local, SPEC);
    const ev = { candidate: state.preprocess!.candidates[0], run: state };
    const step = cachedStep(TRAIN_CACHE, train, ON);
    await step(ev, local);
    const store = local.artifacts as MemoryArtifactStore;
    const put = vi.spyOn(store, "put");
    const get = vi.spyOn(store, "get").mockImplementation(async (uri) => {
      if (uri.includes("/cache/")) return new TextEncoder().encode('{"key": "trunc');
      throw new ArtifactNotFoundError(uri);
    });
    const run = vi.fn(train);
    await cachedStep(TRAIN_CACHE, run, ON)(ev, local);
    expect(run).toHaveBeenCalledTimes(1);
    expect(put).toHaveBeenCalledTimes(1);
    get.mockRestore();
  });

  it("misses when an artifact the cached output refers to is gone", async () => {
    const local = memoryDeps();
    const state = await prepared(local, SPEC);
    const run = vi.fn(preprocess);
    const step = cachedStep(PREPROCESS_CACHE, run, ON);
    const first = await step(state, local);
    vi.spyOn(local.artifacts, "exists").mockImplementation(async (uri) => uri !== first.datasetUri);
    await step(state, local);
    expect(run).toHaveBeenCalledTimes(2);
  });

  it("returns the step's output when the cache entry cannot be written", async () => {
    const local = memoryDeps();
    const state = await prepared(local, SPEC);
    vi.spyOn(local.artifacts, "put").mockRejectedValue(new Error("S3 is down"));
    const before = stepCacheStats().writeErrors;
    const out = await cachedStep(PREPROCESS_CACHE, preprocess, ON)(state, local);
    expect(out.datasetUri).toBe(state.preprocess!.datasetUri);
    expect(stepCacheStats().writeErrors).toBe(before + 1);
  });

  it("runs the step every time when the cache is off", async () => {
    const run = vi.fn(train);
    const step = cachedStep(TRAIN_CACHE, run, () => ({ enabled: false, codeVersion: "x" }));
    await step(event, deps);
    await step(event, deps);
    expect(run).toHaveBeenCalledTimes(2);
  });
});

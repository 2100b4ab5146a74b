import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { drift } from "../../pipeline/steps/drift.ts";
import { ingest, preprocess, type RunState, validate } from "../../pipeline/steps/index.ts";
import { forgetTables } from "../../pipeline/steps/load-table.ts";
import {
  MemoryArtifactStore,
  MemoryFeatureStore,
  MemoryModelRegistry,
} from "../../pipeline/store-memory.ts";

const specYaml = readFileSync(new URL("../../examples/penguins/pipeline.yaml", import.meta.url));
const csv = readFileSync(new URL("../../examples/penguins/penguins.csv", import.meta.url));

/** An in-memory store that records which URIs were read. */
class CountingStore extends MemoryArtifactStore {
  reads: string[] = [];
  override async get(uri: string): Promise<Uint8Array> {
    this.reads.push(uri);
    return super.get(uri);
  }
}

async function setUp(source: Uint8Array) {
  const artifacts = new CountingStore();
  const deps = {
    artifacts,
    features: new MemoryFeatureStore(),
    registry: new MemoryModelRegistry(),
    readSource: async () => source,
    now: () => new Date("2026-01-01T00:00:00Z"),
  };
  const spec = await artifacts.putContent("artifacts", "penguins/specs", specYaml, "yaml");
  const state: RunState = {
    run: { pipeline: "penguins", specUri: spec.uri, sourceUri: "file:///data/penguins.csv" },
  };
  state.ingest = await ingest(state, deps);
  return { deps, artifacts, state };
}

describe("the source is parsed once, by Ingest", () => {
  it("stores the typed table beside the raw snapshot, and later steps never read the snapshot", async () => {
    const { deps, artifacts, state } = await setUp(csv);
    const tableUri = state.ingest?.tableUri;
    expect(tableUri).toMatch(/^s3:\/\/[^/]+\/penguins\/[0-9a-f]{64}\.table$/);
    // As in separate Lambdas: nothing decoded is left in this process.
    forgetTables();
    state.validate = await validate(state, deps);
    state.drift = await drift(state, deps);
    state.preprocess = await preprocess(state, deps);
    expect(artifacts.reads).not.toContain(state.ingest?.rawUri);
    // Read from the store once, then shared within the process.
    expect(artifacts.reads.filter((uri) => uri === tableUri)).toHaveLength(1);
    expect(state.validate.rows).toBe(344);
    expect(state.preprocess.rows.input).toBe(344);
  });

  it("stores no table for a source that does not parse, and Validate names the problem", async () => {
    const { deps, state } = await setUp(
      new TextEncoder().encode("species,bill\nAdelie,1\nGentoo\n"),
    );
    expect(state.ingest?.tableUri).toBeNull();
    await expect(validate(state, deps)).rejects.toThrow(/row 2 \(line 3\) has 1 fields/);
  });
});

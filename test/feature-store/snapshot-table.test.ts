/**
 * A snapshot with view features joined (JSON Lines) is stored as the typed table too, as a
 * plain source's is: Validate, Drift and Preprocess read the table, never the JSON Lines.
 */
import { describe, expect, it } from "vitest";
import { materializeView } from "../../pipeline/feature-store/materialize.ts";
import { parseView } from "../../pipeline/feature-store/parse-view.ts";
import { drift } from "../../pipeline/steps/drift.ts";
import { ingest, preprocess, type RunState, validate } from "../../pipeline/steps/index.ts";
import { forgetTables } from "../../pipeline/steps/load-table.ts";
import {
  MemoryArtifactStore,
  MemoryFeatureStore,
  MemoryModelRegistry,
} from "../../pipeline/store-memory.ts";

const VIEW = parseView(
  `name: spend
owner: team-a
entities: [customer]
timestamp: at
source: { uri: spend.csv }
ttl: 30d
features:
  - name: amount
  - { name: amount_sum_7d, column: amount, aggregate: sum, window: 7d }
`,
  { file: "features/spend.yaml" },
);

const SPEC = `name: churn
seed: 1
source:
  uri: rows.csv
target: churned
task: classification
features:
  from:
    - view: spend
      features: [amount, amount_sum_7d]
split:
  strategy: time
  timeColumn: at
  testFraction: 0.25
model:
  trees: 5
  maxDepth: 3
`;

const encode = (text: string) => new TextEncoder().encode(text);

/** Spend per customer and day, and labelled rows a day after each. */
function data() {
  const spend = ["customer,at,amount"];
  const rows = ["customer,at,tenure,churned"];
  for (let d = 1; d <= 24; d++) {
    for (const c of ["c1", "c2", "c3", "c4"]) {
      const day = String(d).padStart(2, "0");
      spend.push(`${c},2024-01-${day}T00:00:00Z,${(d * c.charCodeAt(1)) % 17}`);
      rows.push(`${c},2024-01-${day}T12:00:00Z,${d},${(d + c.charCodeAt(1)) % 2 ? "yes" : "no"}`);
    }
  }
  return { spend: encode(`${spend.join("\n")}\n`), rows: encode(`${rows.join("\n")}\n`) };
}

class CountingStore extends MemoryArtifactStore {
  reads: string[] = [];
  override async get(uri: string): Promise<Uint8Array> {
    this.reads.push(uri);
    return super.get(uri);
  }
}

describe("the joined snapshot as a typed table", () => {
  it("is stored beside the JSON Lines, and the later steps read it instead", async () => {
    const { spend, rows } = data();
    const artifacts = new CountingStore();
    const deps = {
      artifacts,
      features: new MemoryFeatureStore(),
      registry: new MemoryModelRegistry(),
      readSource: async (uri: string) => (uri.endsWith("spend.csv") ? spend : rows),
      now: () => new Date("2024-02-01T00:00:00Z"),
    };
    await materializeView(deps, { view: VIEW, sourceUri: "file:///data/spend.csv" });
    const spec = await artifacts.putContent("artifacts", "churn/specs", encode(SPEC), "yaml");
    const state: RunState = {
      run: { pipeline: "churn", specUri: spec.uri, sourceUri: "file:///data/rows.csv" },
    };
    state.ingest = await ingest(state, deps);
    expect(state.ingest.format).toBe("jsonl");
    expect(state.ingest.rawUri).toMatch(/\.jsonl$/);
    const tableUri = state.ingest.tableUri;
    expect(tableUri).toMatch(/^s3:\/\/[^/]+\/churn\/[0-9a-f]{64}\.table$/);

    // As in separate Lambdas: nothing decoded is left in this process.
    forgetTables();
    artifacts.reads = [];
    state.validate = await validate(state, deps);
    state.drift = await drift(state, deps);
    state.preprocess = await preprocess(state, deps);
    expect(artifacts.reads).not.toContain(state.ingest.rawUri);
    expect(artifacts.reads.filter((uri) => uri === tableUri)).toHaveLength(1);
    expect(state.validate.rows).toBe(96);
    expect(state.preprocess.rows.input).toBe(96);
  });
});

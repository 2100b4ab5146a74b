/**
 * Derived features (`features.derived`) computed by the same function at every door: a
 * pipeline trains through the steps (in-memory stores), then the same raw rows — without any
 * derived column — are scored by `orchard predict`'s reader, batch scoring and POST /predict
 * (the Lambda's and `orchard serve`'s handler). Each door's derived values equal the ones the
 * model was trained on, and so do its predictions.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parseRows } from "../../cli/read-rows.ts";
import { cellValue, getColumn } from "../../pipeline/data/frame.ts";
import { loadBundle, type ModelBundle } from "../../pipeline/model/bundle.ts";
import { readModelRows } from "../../pipeline/model/schema.ts";
import { handleRequest } from "../../pipeline/serving/handle.ts";
import { ServedModels } from "../../pipeline/serving/served-models.ts";
import { predictIn, scoreFile } from "../../pipeline/steps/batch-score.ts";
import { decodeDataset, type PreparedDataset } from "../../pipeline/steps/dataset.ts";
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
import { predictFrame } from "../../pipeline/train/fit.ts";
import { memoryServing, post } from "./fixtures.ts";

const PIPELINE = "derived-demo";
const DERIVED = {
  x_per_y: "ratio(x, y)",
  log_x: "log1p(x)",
  poly: "x^2 + x*y - 3",
  x_band: "bin(x, [5, 10, 15])",
  colour_band: "cross(colour, x_band)",
  month: "month(`signed up`)",
  weekday: "weekday(`signed up`)",
};
const SPEC = `name: ${PIPELINE}
source:
  uri: data.csv
target: target
task: regression
id: id
features:
  drop: ["signed up"]
  derived:
${Object.entries(DERIVED)
  .map(([name, expression]) => `    ${name}: "${expression}"`)
  .join("\n")}
model:
  trees: 20
`;

const COLOURS = ["red", "blue", "green"];
function csv(): string {
  const lines = ["id,x,y,colour,signed up,target"];
  for (let i = 0; i < 120; i++) {
    const x = (i * 7) % 20;
    const y = i % 6; // 0 makes ratio(x, y) missing
    const colour = i % 11 === 0 ? "" : COLOURS[i % 3];
    const day = new Date(Date.UTC(2024, i % 12, 1 + (i % 27), i % 24));
    const when = i % 13 === 0 ? "" : day.toISOString();
    const target =
      (y === 0 ? 0 : (3 * x) / y) + (day.getUTCMonth() + 1) + (colour === "red" ? 5 : 0);
    lines.push(`${i},${x},${y},${colour},${when},${target}`);
  }
  return `${lines.join("\n")}\n`;
}

let bundle: ModelBundle;
let dataset: PreparedDataset;
let served: ServedModels;
const data = new TextEncoder().encode(csv());

beforeAll(async () => {
  const deps: StepDeps = {
    artifacts: new MemoryArtifactStore(),
    features: new MemoryFeatureStore(),
    registry: new MemoryModelRegistry(),
    readSource: async () => data,
    now: () => new Date("2026-01-01T00:00:00Z"),
  };
  const spec = new TextEncoder().encode(SPEC);
  const stored = await deps.artifacts.putContent("artifacts", `${PIPELINE}/specs`, spec, "yaml");
  const state: RunState = {
    run: { pipeline: PIPELINE, specUri: stored.uri, sourceUri: "file:///data/data.csv" },
  };
  state.ingest = await ingest(state, deps);
  state.validate = await validate(state, deps);
  state.preprocess = await preprocess(state, deps);
  state.train = await Promise.all(
    state.preprocess.candidates.map((candidate) => train({ candidate, run: state }, deps)),
  );
  state.select = await select(state, deps);
  bundle = loadBundle(await deps.artifacts.get(state.select.modelUri));
  dataset = decodeDataset(await deps.artifacts.get(state.preprocess.datasetUri));
  const stores = memoryServing(PIPELINE);
  await stores.promote(bundle);
  served = new ServedModels({ pipeline: PIPELINE, ...stores, refreshMs: 0 });
});

/** The raw rows of the data file as a user sends them: no target, no derived column. */
function requestRows(): Record<string, unknown>[] {
  return parseRows(data, "csv", "data.csv").map(({ target: _, ...row }) => row);
}

describe("derived features at training and at every door", () => {
  it("trains on the derived columns and records the expressions in the model", () => {
    expect(bundle.header.schema.derived).toEqual({
      features: Object.entries(DERIVED).map(([name, expression]) => ({ name, expression })),
      inputs: { x: "numeric", y: "numeric", colour: "categorical", "signed up": "categorical" },
    });
    expect(bundle.header.schema.features.numeric).toEqual(
      expect.arrayContaining(["x_per_y", "log_x", "poly", "month", "weekday"]),
    );
    expect(bundle.header.schema.features.categorical).toEqual(
      expect.arrayContaining(["x_band", "colour_band"]),
    );
    expect(bundle.header.schema.features.categorical).not.toContain("signed up");
  });

  it("computes each row's derived values at a door exactly as at training", () => {
    const read = readModelRows(bundle.header.schema, requestRows());
    for (const name of Object.keys(DERIVED)) {
      const column = getColumn(dataset.frame, name);
      if (!column) throw new Error(`no ${name} in the training dataset`);
      const trained = read.map((_, r) => cellValue(column, r));
      expect({ name, values: read.map((row) => row[name]) }).toEqual({ name, values: trained });
    }
    // Missing inputs gave missing outputs (then imputed): y = 0, no colour, no date.
    expect(read[0].x_per_y).toBeNull();
    expect(read[11].colour_band).toBeNull();
    expect(read[13].month).toBeNull();
  });

  it("gives the training-time predictions at every door", async () => {
    const rows = requestRows();
    const trained = Array.from(predictFrame(bundle, dataset.frame).values);
    const asJsonl = new TextEncoder().encode(`${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const { response } = await handleRequest(post({ rows }), served);
    expect(response.status).toBe(200);
    const doors: Record<string, number[]> = {
      "orchard predict": predictIn(bundle, parseRows(data, "csv", "in.csv"), "in.csv").map(
        (p) => p.prediction as number,
      ),
      "batch scoring": new TextDecoder()
        .decode((await scoreFile(bundle, asJsonl, "jsonl", "in.jsonl")).bytes)
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line).prediction),
      "POST /predict": JSON.parse(response.body).predictions.map(
        (p: { prediction: number }) => p.prediction,
      ),
    };
    for (const [door, got] of Object.entries(doors)) {
      expect({ door, got }).toEqual({ door, got: trained });
    }
  });

  it("ignores a derived value a request sends and never requires one", async () => {
    const [row] = requestRows();
    const { response: plain } = await handleRequest(post({ rows: [row] }), served);
    const { response: sent } = await handleRequest(
      post({ rows: [{ ...row, poly: 1e9, x_band: "nonsense" }] }),
      served,
    );
    expect(JSON.parse(sent.body).predictions).toEqual(JSON.parse(plain.body).predictions);
  });
});

/**
 * The data path alone, at sizes where a whole run takes too long to repeat: the step functions
 * Ingest → Validate → Drift → Preprocess (and with --train, Train → Select → Evaluate) called
 * in one process with in-memory stores, on bench:e2e's seeded synthetic data, as CSV or
 * Parquet. Prints per step the wall and CPU seconds and the RSS after it, then the process's
 * peak RSS. What it leaves out of `orchard run`: the embedded S3 and DynamoDB, the state
 * machine, and Report.
 *
 *   npx tsx bench/data-path.ts --rows 1000000 --features 50 [--format csv|parquet] [--train]
 *                              [--trees 100] [--json]
 */
import { parseArgs } from "node:util";
import { parquetWriteBuffer } from "hyparquet-writer";
import { drift } from "../pipeline/steps/drift.ts";
import {
  evaluate,
  ingest,
  preprocess,
  type RunState,
  select,
  train,
  validate,
} from "../pipeline/steps/index.ts";
import { forgetTables } from "../pipeline/steps/load-table.ts";
import {
  MemoryArtifactStore,
  MemoryFeatureStore,
  MemoryModelRegistry,
} from "../pipeline/store-memory.ts";
import { makeClassification } from "./make-classification.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "80000" },
    features: { type: "string", default: "20" },
    format: { type: "string", default: "csv" },
    trees: { type: "string", default: "100" },
    seed: { type: "string", default: "7" },
    train: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
  strict: true,
});
const rows = Number(values.rows);
const features = Number(values.features);
const format = values.format;
if (format !== "csv" && format !== "parquet") throw new Error("--format: csv or parquet");

const data = makeClassification({ rows, features, seed: Number(values.seed) });
const names = Array.from({ length: features }, (_, j) => `f${j}`);
const source = format === "csv" ? csvBytes() : parquetBytes();
data.X.values = new Float64Array(0);

const spec = [
  "name: bench-data-path",
  `seed: ${values.seed}`,
  `source: { uri: data.${format} }`,
  "target: label",
  "task: classification",
  `model: { trees: ${values.trees} }`,
  "",
].join("\n");
const deps = {
  artifacts: new MemoryArtifactStore(),
  features: new MemoryFeatureStore(),
  registry: new MemoryModelRegistry(),
  readSource: async () => source,
  now: () => new Date("2026-01-01T00:00:00Z"),
};
const stored = await deps.artifacts.putContent(
  "artifacts",
  "bench-data-path/specs",
  new TextEncoder().encode(spec),
  "yaml",
);
const state: RunState = {
  run: { pipeline: "bench-data-path", specUri: stored.uri, sourceUri: `file:///data.${format}` },
};
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const common = { rows, features, format, sourceMb: mb(source.length) };

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await run();
  const cpu = process.cpuUsage(cpu0);
  const line = {
    ...common,
    state: name,
    seconds: (performance.now() - t0) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssMb: mb(process.memoryUsage.rss()),
  };
  if (values.json) process.stdout.write(`${JSON.stringify(line)}\n`);
  else {
    process.stdout.write(
      `${name.padEnd(11)} ${line.seconds.toFixed(2).padStart(8)} s  cpu ${line.cpuSeconds.toFixed(2).padStart(7)} s  rss ${String(line.rssMb).padStart(6)} MB\n`,
    );
  }
  return out;
}

state.ingest = await step("Ingest", () => ingest(state, deps));
// As separate Lambdas are: the steps after Ingest start without its decoded table.
forgetTables();
state.validate = await step("Validate", () => validate(state, deps));
state.drift = await step("Drift", () => drift(state, deps));
state.preprocess = await step("Preprocess", () => preprocess(state, deps));
if (values.train) {
  const prepared = state.preprocess;
  state.train = await step("Train", () =>
    Promise.all(prepared.candidates.map((candidate) => train({ candidate, run: state }, deps))),
  );
  state.select = await step("Select", () => select(state, deps));
  state.evaluate = await step("Evaluate", () => evaluate(state, deps));
}
const peak = { ...common, peakRssMb: mb(process.resourceUsage().maxRSS * 1024) };
process.stdout.write(
  values.json
    ? `${JSON.stringify(peak)}\n`
    : `peak RSS ${peak.peakRssMb} MB (source ${common.sourceMb} MB)\n`,
);

function csvBytes(): Uint8Array {
  const X = data.X.values;
  const chunks: Uint8Array[] = [new TextEncoder().encode(`${names.join(",")},label\n`)];
  for (let from = 0; from < rows; from += 10_000) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(rows, from + 10_000); i++) {
      const cells: string[] = [];
      for (let j = 0; j < features; j++) cells.push(String(X[i * features + j]));
      cells.push(String(data.y.codes[i]));
      lines.push(cells.join(","));
    }
    chunks.push(new TextEncoder().encode(`${lines.join("\n")}\n`));
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function parquetBytes(): Uint8Array {
  const X = data.X.values;
  const columnData = names.map((name, j) => ({
    name,
    data: Float64Array.from({ length: rows }, (_, i) => X[i * features + j] as number),
    type: "DOUBLE" as const,
  }));
  columnData.push({ name: "label", data: Float64Array.from(data.y.codes), type: "DOUBLE" });
  return new Uint8Array(parquetWriteBuffer({ columnData }));
}

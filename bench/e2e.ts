/**
 * End-to-end benchmark: the whole local pipeline (`orchard run` with a minimal spec) on seeded
 * synthetic data, state by state, beside scikit-learn's fit alone on the same file.
 *
 *   npm run -s bench:e2e -- --rows 80000 --features 20 [--format csv|parquet] [--trees 100]
 *                           [--seed 7] [--json] [--skip-peer]
 *
 * Data: bench/make-classification.ts (binary target `label`, numeric features f0…), written to
 * a temporary directory as CSV, and as Parquet too with --format parquet (the pipeline then
 * reads the Parquet file; scikit-learn always reads the CSV twin, and its reading is not timed).
 * The run happens in a child process (bench/e2e-run.ts) with a fresh state directory, so its
 * peak RSS is its own. The peer is RandomForestClassifier with the same trees, one thread
 * (bench/sklearn_fit_csv.py, when /usr/bin/python3 has scikit-learn).
 *
 * With --json, stdout holds one object per state,
 * {"rows","features","format","state","seconds","peakRssMb"}, then one summary object
 * {"rows","features","format","endToEndSeconds","peakRssMb","sklearnFitSeconds"}; progress and
 * the table go to stderr.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parquetWriteBuffer } from "hyparquet-writer";
import { makeClassification } from "./make-classification.ts";

const PYTHON = "/usr/bin/python3";
const HERE = fileURLToPath(new URL(".", import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "80000" },
    features: { type: "string", default: "20" },
    format: { type: "string", default: "csv" },
    trees: { type: "string", default: "100" },
    seed: { type: "string", default: "7" },
    json: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    // At 1M x 50 scikit-learn's single-core fit alone takes most of an hour; --skip-peer
    // measures Orchard only (the last line then has "sklearnFitSeconds": null).
    "skip-peer": { type: "boolean", default: false },
  },
  strict: true,
});
const rows = Number(values.rows);
const features = Number(values.features);
const trees = Number(values.trees);
const seed = Number(values.seed);
const format = values.format;
if (!Number.isInteger(rows) || rows < 100)
  throw new Error("--rows: a whole number of at least 100");
if (!Number.isInteger(features) || features < 1) throw new Error("--features: a whole number ≥ 1");
if (format !== "csv" && format !== "parquet") throw new Error("--format: csv or parquet");

const dir = mkdtempSync(join(tmpdir(), "orchard-e2e-"));
try {
  log(`generating ${rows} x ${features} (seed ${seed}) in ${dir}`);
  const data = makeClassification({ rows, features, seed });
  const names = Array.from({ length: features }, (_, j) => `f${j}`);
  writeCsv(join(dir, "data.csv"), data.X.values, data.y.codes, names);
  if (format === "parquet")
    writeParquet(join(dir, "data.parquet"), data.X.values, data.y.codes, names);
  const spec = join(dir, "pipeline.yaml");
  writeFileSync(
    spec,
    [
      "name: bench-e2e",
      `seed: ${seed}`,
      `source: { uri: data.${format} }`,
      "target: label",
      "task: classification",
      `model: { trees: ${trees} }`,
      "",
    ].join("\n"),
  );

  log("orchard run …");
  const child = spawnSync(
    process.execPath,
    ["--import", "tsx", join(HERE, "e2e-run.ts"), spec, join(dir, "state")],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "inherit"] },
  );
  if (child.status !== 0) throw new Error(`the run's process exited ${child.status}`);
  const run = JSON.parse(child.stdout.trim().split("\n").at(-1) as string) as {
    status: string;
    endState: string;
    error: unknown;
    endToEndSeconds: number;
    peakRssMb: number;
    states: { state: string; seconds: number; peakRssMb: number | null }[];
  };
  if (run.status !== "SUCCEEDED") throw new Error(`the run failed: ${JSON.stringify(run.error)}`);

  const sklearn = values["skip-peer"] ? null : sklearnFit(join(dir, "data.csv"), trees, seed);
  const common = { rows, features, format };
  if (values.json) {
    for (const s of run.states) process.stdout.write(`${JSON.stringify({ ...common, ...s })}\n`);
    process.stdout.write(
      `${JSON.stringify({
        ...common,
        endToEndSeconds: run.endToEndSeconds,
        peakRssMb: run.peakRssMb,
        sklearnFitSeconds: sklearn?.fitSeconds ?? null,
      })}\n`,
    );
  }
  const out = values.json ? log : (line: string) => process.stdout.write(`${line}\n`);
  out(`\n${rows.toLocaleString("en")} rows x ${features} features, ${format}, ${trees} trees`);
  out("state                 seconds   peak RSS MB");
  for (const s of run.states) {
    out(
      `${s.state.padEnd(20)} ${s.seconds.toFixed(2).padStart(8)}   ${(s.peakRssMb ?? 0).toFixed(0).padStart(11)}`,
    );
  }
  out(
    `${"end to end".padEnd(20)} ${run.endToEndSeconds.toFixed(2).padStart(8)}   ${run.peakRssMb.toFixed(0).padStart(11)}`,
  );
  if (sklearn) {
    out(
      `scikit-learn ${sklearn.sklearnVersion} fit alone: ${sklearn.fitSeconds.toFixed(2)} s (accuracy ${sklearn.accuracy.toFixed(4)}); ` +
        `orchard end to end / sklearn fit = ${(run.endToEndSeconds / sklearn.fitSeconds).toFixed(2)}`,
    );
  } else if (values["skip-peer"]) {
    out("scikit-learn: not measured (--skip-peer)");
  } else {
    out(
      "scikit-learn: not measured (/usr/bin/python3 has no sklearn: apt-get install python3-sklearn)",
    );
  }
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}

function writeCsv(path: string, X: Float64Array, y: Int32Array, names: string[]): void {
  const cols = names.length;
  // Written a block of rows at a time: a million wide rows are more text than one JS string
  // may hold.
  const fd = openSync(path, "w");
  try {
    writeSync(fd, `${names.join(",")},label\n`);
    const BLOCK = 10_000;
    for (let from = 0; from < y.length; from += BLOCK) {
      const lines: string[] = [];
      for (let i = from; i < Math.min(y.length, from + BLOCK); i++) {
        const cells: string[] = new Array(cols + 1);
        for (let j = 0; j < cols; j++) cells[j] = String(X[i * cols + j]);
        cells[cols] = String(y[i]);
        lines.push(cells.join(","));
      }
      writeSync(fd, `${lines.join("\n")}\n`);
    }
  } finally {
    closeSync(fd);
  }
}

function writeParquet(path: string, X: Float64Array, y: Int32Array, names: string[]): void {
  const cols = names.length;
  const columnData = names.map((name, j) => ({
    name,
    data: Float64Array.from({ length: y.length }, (_, i) => X[i * cols + j] as number),
    type: "DOUBLE" as const,
  }));
  columnData.push({ name: "label", data: Float64Array.from(y), type: "DOUBLE" as const });
  writeFileSync(path, new Uint8Array(parquetWriteBuffer({ columnData })));
}

interface SklearnResult {
  fitSeconds: number;
  accuracy: number;
  sklearnVersion: string;
}

function sklearnFit(csv: string, trees: number, seed: number): SklearnResult | null {
  try {
    execFileSync(PYTHON, ["-c", "import sklearn"], { stdio: "ignore" });
  } catch {
    return null;
  }
  log("scikit-learn fit …");
  const stdout = execFileSync(
    PYTHON,
    [join(HERE, "sklearn_fit_csv.py"), csv, "label", String(trees), String(seed), "0.2"],
    { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" } },
  );
  return JSON.parse(stdout) as SklearnResult;
}

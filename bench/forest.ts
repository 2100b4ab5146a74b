/**
 * Random-forest benchmark: Orchard's engine (1 worker and every core), ml-random-forest (small
 * data only) and scikit-learn, on the same seeded split, with ratios against scikit-learn.
 *
 *   npm run bench:forest -- --rows 100000 --features 20 --trees 100 [--workers W] [--seed S]
 *   npm run bench:forest -- --csv data.csv --target species [--trees T] [--json]
 *
 * Data: seeded synthetic binary classification (bench/make-classification.ts), or a CSV whose
 * non-target columns are numeric (others are dropped, empty cells are missing), then a seeded
 * 80/20 split written to a temp directory. Each engine runs in a child process of its own
 * (bench/forest-run.ts, bench/sklearn_forest.py) so its peak RSS is its own; every engine
 * uses scikit-learn's RandomForestClassifier defaults (grown to purity, sqrt features,
 * bootstrap). With --json stdout holds exactly one JSON object per engine run; progress
 * always goes to stderr.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parse } from "csv-parse/sync";
import { BUNDLED_WORKER_FILE } from "../pipeline/forest/worker-pool.ts";
import { type Dataset, makeClassification, trainTestSplit } from "./make-classification.ts";
import { removeSplit, type SplitShape, writeSplit } from "./split-files.ts";

/** ml-random-forest is only run up to this many training rows (it needs minutes beyond). */
export const ML_RANDOM_FOREST_MAX_ROWS = 2000;
const PYTHON = "/usr/bin/python3";

interface Result {
  engine: "orchard" | "ml-random-forest" | "sklearn";
  workers: number;
  trainRows: number;
  features: number;
  trees: number;
  fitSeconds: number;
  predictSeconds: number;
  accuracy: number;
  peakRssMb: number;
}

const log = (msg: string) => process.stderr.write(`${msg}\n`);

function readCsvDataset(file: string, target: string): Dataset {
  const records = parse(readFileSync(file, "utf8"), {
    bom: true,
    skip_empty_lines: true,
  }) as string[][];
  const header = records[0].map((h) => h.trim());
  const t = header.indexOf(target);
  if (t < 0)
    throw new Error(`--target "${target}" is not a column of ${file} (${header.join(", ")})`);
  const rows = records.slice(1);
  const kept: number[] = [];
  for (let j = 0; j < header.length; j++) {
    if (j === t) continue;
    const numeric = rows.every((r) => r[j].trim() === "" || Number.isFinite(Number(r[j])));
    if (numeric) kept.push(j);
    else log(`dropping non-numeric column "${header[j]}"`);
  }
  const labels = rows.map((r) => r[t].trim());
  const classes = [...new Set(labels)].sort();
  const values = new Float64Array(rows.length * kept.length);
  for (let i = 0; i < rows.length; i++) {
    for (let k = 0; k < kept.length; k++) {
      const cell = rows[i][kept[k]].trim();
      values[i * kept.length + k] = cell === "" ? Number.NaN : Number(cell);
    }
  }
  return {
    X: { values, rows: rows.length, cols: kept.length, names: kept.map((j) => header[j]) },
    y: {
      kind: "classification",
      codes: Int32Array.from(labels, (l) => classes.indexOf(l)),
      classes,
    },
  };
}

/**
 * Bundles the engine runner and the forest worker the way a Lambda bundle would (two esbuild
 * entries, npm packages left external), into node_modules/.cache so the packages resolve.
 * Returns the runner's path.
 */
async function bundleRunner(): Promise<string> {
  const esbuild = await import("esbuild");
  const root = fileURLToPath(new URL("../", import.meta.url));
  const outdir = join(root, "node_modules", ".cache", "orchard-bench");
  await esbuild.build({
    entryPoints: {
      "forest-run": join(root, "bench", "forest-run.ts"),
      [BUNDLED_WORKER_FILE.replace(/\.js$/, "")]: join(root, "pipeline", "forest", "worker.ts"),
    },
    outdir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
  // files under node_modules are CommonJS unless their own package.json says otherwise
  writeFileSync(join(outdir, "package.json"), '{ "type": "module" }\n');
  return join(outdir, "forest-run.js");
}

function runOrchard(
  runner: string | null,
  engine: Result["engine"],
  dir: string,
  shape: SplitShape,
  workers: number,
  trees: number,
  seed: number,
): Record<string, number> {
  const source = fileURLToPath(new URL("./forest-run.ts", import.meta.url));
  const args = JSON.stringify({ dir, engine, workers, trees, seed, ...shape });
  const out = execFileSync(
    process.execPath,
    runner ? [runner, args] : ["--import", "tsx", source, args],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split("\n").pop()!);
}

function runSklearn(dir: string, shape: SplitShape, trees: number, seed: number) {
  const probe = spawnSync(PYTHON, ["-c", "import sklearn, numpy"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    log(`scikit-learn: skipped (${PYTHON} cannot import sklearn/numpy)`);
    return null;
  }
  const script = fileURLToPath(new URL("./sklearn_forest.py", import.meta.url));
  const args = [script, dir, shape.trainRows, shape.testRows, shape.features, trees, seed].map(
    String,
  );
  const out = execFileSync(PYTHON, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const result = JSON.parse(out.trim().split("\n").pop()!);
  if (typeof result.skipped === "string") {
    log(`scikit-learn: skipped (${result.skipped.split("\n")[0]})`);
    return null;
  }
  return result;
}

function fmt(x: number, digits: number): string {
  return x.toFixed(digits);
}

function printTable(results: Result[]): void {
  const sk = results.find((r) => r.engine === "sklearn");
  const head = ["engine", "workers", "fit s", "predict s", "accuracy", "peak RSS MB"];
  if (sk) head.push("fit speedup", "acc delta (pts)", "RSS ratio");
  const rows = results.map((r) => {
    const row = [
      r.engine,
      String(r.workers),
      fmt(r.fitSeconds, 2),
      fmt(r.predictSeconds, 3),
      fmt(r.accuracy, 4),
      fmt(r.peakRssMb, 0),
    ];
    if (sk) {
      row.push(
        `${fmt(sk.fitSeconds / r.fitSeconds, 1)}x`,
        `${r.accuracy >= sk.accuracy ? "+" : ""}${fmt(100 * (r.accuracy - sk.accuracy), 2)}`,
        fmt(r.peakRssMb / sk.peakRssMb, 2),
      );
    }
    return row;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join("  ");
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  if (!sk) console.log("(no scikit-learn run: no ratios)");
}

async function main(): Promise<void> {
  const { values: opts } = parseArgs({
    options: {
      rows: { type: "string", default: "100000" },
      features: { type: "string", default: "20" },
      trees: { type: "string", default: "100" },
      workers: { type: "string" },
      seed: { type: "string", default: "42" },
      csv: { type: "string" },
      target: { type: "string" },
      json: { type: "boolean", default: false },
      "from-source": { type: "boolean", default: false },
    },
  });
  const trees = Number(opts.trees);
  const seed = Number(opts.seed);
  const allCores = opts.workers ? Number(opts.workers) : availableParallelism();
  if (opts.csv && !opts.target) throw new Error("--csv needs --target COLUMN");

  log(
    opts.csv ? `reading ${opts.csv}` : `generating ${opts.rows} x ${opts.features} (seed ${seed})`,
  );
  const data = opts.csv
    ? readCsvDataset(opts.csv, opts.target!)
    : makeClassification({ rows: Number(opts.rows), features: Number(opts.features), seed });
  const { train, test } = trainTestSplit(data, 0.2, seed);
  const shape: SplitShape = {
    trainRows: train.X.rows,
    testRows: test.X.rows,
    features: train.X.cols,
    classes: train.y.classes,
  };
  const dir = writeSplit(train, test);
  log(
    `split: ${shape.trainRows} train / ${shape.testRows} test rows, ${shape.features} features, ${trees} trees`,
  );
  log(
    `machine: ${cpus()[0]?.model ?? "?"}, ${availableParallelism()} cores, Node ${process.version}`,
  );

  // bundled like a Lambda unless --from-source (which adds tsx's loader to every thread)
  const runner = opts["from-source"] ? null : await bundleRunner();
  log(
    runner
      ? `orchard runs from an esbuild bundle (${runner})`
      : "orchard runs from sources via tsx",
  );
  const results: Result[] = [];
  const base = { trainRows: shape.trainRows, features: shape.features, trees };
  const emit = (r: Result, extra: Record<string, unknown>) => {
    results.push(r);
    if (opts.json) console.log(JSON.stringify(r));
    const cpu =
      typeof extra.fitCpuSeconds === "number" ? ` (${fmt(extra.fitCpuSeconds, 2)} s CPU)` : "";
    const oob = typeof extra.oobScore === "number" ? `, OOB ${fmt(extra.oobScore, 4)}` : "";
    log(
      `  ${r.engine} x${r.workers}: fit ${fmt(r.fitSeconds, 2)} s${cpu}, accuracy ${fmt(r.accuracy, 4)}${oob}, peak RSS ${fmt(r.peakRssMb, 0)} MB`,
    );
  };
  try {
    for (const workers of allCores > 1 ? [1, allCores] : [1]) {
      log(`orchard, ${workers} worker(s)...`);
      const r = runOrchard(runner, "orchard", dir, shape, workers, trees, seed);
      emit({ engine: "orchard", workers, ...base, ...pick(r) }, r);
    }
    const hasMissing = train.X.values.some((v) => Number.isNaN(v));
    if (hasMissing) {
      log("ml-random-forest: skipped (the data has missing values, which it cannot take)");
    } else if (shape.trainRows <= ML_RANDOM_FOREST_MAX_ROWS) {
      log("ml-random-forest...");
      const r = runOrchard(runner, "ml-random-forest", dir, shape, 1, trees, seed);
      emit({ engine: "ml-random-forest", workers: 1, ...base, ...pick(r) }, r);
    } else {
      log(
        `ml-random-forest: skipped (${shape.trainRows} train rows > ${ML_RANDOM_FOREST_MAX_ROWS}; it would take hours)`,
      );
    }
    log("scikit-learn (n_jobs=1)...");
    const sk = runSklearn(dir, shape, trees, seed);
    if (sk) emit({ engine: "sklearn", workers: 1, ...base, ...pick(sk) }, sk);
  } finally {
    removeSplit(dir);
  }
  if (!opts.json) printTable(results);
}

function pick(r: Record<string, number>) {
  return {
    fitSeconds: r.fitSeconds,
    predictSeconds: r.predictSeconds,
    accuracy: r.accuracy,
    peakRssMb: r.peakRssMb,
  };
}

main().catch((err) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});

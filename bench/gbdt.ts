/**
 * Gradient-boosting benchmark: Orchard's boosting vs XGBoost (hist) and scikit-learn's
 * HistGradientBoostingClassifier, on the same split of data none of them made (scikit-learn's
 * make_classification: 10 informative features, 2 % label noise), one thread each and then
 * every core, with ratios against XGBoost measured in the same run.
 *
 *   npm run -s bench:gbdt [-- --rows 100000 --features 20 --iterations 300 --seed 42 --json]
 *
 * `--rows` is the total: 80 % train, 20 % test. All engines: learning rate 0.1, `iterations`
 * rounds, no early stopping. Orchard and scikit-learn grow at most 31 leaves per tree
 * (scikit-learn's default), XGBoost depth 6 (its default, up to 64 leaves). Each engine runs
 * in a child process of its own (bench/gbdt-run.ts, bench/sklearn_gbdt.py), so its peak RSS
 * is its own. With --json stdout holds exactly one JSON object per engine run, the shape of
 * `bench:forest`'s (with `iterations` for `trees`, plus `fitCpuSeconds`); progress goes to
 * stderr. "fit vs xgboost" is XGBoost's fit time over the engine's (above 1: faster than
 * XGBoost), in wall time and in CPU time: on a shared machine the wall time of a run mostly
 * measures how long it waited for a core.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { removeSplit, type SplitShape } from "./split-files.ts";

const PYTHON = "/usr/bin/python3";
const PEERS = ["xgboost", "sklearn"] as const;

interface Result {
  engine: "orchard-gbdt" | "xgboost" | "sklearn-hgb" | "orchard-logistic" | "sklearn-logistic";
  workers: number;
  trainRows: number;
  features: number;
  iterations: number;
  fitSeconds: number;
  /** CPU seconds of the fit (all threads): on a loaded machine wall time mostly measures the wait. */
  fitCpuSeconds: number;
  predictSeconds: number;
  accuracy: number;
  peakRssMb: number;
}

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const lastJson = (out: string) => JSON.parse(out.trim().split("\n").pop()!);

function runOrchard(
  dir: string,
  shape: SplitShape,
  workers: number,
  iterations: number,
  seed: number,
) {
  const source = fileURLToPath(new URL("./gbdt-run.ts", import.meta.url));
  const args = JSON.stringify({ dir, workers, iterations, seed, ...shape });
  return lastJson(
    execFileSync(process.execPath, ["--import", "tsx", source, args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }),
  );
}

/** The linear part: L2 logistic regression (C = 1) on the standardized split, one thread. */
function runLinear(which: "orchard" | "sklearn", dir: string, shape: SplitShape) {
  if (which === "orchard") {
    const source = fileURLToPath(new URL("./linear-run.ts", import.meta.url));
    return lastJson(
      execFileSync(
        process.execPath,
        ["--import", "tsx", source, JSON.stringify({ dir, ...shape })],
        {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "inherit"],
        },
      ),
    );
  }
  const script = fileURLToPath(new URL("./sklearn_linear.py", import.meta.url));
  const args = [script, dir, shape.trainRows, shape.testRows, shape.features].map(String);
  return lastJson(
    execFileSync(PYTHON, args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, OMP_NUM_THREADS: "1" },
    }),
  );
}

function runPeer(
  peer: (typeof PEERS)[number],
  dir: string,
  shape: SplitShape,
  iterations: number,
  seed: number,
  threads: number,
) {
  const script = fileURLToPath(new URL("./sklearn_gbdt.py", import.meta.url));
  const args = [
    script,
    "fit",
    peer,
    dir,
    shape.trainRows,
    shape.testRows,
    shape.features,
    iterations,
    seed,
    threads,
  ];
  return lastJson(
    execFileSync(PYTHON, args.map(String), {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    }),
  );
}

const fmt = (x: number, d: number) => x.toFixed(d);

function printTable(results: Result[]): void {
  const head = [
    "engine",
    "workers",
    "fit s",
    "fit CPU s",
    "predict s",
    "accuracy",
    "peak RSS MB",
    "fit vs xgboost",
    "acc vs xgboost (pts)",
  ];
  const rows = results.map((r) => {
    const xgb = results.find((p) => p.engine === "xgboost" && p.workers === r.workers);
    return [
      r.engine,
      String(r.workers),
      fmt(r.fitSeconds, 2),
      fmt(r.fitCpuSeconds, 2),
      fmt(r.predictSeconds, 3),
      fmt(r.accuracy, 4),
      fmt(r.peakRssMb, 0),
      xgb
        ? `${fmt(xgb.fitSeconds / r.fitSeconds, 2)}x (CPU ${fmt(xgb.fitCpuSeconds / r.fitCpuSeconds, 2)}x)`
        : "-",
      xgb
        ? `${r.accuracy >= xgb.accuracy ? "+" : ""}${fmt(100 * (r.accuracy - xgb.accuracy), 2)}`
        : "-",
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join("  ");
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  const { values: opts } = parseArgs({
    options: {
      rows: { type: "string", default: "100000" },
      features: { type: "string", default: "20" },
      iterations: { type: "string", default: "300" },
      workers: { type: "string" },
      seed: { type: "string", default: "42" },
      json: { type: "boolean", default: false },
    },
  });
  const iterations = Number(opts.iterations);
  const seed = Number(opts.seed);
  const allCores = opts.workers ? Number(opts.workers) : availableParallelism();
  const probe = spawnSync(PYTHON, ["-c", "import sklearn, xgboost"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import sklearn and xgboost (apt-get install python3-sklearn python3-xgboost)`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "orchard-gbdt-"));
  try {
    log(
      `generating ${opts.rows} x ${opts.features} with scikit-learn make_classification (seed ${seed})`,
    );
    const script = fileURLToPath(new URL("./sklearn_gbdt.py", import.meta.url));
    const made = lastJson(
      execFileSync(PYTHON, [script, "make", dir, opts.rows, opts.features, String(seed)], {
        encoding: "utf8",
      }),
    );
    const shape: SplitShape = { ...made, classes: ["0", "1"] };
    log(
      `split: ${shape.trainRows} train / ${shape.testRows} test rows, ${shape.features} features, ${iterations} rounds`,
    );
    log(
      `machine: ${cpus()[0]?.model ?? "?"}, ${availableParallelism()} cores, Node ${process.version}`,
    );
    const results: Result[] = [];
    const base = { trainRows: shape.trainRows, features: shape.features, iterations };
    const emit = (engine: Result["engine"], workers: number, r: Record<string, number>) => {
      const result: Result = {
        engine,
        workers,
        ...base,
        fitSeconds: r.fitSeconds,
        fitCpuSeconds: r.fitCpuSeconds,
        predictSeconds: r.predictSeconds,
        accuracy: r.accuracy,
        peakRssMb: r.peakRssMb,
      };
      results.push(result);
      if (opts.json) console.log(JSON.stringify(result));
      log(
        `  ${engine} x${workers}: fit ${fmt(r.fitSeconds, 2)} s (${fmt(r.fitCpuSeconds, 2)} s CPU), accuracy ${fmt(r.accuracy, 4)}, peak RSS ${fmt(r.peakRssMb, 0)} MB`,
      );
    };
    for (const workers of allCores > 1 ? [1, allCores] : [1]) {
      log(`orchard, ${workers} thread(s)...`);
      emit("orchard-gbdt", workers, runOrchard(dir, shape, workers, iterations, seed));
      for (const peer of PEERS) {
        log(`${peer}, ${workers} thread(s)...`);
        emit(
          peer === "xgboost" ? "xgboost" : "sklearn-hgb",
          workers,
          runPeer(peer, dir, shape, iterations, seed, workers),
        );
      }
    }
    log("logistic regression (lbfgs, C = 1), orchard and scikit-learn, 1 thread...");
    const mine = runLinear("orchard", dir, shape);
    emit("orchard-logistic", 1, mine);
    const peer = runLinear("sklearn", dir, shape);
    emit("sklearn-logistic", 1, peer);
    const worst = Math.max(...(mine.coef as number[]).map((w, i) => Math.abs(w - peer.coef[i])));
    log(`  logistic regression: largest coefficient difference ${worst.toExponential(2)}`);
    if (!opts.json) printTable(results);
  } finally {
    removeSplit(dir);
  }
}

main().catch((err) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});

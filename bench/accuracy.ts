/**
 * Accuracy against scikit-learn: Orchard's default pipeline and scikit-learn's equivalent
 * pipeline on seven public data sets, five seeded splits each, the same rows on both sides
 * (bench/accuracy-harness.ts, bench/sklearn_accuracy.py), for two families: the default
 * forest against RandomForest, gradient boosting against HistGradientBoosting.
 *
 *   npm run -s bench:accuracy [-- --json] [--fixtures] [--dataset NAME ...] [--family forest|boosting]
 *
 * scikit-learn runs live through /usr/bin/python3 when it can import sklearn; otherwise (or
 * with --fixtures) its committed metrics (test/fixtures/accuracy/sklearn.json) are used, and
 * the output says which. Prints per data set and metric the mean ± sample std over the seeds
 * for both engines, the difference of the means, and whether Orchard's mean is within
 * scikit-learn's mean ± 2 std on the worse side. With --json stdout holds exactly one JSON
 * object per data set; progress always goes to stderr.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  ACCURACY_FAMILIES,
  type AccuracyDataset,
  type AccuracyFamily,
  type Comparison,
  compare,
  loadAccuracyDatasets,
  loadSklearnFixture,
  metricsOf,
  orchardSeedScores,
  type SeedScores,
  type SklearnResults,
  sklearnScoresOf,
} from "./accuracy-harness.ts";

const PYTHON = "/usr/bin/python3";
const log = (msg: string) => process.stderr.write(`${msg}\n`);

interface Row {
  family: AccuracyFamily;
  dataset: string;
  task: AccuracyDataset["task"];
  rows: number;
  features: number;
  seeds: number[];
  sklearn: string;
  sklearnSource: "live" | "fixtures";
  metrics: Record<
    string,
    Omit<Comparison, "metric" | "orchard" | "sklearn"> & {
      orchard: Comparison["orchard"] & { values: number[] };
      sklearn: Comparison["sklearn"] & { values: number[] };
    }
  >;
}

/** scikit-learn on the committed rows and splits, or null when it cannot run here. */
function liveSklearn(names: string[], families: AccuracyFamily[]): SklearnResults | null {
  const probe = spawnSync(PYTHON, ["-c", "import sklearn, pandas"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    log(`scikit-learn: ${PYTHON} cannot import sklearn and pandas; using the committed fixtures`);
    return null;
  }
  log(`scikit-learn: fitting ${families.join(" and ")} on ${names.join(", ")} (one thread) ...`);
  const script = fileURLToPath(new URL("./sklearn_accuracy.py", import.meta.url));
  const only = families.length === 1 ? ["--family", families[0]] : [];
  const run = spawnSync(PYTHON, [script, ...only, ...names], {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: "1" },
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0) throw new Error(`${script} exited with ${run.status}`);
  return JSON.parse(run.stdout.trim().split("\n").pop()!);
}

/** Says so when a live run does not reproduce the fixtures (another scikit-learn, say). */
function checkAgainstFixture(live: SklearnResults, fixture: SklearnResults): void {
  for (const family of ACCURACY_FAMILIES) {
    for (const [name, scores] of Object.entries(sklearnScoresOf(live, family))) {
      for (const [metric, values] of Object.entries(scores)) {
        const committed =
          sklearnScoresOf(fixture, family)[name]?.[metric as keyof SeedScores] ?? [];
        if (values.some((v, i) => Math.abs(v - (committed[i] ?? Number.NaN)) > 1e-9)) {
          log(
            `note: scikit-learn ${live.sklearn} gives other ${family} ${name} ${metric} values than the fixtures (made with ${fixture.sklearn}); regenerate them with ${PYTHON} bench/sklearn_accuracy.py --export`,
          );
        }
      }
    }
  }
}

const fmt = (x: number, digits = 4) => x.toFixed(digits);
const signed = (x: number, digits = 4) => `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`;

function printTable(rows: Row[]): void {
  const head = [
    "family",
    "data set",
    "rows",
    "metric",
    "Orchard",
    "scikit-learn",
    "difference",
    "in noise",
  ];
  const cells: string[][] = [];
  for (const row of rows) {
    for (const [metric, m] of Object.entries(row.metrics)) {
      const digits = metric === "rmse" ? 3 : 4;
      cells.push([
        row.family,
        row.dataset,
        String(row.rows),
        metric,
        `${fmt(m.orchard.mean, digits)} ± ${fmt(m.orchard.std, digits)}`,
        `${fmt(m.sklearn.mean, digits)} ± ${fmt(m.sklearn.std, digits)}`,
        `${signed(m.difference, digits)} ± ${fmt(m.differenceStd, digits)}`,
        m.withinNoise ? "yes" : "NO",
      ]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i < 4 ? x.padEnd : x.padStart).call(x, widths[i]));
  console.log(line(head).join("  "));
  for (const c of cells) console.log(line(c).join("  "));
  const first = rows[0];
  if (first) {
    console.log(
      `mean ± sample std over seeds ${first.seeds.join(", ")}, the same test rows for both; forest: RandomForest, boosting: HistGradientBoosting; difference: Orchard - scikit-learn ${first.sklearn} (${first.sklearnSource}), ± the std of the per-seed differences; in noise: Orchard's mean no worse than scikit-learn's mean - 2 std (+ 2 std for rmse)`,
    );
  }
}

async function main(): Promise<void> {
  const { values: opts } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      fixtures: { type: "boolean", default: false },
      dataset: { type: "string", multiple: true },
      family: { type: "string", multiple: true },
    },
  });
  const families = (opts.family ?? ACCURACY_FAMILIES) as AccuracyFamily[];
  const badFamily = families.filter((f) => !ACCURACY_FAMILIES.includes(f));
  if (badFamily.length > 0) {
    log(`unknown --family ${badFamily.join(", ")}; known: ${ACCURACY_FAMILIES.join(", ")}`);
    process.exit(2);
  }
  const all = loadAccuracyDatasets();
  const unknown = (opts.dataset ?? []).filter((n) => !all.some((d) => d.name === n));
  if (unknown.length > 0) {
    log(`unknown --dataset ${unknown.join(", ")}; known: ${all.map((d) => d.name).join(", ")}`);
    process.exit(2);
  }
  const datasets = opts.dataset ? all.filter((d) => opts.dataset!.includes(d.name)) : all;
  const fixture = loadSklearnFixture();
  const live = opts.fixtures
    ? null
    : liveSklearn(
        datasets.map((d) => d.name),
        families,
      );
  if (live) checkAgainstFixture(live, fixture);
  const sklearn = live ?? fixture;

  const rows: Row[] = [];
  for (const family of families) {
    for (const dataset of datasets) {
      const started = performance.now();
      const orchard = await orchardSeedScores(dataset, family);
      log(
        `${family} ${dataset.name}: Orchard ${dataset.seeds.length} seeds in ${fmt((performance.now() - started) / 1000, 1)} s`,
      );
      const metrics: Row["metrics"] = {};
      for (const metric of metricsOf(dataset.task)) {
        const o = orchard[metric]!;
        const s = sklearnScoresOf(sklearn, family)[dataset.name]?.[metric];
        if (!s) throw new Error(`no scikit-learn ${family} ${metric} for ${dataset.name}`);
        const { metric: _m, ...c } = compare(metric, o, s);
        metrics[metric] = {
          ...c,
          orchard: { ...c.orchard, values: o },
          sklearn: { ...c.sklearn, values: s },
        };
      }
      const row: Row = {
        family,
        dataset: dataset.name,
        task: dataset.task,
        rows: dataset.rows,
        features: dataset.numeric.length + dataset.categorical.length,
        seeds: dataset.seeds,
        sklearn: sklearn.sklearn,
        sklearnSource: live ? "live" : "fixtures",
        metrics,
      };
      rows.push(row);
      if (opts.json) console.log(JSON.stringify(row));
    }
  }
  if (!opts.json) printTable(rows);
}

await main();

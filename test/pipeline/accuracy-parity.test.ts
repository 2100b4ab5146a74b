/**
 * Orchard's default pipeline against scikit-learn's RandomForest on seven public data sets,
 * five seeded splits each, the same rows on both sides (protocol: bench/sklearn_accuracy.py;
 * Orchard's side: bench/accuracy-harness.ts; `npm run bench:accuracy` prints the table).
 *
 * A data set fails when Orchard's mean over the seeds is worse than scikit-learn's mean by
 * more than two of scikit-learn's seed-to-seed standard deviations: below mean − 2 std for
 * accuracy and macro F1 (higher is better), above mean + 2 std for RMSE. Only the worse side
 * fails; Orchard being better than that is not a parity defect. The same rule holds for
 * gradient boosting (`model.type: gradient-boosting`, other keys default) against
 * HistGradientBoosting.
 */
import { describe, expect, it } from "vitest";
import {
  type AccuracyDataset,
  compare,
  loadAccuracyDatasets,
  loadSklearnFixture,
  metricsOf,
  minimalSpecYaml,
  orchardSeedScores,
  sklearnScoresOf,
} from "../../bench/accuracy-harness.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";

const datasets = loadAccuracyDatasets();
const sklearn = loadSklearnFixture();

describe("accuracy against scikit-learn (test/fixtures/accuracy)", () => {
  it("covers at least six public data sets, both tasks, five seeds each, on the same rows", () => {
    expect(datasets.length).toBeGreaterThanOrEqual(6);
    expect(new Set(datasets.map((d) => d.task))).toEqual(new Set(["classification", "regression"]));
    for (const d of datasets) {
      expect(d.seeds, d.name).toHaveLength(5);
      expect(d.test, d.name).toHaveLength(5);
      for (const test of d.test) {
        expect(new Set(test).size).toBe(test.length);
        expect(Math.min(...test)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...test)).toBeLessThan(d.rows);
        expect(test.length / d.rows).toBeCloseTo(0.2, 1);
      }
      for (const metric of metricsOf(d.task)) {
        expect(sklearn.datasets[d.name]?.[metric], `${d.name} ${metric}`).toHaveLength(5);
        expect(sklearn.boosting?.[d.name]?.[metric], `boosting ${d.name} ${metric}`).toHaveLength(
          5,
        );
      }
    }
  });

  it("runs the defaults a minimal spec gets (100 trees, grown to purity, median/most-frequent imputation)", () => {
    for (const d of datasets) {
      const spec = parseSpec(minimalSpecYaml(d, 0), { file: `${d.name}.yaml` });
      expect(spec.model).toMatchObject({
        engine: "orchard",
        trees: 100,
        maxDepth: null,
        minSamplesLeaf: 1,
        bootstrap: true,
        maxFeatures: d.task === "classification" ? "sqrt" : "all",
      });
      expect(spec.preprocessing.impute).toMatchObject({
        numeric: "median",
        categorical: "most_frequent",
      });
      expect(spec.search.strategy).toBe("none");
    }
  });

  it("runs gradient boosting at the defaults HistGradientBoosting has (100 rounds of 31 leaves, lr 0.1, 20 rows per leaf)", () => {
    for (const d of datasets) {
      const spec = parseSpec(minimalSpecYaml(d, 0, "boosting"), { file: `${d.name}.yaml` });
      expect(spec.model).toMatchObject({
        type: "gradient-boosting",
        minSamplesLeaf: 20,
        boosting: { learningRate: 0.1, iterations: 100, maxLeaves: 31, l2: 0 },
      });
    }
  });

  it.each(datasets.map((d): [string, AccuracyDataset] => [d.name, d]))(
    "%s: Orchard's gradient boosting mean is within HistGradientBoosting's mean ± 2 std (worse side)",
    async (_name, dataset) => {
      const orchard = await orchardSeedScores(dataset, "boosting");
      for (const metric of metricsOf(dataset.task)) {
        const peer = sklearnScoresOf(sklearn, "boosting")[dataset.name][metric]!;
        const c = compare(metric, orchard[metric]!, peer);
        const detail = `boosting ${dataset.name} ${metric}: Orchard ${c.orchard.mean.toFixed(4)} ± ${c.orchard.std.toFixed(4)}, scikit-learn ${c.sklearn.mean.toFixed(4)} ± ${c.sklearn.std.toFixed(4)}, bound ${c.bound.toFixed(4)}`;
        expect(c.withinNoise, detail).toBe(true);
      }
    },
  );

  it.each(datasets.map((d): [string, AccuracyDataset] => [d.name, d]))(
    "%s: Orchard's mean is within scikit-learn's mean ± 2 std (worse side)",
    async (_name, dataset) => {
      const orchard = await orchardSeedScores(dataset);
      for (const metric of metricsOf(dataset.task)) {
        const c = compare(metric, orchard[metric]!, sklearn.datasets[dataset.name][metric]!);
        const detail = `${dataset.name} ${metric}: Orchard ${c.orchard.mean.toFixed(4)} ± ${c.orchard.std.toFixed(4)}, scikit-learn ${c.sklearn.mean.toFixed(4)} ± ${c.sklearn.std.toFixed(4)}, bound ${c.bound.toFixed(4)}`;
        expect(c.withinNoise, detail).toBe(true);
      }
    },
  );
});

describe("the noise rule", () => {
  it.each([
    ["accuracy", [0.9, 0.9, 0.9, 0.9, 0.9], true], // mean − 2 std of [0.88..0.92] is 0.8684
    ["accuracy", [0.86, 0.86, 0.86, 0.86, 0.86], false],
    ["accuracy", [0.99, 0.99, 0.99, 0.99, 0.99], true], // better by more than noise: not a failure
    ["rmse", [0.93, 0.93, 0.93, 0.93, 0.93], true], // mean + 2 std is 0.9316
    ["rmse", [0.94, 0.94, 0.94, 0.94, 0.94], false],
    ["rmse", [0.5, 0.5, 0.5, 0.5, 0.5], true],
  ] as const)("%s %j against scikit-learn → within noise %s", (metric, orchard, expected) => {
    const sk = [0.88, 0.89, 0.9, 0.91, 0.92]; // mean 0.9, sample std 0.0158
    expect(compare(metric, orchard, sk).withinNoise).toBe(expected);
  });
});

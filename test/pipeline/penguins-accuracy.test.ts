/**
 * Orchard against scikit-learn on the penguins data, with the protocol of
 * examples/penguins/sklearn-reference.py: stratified 5-fold CV repeated over seeds 0..4,
 * 100 trees, median/standard numeric and most-frequent/one-hot categorical preprocessing.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { getColumn } from "../../pipeline/data/frame.ts";
import { readTable } from "../../pipeline/data/read-table.ts";
import { encodeTarget } from "../../pipeline/features/target.ts";
import { crossValidate } from "../../pipeline/train/cross-validate.ts";

const reference = JSON.parse(
  readFileSync(new URL("../../examples/penguins/sklearn-reference.json", import.meta.url), "utf8"),
) as { accuracy: { mean: number }; f1_macro: { mean: number } };

describe("penguins accuracy vs scikit-learn", () => {
  it("matches scikit-learn's cross-validated accuracy and macro F1 within one point", async () => {
    const bytes = readFileSync(new URL("../../examples/penguins/penguins.csv", import.meta.url));
    const frame = await readTable(bytes, {
      file: "penguins.csv",
      format: "csv",
      columnTypes: { species: "categorical" },
    });
    const target = encodeTarget(getColumn(frame, "species")!, "classification");
    const params = {
      trees: 100,
      maxDepth: null,
      minSamplesLeaf: 1,
      maxFeatures: "sqrt" as const,
      bootstrap: true,
    };
    const accuracy: number[] = [];
    const f1: number[] = [];
    for (let seed = 0; seed < 5; seed++) {
      const setup = {
        features: {
          numeric: ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"],
          categorical: ["island", "sex"],
        },
        preprocessing: {
          impute: { numeric: "median", categorical: "most_frequent" },
          scale: "standard",
          onehot: {},
          clipOutliers: false,
        } as const,
        engine: "orchard" as const,
        seed,
      };
      const candidate = { id: "c000", params };
      for (const metric of ["accuracy", "f1_macro"] as const) {
        const cv = await crossValidate(frame, target, candidate, setup, { folds: 5, metric });
        (metric === "accuracy" ? accuracy : f1).push(...cv.scores);
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(accuracy).toHaveLength(25);
    expect(mean(accuracy)).toBeGreaterThanOrEqual(reference.accuracy.mean - 0.01);
    expect(mean(f1)).toBeGreaterThanOrEqual(reference.f1_macro.mean - 0.01);
  });
});

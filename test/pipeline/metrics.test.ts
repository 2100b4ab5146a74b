import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InsufficientDataError, SpecError } from "../../pipeline/errors.ts";
import { computeMetrics, METRIC_NAMES, metricDirection } from "../../pipeline/metrics/compute.ts";
import { logLoss } from "../../pipeline/metrics/log-loss.ts";
import { r2 } from "../../pipeline/metrics/regression.ts";
import { binaryRocAuc } from "../../pipeline/metrics/roc-auc.ts";

describe("metricDirection", () => {
  it.each([
    ["accuracy", "higher"],
    ["f1_macro", "higher"],
    ["f1_weighted", "higher"],
    ["precision_macro", "higher"],
    ["recall_macro", "higher"],
    ["roc_auc", "higher"],
    ["r2", "higher"],
    ["log_loss", "lower"],
    ["rmse", "lower"],
    ["mae", "lower"],
  ])("%s: %s is better", (name, direction) => {
    expect(metricDirection(name)).toBe(direction);
  });

  it("knows every metric computeMetrics can report", () => {
    const cls = computeMetrics(
      "classification",
      Int32Array.from([0, 1]),
      Int32Array.from([0, 1]),
      Float64Array.from([0.9, 0.1, 0.2, 0.8]),
      2,
    );
    const reg = computeMetrics("regression", Float64Array.from([1, 2]), Float64Array.from([1, 3]));
    expect([...Object.keys(cls), ...Object.keys(reg)].sort()).toEqual([...METRIC_NAMES].sort());
  });

  it("lists the known metrics for an unknown name", () => {
    expect(() => metricDirection("auc")).toThrow(SpecError);
    expect(() => metricDirection("auc")).toThrow(/unknown metric "auc"; use one of .*roc_auc/);
  });
});

describe("metrics edge cases", () => {
  it("leaves out log loss and ROC AUC without probabilities", () => {
    const m = computeMetrics(
      "classification",
      Int32Array.from([0, 1]),
      Int32Array.from([1, 1]),
      undefined,
      2,
    );
    expect(Object.keys(m).sort()).toEqual([
      "accuracy",
      "f1_macro",
      "f1_weighted",
      "precision_macro",
      "recall_macro",
    ]);
  });

  it("refuses to score zero rows", () => {
    expect(() => computeMetrics("regression", new Float64Array(0), new Float64Array(0))).toThrow(
      InsufficientDataError,
    );
  });

  it("gives R² NaN for a single row, like sklearn", () => {
    expect(r2(Float64Array.from([1]), Float64Array.from([2]))).toBeNaN();
  });

  it("stays finite for a confident wrong prediction (probabilities are clipped)", () => {
    const loss = logLoss(Int32Array.from([0]), Float64Array.from([0, 1]), 2);
    expect(loss).toBeCloseTo(-Math.log(Number.EPSILON), 6);
  });

  it("ROC AUC is 1 minus the AUC of the negated scores, and 0.5 for constant scores", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 5 })), {
          minLength: 2,
          maxLength: 40,
        }),
        (rows) => {
          const positive = Uint8Array.from(rows, ([p]) => (p ? 1 : 0));
          fc.pre(positive.includes(0) && positive.includes(1));
          const scores = Float64Array.from(rows, ([, s]) => s);
          const auc = binaryRocAuc(positive, scores) as number;
          const flipped = binaryRocAuc(
            positive,
            scores.map((s) => -s),
          ) as number;
          expect(auc + flipped).toBeCloseTo(1, 12);
          expect(
            binaryRocAuc(
              positive,
              scores.map(() => 3),
            ),
          ).toBe(0.5);
        },
      ),
    );
  });
});

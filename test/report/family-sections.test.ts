/**
 * The report sections of the boosting and linear families: a linear model's coefficients
 * table (one column per output, the intercept first) and a boosted model's learning curve.
 */
import { describe, expect, it } from "vitest";
import { defaultBoostingParams, fitBoosting } from "../../pipeline/boosting/index.ts";
import type { FeatureMatrix, Target } from "../../pipeline/data/frame.ts";
import { fitLinear } from "../../pipeline/linear/index.ts";
import { createRng } from "../../pipeline/random.ts";
import {
  coefficientsOf,
  coefficientsSection,
  learningCurveOf,
  learningCurveSection,
} from "../../pipeline/report/family-sections.ts";
import type { ReportData } from "../../pipeline/report/report-data.ts";

function data(rows: number): { X: FeatureMatrix; y: Target } {
  const rng = createRng(4);
  const values = new Float64Array(rows * 2);
  const codes = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const a = rng() * 2 - 1;
    const b = rng() * 2 - 1;
    values.set([a, b], r * 2);
    codes[r] = a + 0.2 * b + 0.3 * (rng() - 0.5) > 0 ? 1 : 0;
  }
  return {
    X: { values, rows, cols: 2, names: ["age", "income"] },
    y: { kind: "classification", codes, classes: ["no", "yes"] },
  };
}

describe("report sections of the other model families", () => {
  it("tabulates a logistic regression's coefficients, intercept first, largest first", () => {
    const { X, y } = data(400);
    const model = fitLinear(X, y, { kind: "logistic-regression", C: 1, alpha: 1 });
    const coefficients = coefficientsOf(model, X.names, y);
    expect(coefficients.outputs).toEqual(["log-odds of yes"]);
    const html = coefficientsSection({ coefficients } as ReportData) ?? "";
    expect(html).toMatch(/<th scope="col" class="num">log-odds of yes<\/th>/);
    const order = [...html.matchAll(/<th scope="row">([^<]+)<\/th>/g)].map((m) => m[1]);
    expect(order).toEqual(["(intercept)", "age", "income"]);
  });

  it("charts a boosted model's training and validation loss per round", async () => {
    const { X, y } = data(3000);
    const model = await fitBoosting(X, y, {
      ...defaultBoostingParams(1),
      iterations: 30,
      earlyStopping: true,
    });
    const curve = learningCurveOf(model);
    expect(curve.loss).toBe("log loss");
    expect(curve.validation.length).toBe(curve.train.length);
    const html = (await learningCurveSection({ learningCurve: curve } as ReportData)) ?? "";
    expect(html).toMatch(/data-chart="learning-curve"><svg/);
    expect(html).toMatch(/rounds kept/);
  });
});

/**
 * Orchard's metrics against scikit-learn, read from test/fixtures/sklearn/metrics.json (made by
 * make_metrics.py in the same folder). Every value agrees to 1e-10.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  accuracy,
  confusionMatrix,
  precisionRecallF1,
} from "../../pipeline/metrics/classification.ts";
import { computeMetrics } from "../../pipeline/metrics/compute.ts";
import { logLoss } from "../../pipeline/metrics/log-loss.ts";
import { mae, r2, rmse } from "../../pipeline/metrics/regression.ts";
import { rocAuc } from "../../pipeline/metrics/roc-auc.ts";

interface Averages {
  precision: number;
  recall: number;
  f1: number;
}
interface ClassCase {
  name: string;
  note: string;
  nClasses: number;
  yTrue: number[];
  yPred: number[];
  proba: number[];
  accuracy: number;
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
  macro: Averages;
  weighted: Averages;
  confusion: number[][];
  logLoss: number;
  rocAuc: number | null;
}
interface RegCase {
  name: string;
  yTrue: number[];
  yPred: number[];
  rmse: number;
  mae: number;
  r2: number;
}

const fixture: { classification: ClassCase[]; regression: RegCase[] } = JSON.parse(
  readFileSync(new URL("../fixtures/sklearn/metrics.json", import.meta.url), "utf8"),
);

function close(actual: number, expected: number): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(
    1e-10 * Math.max(1, Math.abs(expected)),
  );
}

function closeAll(actual: ArrayLike<number>, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    close(actual[i], e);
  });
}

const cases = fixture.classification.map((c) => ({
  ...c,
  t: Int32Array.from(c.yTrue),
  p: Int32Array.from(c.yPred),
  proba: Float64Array.from(c.proba),
}));

describe("classification metrics vs sklearn", () => {
  it.each(cases)("$name: accuracy", ({ t, p, accuracy: expected }) => {
    close(accuracy(t, p), expected);
  });

  it.each(cases)("$name: confusion matrix", ({ t, p, nClasses, confusion }) => {
    expect(confusionMatrix(t, p, nClasses)).toEqual(confusion);
  });

  it.each(cases)("$name: per-class precision, recall, F1, support", (c) => {
    const prf = precisionRecallF1(c.t, c.p, c.nClasses);
    closeAll(prf.precision, c.precision);
    closeAll(prf.recall, c.recall);
    closeAll(prf.f1, c.f1);
    expect(Array.from(prf.support)).toEqual(c.support);
  });

  it.each(cases)("$name: macro and weighted averages", (c) => {
    const prf = precisionRecallF1(c.t, c.p, c.nClasses);
    for (const key of ["precision", "recall", "f1"] as const) {
      close(prf.macro[key], c.macro[key]);
      close(prf.weighted[key], c.weighted[key]);
    }
  });

  it.each(cases)("$name: log loss ($note)", ({ t, proba, nClasses, logLoss: expected }) => {
    close(logLoss(t, proba, nClasses), expected);
  });

  it.each(cases)("$name: ROC AUC ($note)", ({ t, proba, nClasses, rocAuc: expected }) => {
    const auc = rocAuc(t, proba, nClasses);
    if (expected === null) expect(auc).toBeUndefined();
    else close(auc as number, expected);
  });

  it.each(cases)("$name: computeMetrics record", (c) => {
    const m = computeMetrics("classification", c.t, c.p, c.proba, c.nClasses);
    const expected: Record<string, number> = {
      accuracy: c.accuracy,
      f1_macro: c.macro.f1,
      f1_weighted: c.weighted.f1,
      precision_macro: c.macro.precision,
      recall_macro: c.macro.recall,
      log_loss: c.logLoss,
    };
    if (c.rocAuc !== null) expected.roc_auc = c.rocAuc;
    expect(Object.keys(m).sort()).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) close(m[k as keyof typeof m] as number, v);
  });
});

describe("regression metrics vs sklearn", () => {
  const reg = fixture.regression.map((c) => ({
    ...c,
    t: Float64Array.from(c.yTrue),
    p: Float64Array.from(c.yPred),
  }));
  it.each(reg)("$name: rmse, mae, r2", ({ t, p, ...expected }) => {
    close(rmse(t, p), expected.rmse);
    close(mae(t, p), expected.mae);
    close(r2(t, p), expected.r2);
  });

  it.each(reg)("$name: computeMetrics record", ({ t, p, ...expected }) => {
    const m = computeMetrics("regression", t, p);
    expect(Object.keys(m).sort()).toEqual(["mae", "r2", "rmse"]);
    close(m.rmse, expected.rmse);
    close(m.mae, expected.mae);
    close(m.r2, expected.r2);
  });
});

/**
 * Label-based classification metrics over class codes 0..nClasses-1, matching scikit-learn
 * with `zero_division=0`: a precision (recall) whose denominator is 0 counts as 0, and so does
 * the F1 of a class whose precision and recall are both 0.
 *
 * Macro and weighted averages run over the classes that occur in yTrue or yPred — sklearn's
 * default `labels` — so a class absent from both does not drag a macro average down. The
 * per-class arrays always have nClasses entries.
 */

import { checkCodes, checkPair } from "./check.ts";

export function accuracy(yTrue: Int32Array, yPred: Int32Array): number {
  checkPair(yTrue, yPred);
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / yTrue.length;
}

/** counts[t][p]: rows of true class t predicted as p (rows are truth, as in sklearn). */
export function confusionMatrix(
  yTrue: Int32Array,
  yPred: Int32Array,
  nClasses: number,
): number[][] {
  checkPair(yTrue, yPred);
  checkCodes(yTrue, nClasses, "yTrue");
  checkCodes(yPred, nClasses, "yPred");
  const counts = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) counts[yTrue[i]][yPred[i]]++;
  return counts;
}

export interface Averages {
  precision: number;
  recall: number;
  f1: number;
}

export interface PrecisionRecallF1 {
  precision: Float64Array;
  recall: Float64Array;
  f1: Float64Array;
  /** True rows per class. */
  support: Int32Array;
  macro: Averages;
  weighted: Averages;
}

export function precisionRecallF1(
  yTrue: Int32Array,
  yPred: Int32Array,
  nClasses: number,
): PrecisionRecallF1 {
  const cm = confusionMatrix(yTrue, yPred, nClasses);
  const precision = new Float64Array(nClasses);
  const recall = new Float64Array(nClasses);
  const f1 = new Float64Array(nClasses);
  const support = new Int32Array(nClasses);
  const present: number[] = [];
  for (let c = 0; c < nClasses; c++) {
    const tp = cm[c][c];
    let predicted = 0;
    let actual = 0;
    for (let o = 0; o < nClasses; o++) {
      predicted += cm[o][c];
      actual += cm[c][o];
    }
    precision[c] = predicted === 0 ? 0 : tp / predicted;
    recall[c] = actual === 0 ? 0 : tp / actual;
    const denom = precision[c] + recall[c];
    f1[c] = denom === 0 ? 0 : (2 * precision[c] * recall[c]) / denom;
    support[c] = actual;
    if (predicted > 0 || actual > 0) present.push(c);
  }
  const macro = (xs: Float64Array) => present.reduce((s, c) => s + xs[c], 0) / present.length;
  const totalSupport = present.reduce((s, c) => s + support[c], 0);
  const weighted = (xs: Float64Array) =>
    totalSupport === 0 ? 0 : present.reduce((s, c) => s + xs[c] * support[c], 0) / totalSupport;
  return {
    precision,
    recall,
    f1,
    support,
    macro: { precision: macro(precision), recall: macro(recall), f1: macro(f1) },
    weighted: { precision: weighted(precision), recall: weighted(recall), f1: weighted(f1) },
  };
}

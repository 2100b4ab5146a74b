/**
 * Area under the ROC curve. Computed from average ranks (the Mann–Whitney statistic), which
 * equals scikit-learn's trapezoid area over the ROC curve, ties included: a positive and a
 * negative with the same score count one half.
 */

import { checkCodes, checkNonEmpty, checkPair, checkProba } from "./check.ts";

/** AUC of `scores` for `positive` (1 = positive row); undefined if either side has no rows. */
export function binaryRocAuc(positive: Uint8Array, scores: Float64Array): number | undefined {
  checkPair(positive, scores);
  const n = scores.length;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    scores[a] < scores[b] ? -1 : scores[a] > scores[b] ? 1 : 0,
  );
  let nPos = 0;
  let rankSum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    // Ranks i+1..j+1 are tied; each gets their mean.
    const rank = (i + j + 2) / 2;
    for (let t = i; t <= j; t++) {
      if (positive[order[t]]) {
        nPos++;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return undefined;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * ROC AUC from class probabilities (rows x nClasses, row-major): for 2 classes the AUC of
 * class 1's column; for more, the unweighted mean of one-vs-rest AUCs (sklearn
 * `multi_class="ovr", average="macro"`). Undefined when a class has no rows in yTrue or every
 * row is of one class, where sklearn raises.
 */
export function rocAuc(
  yTrue: Int32Array,
  proba: Float64Array,
  nClasses: number,
): number | undefined {
  checkNonEmpty(yTrue.length);
  checkCodes(yTrue, nClasses, "yTrue");
  checkProba(proba, yTrue.length, nClasses);
  const n = yTrue.length;
  const classAuc = (c: number) => {
    const positive = new Uint8Array(n);
    const scores = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      positive[r] = yTrue[r] === c ? 1 : 0;
      scores[r] = proba[r * nClasses + c];
    }
    return binaryRocAuc(positive, scores);
  };
  if (nClasses === 2) return classAuc(1);
  let total = 0;
  for (let c = 0; c < nClasses; c++) {
    const auc = classAuc(c);
    if (auc === undefined) return undefined;
    total += auc;
  }
  return total / nClasses;
}

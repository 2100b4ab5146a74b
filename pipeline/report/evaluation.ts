/**
 * The model section's numbers from the test rows' predictions: the confusion matrix, ROC and
 * precision-recall curves for binary tasks (one point per distinct score threshold, as
 * scikit-learn's roc_curve and precision_recall_curve without dropping intermediate points),
 * and a sample of residuals for regression.
 */

export const RESIDUALS_SHOWN = 2000;

export function confusion(
  actual: Int32Array,
  predicted: ArrayLike<number>,
  classes: number,
): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < actual.length; i++) m[actual[i]][predicted[i]]++;
  return m;
}

export interface CurvePoint {
  x: number;
  y: number;
  order: number;
}

/**
 * ROC (x false positive rate, y true positive rate, from (0, 0)) and precision-recall (x
 * recall, y precision) of `scores` for the positive rows. Null without both classes present.
 */
export function binaryCurves(
  positive: ArrayLike<boolean>,
  scores: ArrayLike<number>,
): { roc: CurvePoint[]; pr: CurvePoint[] } | null {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let P = 0;
  for (let i = 0; i < n; i++) if (positive[i]) P++;
  const N = n - P;
  if (P === 0 || N === 0) return null;
  const roc: CurvePoint[] = [{ x: 0, y: 0, order: 0 }];
  const pr: CurvePoint[] = [{ x: 0, y: 1, order: 0 }];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; k++) {
    if (positive[order[k]]) tp++;
    else fp++;
    // A threshold sits between distinct scores: emit only after the last row of a tie.
    if (k + 1 < n && scores[order[k + 1]] === scores[order[k]]) continue;
    roc.push({ x: fp / N, y: tp / P, order: roc.length });
    pr.push({ x: tp / P, y: tp / (tp + fp), order: pr.length });
  }
  return { roc, pr };
}

/** Every residual when few, else an evenly spaced sample, so the chart stays small. */
export function residualSample(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  limit = RESIDUALS_SHOWN,
): { predicted: number; residual: number }[] {
  const n = actual.length;
  const step = Math.max(1, n / limit);
  const out: { predicted: number; residual: number }[] = [];
  for (let k = 0; Math.floor(k * step) < n && out.length < limit; k++) {
    const i = Math.floor(k * step);
    out.push({ predicted: predicted[i], residual: actual[i] - predicted[i] });
  }
  return out;
}

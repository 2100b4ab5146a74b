/**
 * The losses boosting minimizes: their starting raw score, gradients and hessians, and the
 * loss itself (the learning curve and early stopping). Raw scores are rows × K, row-major,
 * K = 1 for regression and binary classification (the log-odds of class 1), K = classes for
 * softmax. Gradients are stored per output: output k of row r at `k * n + r`.
 */
export type LossName = "log_loss" | "squared_error" | "absolute_error";

export interface LossTarget {
  /** Class index per row (classification). */
  codes: Int32Array | null;
  /** Value per row (regression). */
  values: Float64Array | null;
  /** Raw outputs per row. */
  K: number;
}

const EPS = 1e-15;

export function sigmoid(x: number): number {
  // one exp for either sign (the same value the two-exp form gives): the gradients of every
  // round call this once per row
  const e = Math.exp(x >= 0 ? -x : x);
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

function median(a: Float64Array): number {
  if (a.length === 0) return 0;
  const s = Float64Array.from(a).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The constant raw score that minimizes the loss: the mean, the median, the log-odds of the
 * class-1 share, or the log of each class's share (softmax is shift-invariant, so centred).
 */
export function baseline(loss: LossName, t: LossTarget, nClasses: number): Float64Array {
  const out = new Float64Array(t.K);
  if (loss === "squared_error") {
    let s = 0;
    for (const v of t.values!) s += v;
    out[0] = s / t.values!.length;
  } else if (loss === "absolute_error") {
    out[0] = median(t.values!);
  } else {
    const counts = new Float64Array(nClasses);
    for (const c of t.codes!) counts[c]++;
    const n = t.codes!.length;
    const p = (c: number) => Math.min(1 - EPS, Math.max(EPS, counts[c] / n));
    if (t.K === 1) out[0] = Math.log(p(1) / (1 - p(1)));
    else {
      let mean = 0;
      for (let k = 0; k < t.K; k++) mean += Math.log(p(k)) / t.K;
      for (let k = 0; k < t.K; k++) out[k] = Math.log(p(k)) - mean;
    }
  }
  return out;
}

/** Fills g and h (n × K, per output) at `raw`; returns the mean loss at `raw`. */
export function gradients(
  loss: LossName,
  t: LossTarget,
  raw: Float64Array,
  g: Float64Array,
  h: Float64Array,
): number {
  const K = t.K;
  const n = raw.length / K;
  let total = 0;
  if (loss === "squared_error") {
    const y = t.values!;
    for (let r = 0; r < n; r++) {
      const d = raw[r] - y[r];
      g[r] = d;
      total += d * d;
    }
    return total / n;
  }
  if (loss === "absolute_error") {
    const y = t.values!;
    for (let r = 0; r < n; r++) {
      const d = raw[r] - y[r];
      g[r] = d > 0 ? 1 : d < 0 ? -1 : 0;
      total += Math.abs(d);
    }
    return total / n;
  }
  const codes = t.codes!;
  if (K === 1) {
    for (let r = 0; r < n; r++) {
      const p = sigmoid(raw[r]);
      const y = codes[r] === 1 ? 1 : 0;
      g[r] = p - y;
      h[r] = p * (1 - p);
      total -= Math.log(Math.max(EPS, y ? p : 1 - p));
    }
    return total / n;
  }
  const p = new Float64Array(K);
  for (let r = 0; r < n; r++) {
    softmaxRow(raw, r * K, K, p);
    for (let k = 0; k < K; k++) {
      const y = codes[r] === k ? 1 : 0;
      g[k * n + r] = p[k] - y;
      h[k * n + r] = p[k] * (1 - p[k]);
    }
    total -= Math.log(Math.max(EPS, p[codes[r]]));
  }
  return total / n;
}

/** The mean loss at `raw` (validation rows). */
export function meanLoss(loss: LossName, t: LossTarget, raw: Float64Array): number {
  const K = t.K;
  const n = raw.length / K;
  let total = 0;
  if (loss === "squared_error" || loss === "absolute_error") {
    const y = t.values!;
    for (let r = 0; r < n; r++) {
      const d = raw[r] - y[r];
      total += loss === "squared_error" ? d * d : Math.abs(d);
    }
    return total / n;
  }
  const codes = t.codes!;
  if (K === 1) {
    for (let r = 0; r < n; r++) {
      const p = sigmoid(raw[r]);
      total -= Math.log(Math.max(EPS, codes[r] === 1 ? p : 1 - p));
    }
    return total / n;
  }
  const p = new Float64Array(K);
  for (let r = 0; r < n; r++) {
    softmaxRow(raw, r * K, K, p);
    total -= Math.log(Math.max(EPS, p[codes[r]]));
  }
  return total / n;
}

/** Softmax of raw[off .. off + K) into out (max subtracted first, so no overflow). */
export function softmaxRow(raw: Float64Array, off: number, K: number, out: Float64Array): void {
  let m = raw[off];
  for (let k = 1; k < K; k++) if (raw[off + k] > m) m = raw[off + k];
  let s = 0;
  for (let k = 0; k < K; k++) {
    out[k] = Math.exp(raw[off + k] - m);
    s += out[k];
  }
  for (let k = 0; k < K; k++) out[k] /= s;
}

/** The median of `values` (absolute-error leaves). */
export { median };

/**
 * Class probabilities (rows x classes, row-major) from raw scores: the sigmoid of one score
 * per row for two classes, else the softmax of one score per class. Boosted and linear
 * classifiers share it, so both read their scores the same way.
 */
export function probabilitiesOf(
  raw: Float64Array,
  rows: number,
  nOutputs: number,
  nClasses: number,
): Float64Array {
  const C = nClasses;
  const out = new Float64Array(rows * C);
  if (nOutputs === 1) {
    for (let r = 0; r < rows; r++) {
      const p = sigmoid(raw[r]);
      out[r * 2] = 1 - p;
      out[r * 2 + 1] = p;
    }
    return out;
  }
  const p = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    softmaxRow(raw, r * C, C, p);
    out.set(p, r * C);
  }
  return out;
}

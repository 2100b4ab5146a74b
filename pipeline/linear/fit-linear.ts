/**
 * Fitting linear models with scikit-learn's objectives, so the coefficients agree with
 * `LogisticRegression(solver="lbfgs")` and `Ridge` to the solvers' tolerance:
 *
 * - logistic regression: minimize Σ log-loss + ||W||² / (2C) over all K coefficient rows and
 *   unpenalized intercepts (binary: one row for class 1; more classes: multinomial softmax),
 *   by L-BFGS from zero. The objective is divided by the row count (same minimizer) so the
 *   gradient tolerance means the same at any size. With K rows the intercepts are only
 *   defined up to a common shift; they are centred to sum 0, where L-BFGS from zero (and so
 *   scikit-learn) ends up.
 * - ridge regression: minimize ||y − Xw − b||² + alpha·||w||² in closed form: the features
 *   and target are centred (so b is not penalized), then (XᵀX + alpha·I) w = Xᵀy is solved by
 *   Cholesky, b = ȳ − x̄·w.
 *
 * Missing values cannot enter a linear model: the preprocessor imputes them; a NaN left
 * (`impute: none`) is a DataFormatError naming the column.
 */
import type { FeatureMatrix, Target } from "../data/frame.ts";
import { DataFormatError, InsufficientDataError, SpecError, TargetError } from "../errors.ts";
import { minimizeLbfgs } from "./lbfgs.ts";
import { type FlatLinear, type LinearKind, LinearModel } from "./linear-model.ts";

export interface LinearParams {
  kind: LinearKind;
  /** Inverse L2 strength of logistic regression (scikit-learn's C), > 0. Default 1. */
  C: number;
  /** L2 strength of ridge regression (scikit-learn's alpha), >= 0. Default 1. */
  alpha: number;
}

/** L-BFGS stops when every gradient entry of the mean objective is below this. */
const GTOL = 1e-10;

function checkInputs(X: FeatureMatrix, y: Target, p: LinearParams): void {
  if (p.kind === "logistic-regression" && y.kind !== "classification") {
    throw new SpecError(
      "model.type logistic-regression needs task: classification; use linear-regression for a numeric target.",
      { path: "model.type" },
    );
  }
  if (p.kind === "linear-regression" && y.kind !== "regression") {
    throw new SpecError(
      "model.type linear-regression needs task: regression; use logistic-regression for classes.",
      { path: "model.type" },
    );
  }
  if (!(p.C > 0) || !Number.isFinite(p.C)) {
    throw new SpecError(`model.C must be a finite number > 0, got ${String(p.C)}. Use e.g. 1.`, {
      path: "model.C",
    });
  }
  if (!(p.alpha >= 0) || !Number.isFinite(p.alpha)) {
    throw new SpecError(
      `model.alpha must be a finite number >= 0, got ${String(p.alpha)}. Use e.g. 1.`,
      { path: "model.alpha" },
    );
  }
  if (X.rows < 2) {
    throw new InsufficientDataError(
      `A linear model needs at least 2 training rows, got ${X.rows}. Provide more data.`,
    );
  }
  for (let i = 0; i < X.values.length; i++) {
    if (!Number.isFinite(X.values[i])) {
      const name = X.names[i % X.cols] ?? `column ${(i % X.cols) + 1}`;
      throw new DataFormatError(
        `Feature "${name}" has a missing or infinite value at row ${Math.floor(i / X.cols) + 1}; linear models need every value. Set preprocessing.impute (median is the default) instead of none.`,
        { row: Math.floor(i / X.cols) + 1, column: name },
      );
    }
  }
  if (y.kind === "classification" && new Set(y.codes).size < 2) {
    throw new TargetError("The target has a single class; classification needs at least two.");
  }
}

function columnMeans(X: FeatureMatrix): Float64Array {
  const mean = new Float64Array(X.cols);
  for (let r = 0; r < X.rows; r++)
    for (let f = 0; f < X.cols; f++) mean[f] += X.values[r * X.cols + f];
  for (let f = 0; f < X.cols; f++) mean[f] /= X.rows;
  return mean;
}

/** Mean |w_kf (x_f − mean_f)| summed over k, normalized: the model's mean |SHAP| per feature. */
function importanceOf(
  X: FeatureMatrix,
  coef: Float64Array,
  K: number,
  mean: Float64Array,
): Float64Array {
  const F = X.cols;
  const mad = new Float64Array(F);
  for (let r = 0; r < X.rows; r++)
    for (let f = 0; f < F; f++) mad[f] += Math.abs(X.values[r * F + f] - mean[f]);
  const imp = new Float64Array(F);
  for (let f = 0; f < F; f++)
    for (let k = 0; k < K; k++) imp[f] += Math.abs(coef[k * F + f]) * mad[f];
  const total = imp.reduce((a, b) => a + b, 0);
  return Float64Array.from(imp, (v) => (total > 0 ? v / total : 0));
}

export function fitLinear(X: FeatureMatrix, y: Target, p: LinearParams): LinearModel {
  checkInputs(X, y, p);
  const mean = columnMeans(X);
  let coef: Float64Array;
  let intercept: Float64Array;
  let nClasses = 0;
  if (y.kind === "classification") {
    nClasses = y.classes.length;
    ({ coef, intercept } = fitLogistic(X, y.codes, nClasses, p.C));
  } else {
    ({ coef, intercept } = fitRidge(X, y.values, p.alpha, mean));
  }
  const K = intercept.length;
  const flat: FlatLinear = {
    kind: p.kind,
    task: y.kind,
    nFeatures: X.cols,
    nClasses,
    coef,
    intercept,
    featureMean: mean,
    featureImportance: importanceOf(X, coef, K, mean),
    regularization: p.kind === "logistic-regression" ? p.C : p.alpha,
  };
  return new LinearModel(flat);
}

function fitLogistic(X: FeatureMatrix, codes: Int32Array, nClasses: number, C: number) {
  const { rows: n, cols: F, values } = X;
  const K = nClasses === 2 ? 1 : nClasses;
  const P = K * (F + 1); // per output: F coefficients then the intercept
  const lambda = 1 / (C * n);
  const z = new Float64Array(K);
  const p = new Float64Array(K);
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let r = 0; r < n; r++) {
      const xo = r * F;
      for (let k = 0; k < K; k++) {
        const o = k * (F + 1);
        let s = theta[o + F];
        for (let f = 0; f < F; f++) s += theta[o + f] * values[xo + f];
        z[k] = s;
      }
      if (K === 1) {
        const y = codes[r] === 1 ? 1 : 0;
        // log(1 + e^z) − y z, computed without overflow
        const s = z[0];
        loss += (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - y * s;
        p[0] = (s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s))) - y;
      } else {
        let m = z[0];
        for (let k = 1; k < K; k++) if (z[k] > m) m = z[k];
        let sum = 0;
        for (let k = 0; k < K; k++) sum += Math.exp(z[k] - m);
        const lse = m + Math.log(sum);
        loss += lse - z[codes[r]];
        for (let k = 0; k < K; k++) p[k] = Math.exp(z[k] - lse) - (codes[r] === k ? 1 : 0);
      }
      for (let k = 0; k < K; k++) {
        const o = k * (F + 1);
        const e = p[k];
        for (let f = 0; f < F; f++) grad[o + f] += e * values[xo + f];
        grad[o + F] += e;
      }
    }
    let penalty = 0;
    for (let i = 0; i < P; i++) {
      grad[i] /= n;
      if (i % (F + 1) !== F) {
        penalty += theta[i] * theta[i];
        grad[i] += lambda * theta[i];
      }
    }
    return loss / n + 0.5 * lambda * penalty;
  };
  const { x: theta } = minimizeLbfgs(objective, new Float64Array(P), { gtol: GTOL });
  const coef = new Float64Array(K * F);
  const intercept = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    coef.set(theta.subarray(k * (F + 1), k * (F + 1) + F), k * F);
    intercept[k] = theta[k * (F + 1) + F];
  }
  if (K > 1) {
    const shift = intercept.reduce((a, b) => a + b, 0) / K;
    for (let k = 0; k < K; k++) intercept[k] -= shift;
  }
  return { coef, intercept };
}

function fitRidge(X: FeatureMatrix, y: Float64Array, alpha: number, mean: Float64Array) {
  const { rows: n, cols: F, values } = X;
  const yMean = y.reduce((a, b) => a + b, 0) / n;
  const A = new Float64Array(F * F);
  const rhs = new Float64Array(F);
  const xc = new Float64Array(F);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < F; f++) xc[f] = values[r * F + f] - mean[f];
    const yc = y[r] - yMean;
    for (let a = 0; a < F; a++) {
      rhs[a] += xc[a] * yc;
      for (let b = 0; b <= a; b++) A[a * F + b] += xc[a] * xc[b];
    }
  }
  for (let a = 0; a < F; a++) {
    A[a * F + a] += alpha;
    for (let b = 0; b < a; b++) A[b * F + a] = A[a * F + b];
  }
  const w = solveSymmetric(A, rhs, F);
  let b = yMean;
  for (let f = 0; f < F; f++) b -= mean[f] * w[f];
  return { coef: w, intercept: Float64Array.of(b) };
}

/**
 * Solves A w = rhs for a symmetric positive semi-definite A by Cholesky; a singular A (alpha 0
 * with collinear or constant features) gets a tiny ridge (1e-12 of its trace), which picks
 * the minimum-norm-like solution scikit-learn's solvers also return in that case.
 */
function solveSymmetric(A: Float64Array, rhs: Float64Array, F: number): Float64Array {
  let trace = 0;
  for (let i = 0; i < F; i++) trace += A[i * F + i];
  for (const jitter of [0, 1e-12 * (trace / F || 1), 1e-8 * (trace / F || 1)]) {
    const L = new Float64Array(F * F);
    let ok = true;
    for (let i = 0; i < F && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let s = A[i * F + j] + (i === j ? jitter : 0);
        for (let k = 0; k < j; k++) s -= L[i * F + k] * L[j * F + k];
        if (i === j) {
          if (!(s > 0)) {
            ok = false;
            break;
          }
          L[i * F + i] = Math.sqrt(s);
        } else L[i * F + j] = s / L[j * F + j];
      }
    }
    if (!ok) continue;
    const t = new Float64Array(F);
    for (let i = 0; i < F; i++) {
      let s = rhs[i];
      for (let k = 0; k < i; k++) s -= L[i * F + k] * t[k];
      t[i] = s / L[i * F + i];
    }
    const w = new Float64Array(F);
    for (let i = F - 1; i >= 0; i--) {
      let s = t[i];
      for (let k = i + 1; k < F; k++) s -= L[k * F + i] * w[k];
      w[i] = s / L[i * F + i];
    }
    return w;
  }
  throw new DataFormatError("The ridge system is singular even with jitter; set model.alpha > 0.");
}

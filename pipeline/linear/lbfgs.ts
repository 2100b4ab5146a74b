/**
 * Limited-memory BFGS (Nocedal & Wright, Algorithm 7.4/7.5) for smooth convex objectives,
 * with a backtracking line search under the Armijo condition (curvature pairs that would
 * break positive definiteness are skipped). Deterministic: no randomness, fixed arithmetic
 * order. Stops when the largest absolute gradient entry is at most `gtol`.
 */

export interface LbfgsOptions {
  /** Correction pairs kept; scikit-learn's scipy call uses 10. */
  memory?: number;
  maxIterations?: number;
  /** Stop when max |gradient| <= gtol. */
  gtol?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
}

/** `fg(x, grad)` returns f(x) and writes ∇f(x) into grad. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export function minimizeLbfgs(
  fg: Objective,
  x0: Float64Array,
  options: LbfgsOptions = {},
): LbfgsResult {
  const m = options.memory ?? 10;
  const maxIt = options.maxIterations ?? 10_000;
  const gtol = options.gtol ?? 1e-10;
  const n = x0.length;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let f = fg(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const d = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const alpha = new Float64Array(m);
  let it = 0;
  for (; it < maxIt; it++) {
    if (maxAbs(g) <= gtol) return { x, value: f, iterations: it, converged: true };
    // two-loop recursion: d = -H g
    for (let i = 0; i < n; i++) d[i] = -g[i];
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k] * dot(S[k], d);
      for (let i = 0; i < n; i++) d[i] -= alpha[k] * Y[k][i];
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last], Y[last]) / dot(Y[last], Y[last]);
      for (let i = 0; i < n; i++) d[i] *= gamma;
    } else {
      // first step: a unit-length move along the steepest descent
      const norm = Math.sqrt(dot(d, d));
      if (norm > 0) for (let i = 0; i < n; i++) d[i] /= Math.max(1, norm);
    }
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k] * dot(Y[k], d);
      for (let i = 0; i < n; i++) d[i] += S[k][i] * (alpha[k] - beta);
    }
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // not a descent direction (numerical trouble): restart from steepest descent
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      slope = dot(g, d);
    }
    let step = 1;
    let fNew = Number.NaN;
    for (let tries = 0; tries < 60; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * d[i];
      fNew = fg(xNew, gNew);
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(fNew <= f)) return { x, value: f, iterations: it, converged: false };
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gNew[i] - g[i];
    }
    const sy = dot(s, y);
    if (sy > 1e-300) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const fOld = f;
    x.set(xNew);
    g.set(gNew);
    f = fNew;
    // no progress representable in float64 any more: as converged as it gets
    if (fOld - f <= 0 && maxAbs(s) === 0)
      return { x, value: f, iterations: it + 1, converged: maxAbs(g) <= gtol };
  }
  return { x, value: f, iterations: it, converged: maxAbs(g) <= gtol };
}

/**
 * Exact path-dependent TreeSHAP in O(N·Q) per row and tree (N nodes, Q = ⌈D/2⌉ for D the
 * most distinct features on one root-to-leaf path), where Lundberg's Algorithm 2
 * (tree-shap-reference.ts) costs O(L·D²) and Fast TreeSHAP v2 (Yang 2021) precomputes
 * O(L·2^D): the same Shapley values, found in another order. Deep unpruned trees are where it
 * matters: on a forest grown on 64,000 rows the paths hold 15–20 distinct features, and
 * Algorithm 2 spends nearly all its time unwinding them at every leaf.
 *
 * The idea is the integral form behind Linear TreeSHAP (Yu et al. 2022). For a leaf with value
 * v, each distinct feature j on its path has a "zero fraction" z_j (the product of the cover
 * shares of the splits on j along the path: where a coalition without j sends the row) and a
 * "one fraction" o_j ∈ {0, 1} (whether x satisfies every split on j along the path). The
 * Shapley weight |S|!(d−|S|−1)!/d! is the Beta integral ∫₀¹ u^|S| (1−u)^(d−|S|−1) du, so the
 * leaf adds to φ_i
 *
 *     v · (o_i − z_i) · ∫₀¹ Π_{j ≠ i} f_j(u) du,    f_j(u) = z_j + u·(o_j − z_j),
 *
 * the integral of a polynomial of degree d−1. Gauss–Legendre quadrature with Q points is exact
 * for degree ≤ 2Q−1, so Q = ⌈d_max/2⌉ points give the exact value, and each term is a product
 * of numbers in [0, 1] with positive weights: nothing cancels catastrophically.
 *
 * Over a tree: with R_ℓ(u) = Π_j f_j(u) over the path's distinct features and
 * g(u) = (o − z)/f(u), leaf ℓ adds v·R_ℓ·g_i. Grouping the leaves under each edge, the edge
 * into node c that splits on i adds Σ_q W_q · S_c(u_q) · (g_c(u_q) − g_prev(u_q)) to φ_i,
 * where S_c = Σ_{ℓ under c} v_ℓ R_ℓ and g_prev belongs to the previous split on i higher up
 * the path (0 if none). The differences telescope: a feature split several times on one path
 * ends with the combined (z, o) of all its splits, as in Algorithm 2's unwinding. Quadrature is
 * linear, so adding per-edge terms before integrating changes nothing.
 *
 * Per tree, what does not depend on x is computed once: each edge's combined z and the
 * previous split on its feature. The rows then walk the tree together, depth first: going down
 * an edge sets each row's R at the child, coming back up sums S and adds the edge's term. An
 * edge's factors f/f_prev and W·(g − g_prev) depend on the row only through its one fraction
 * (0 or 1), so both forms are computed once per edge for all the rows (see TreeShapKernel).
 *
 * Deterministic: each tree's values go into a buffer of their own, added to the total in tree
 * order, so splitting the trees across threads (shap-parallel.ts) gives the same bits.
 */
import type { FeatureMatrix } from "../data/frame.ts";
import type { FlatForest } from "../forest/forest-model.ts";

/** Gauss–Legendre points (ascending) and weights on [0, 1]; cached per count. */
const quadratureCache = new Map<number, { u: Float64Array; w: Float64Array }>();

export function gaussLegendre(n: number): { u: Float64Array; w: Float64Array } {
  const cached = quadratureCache.get(n);
  if (cached) return cached;
  const u = new Float64Array(n);
  const w = new Float64Array(n);
  // Newton's method on the Legendre polynomial P_n from the classic first guesses; the roots
  // are symmetric about 0, so the upper half gives all of them.
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 1;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = 0;
      for (let k = 1; k <= n; k++) {
        const p2 = p1;
        p1 = p0;
        p0 = ((2 * k - 1) * x * p1 - (k - 1) * p2) / k;
      }
      dp = (n * (x * p0 - p1)) / (x * x - 1);
      const step = p0 / dp;
      x -= step;
      if (Math.abs(step) <= 1e-16) break;
    }
    const weight = 1 / ((1 - x * x) * dp * dp); // 2 / (...) on [-1, 1], halved for [0, 1]
    u[i] = (1 - x) / 2;
    u[n - 1 - i] = (1 + x) / 2;
    w[i] = weight;
    w[n - 1 - i] = weight;
  }
  const out = { u, w };
  quadratureCache.set(n, out);
  return out;
}

function outputsOf(flat: FlatForest): number {
  return flat.task === "classification" ? flat.nClasses : 1;
}

/** Whether every leaf's values sum to 1 (class probabilities), to 1e-9. */
function leavesSumToOne(flat: FlatForest): boolean {
  const V = flat.nClasses;
  const { values } = flat;
  for (let at = 0; at < values.length; at += V) {
    let sum = 0;
    for (let o = 0; o < V; o++) sum += values[at + o];
    if (Math.abs(sum - 1) > 1e-9) return false;
  }
  return true;
}

/**
 * One tree at a time, many rows: holds the tree's x-independent tables and the per-depth work
 * buffers, sized for the largest tree seen and reused.
 *
 * The rows go through the tree together, depth first: at each edge the quadrature factors
 * (f/f_prev and W·(g − g_prev)) take only two forms, one per value of the row's one fraction,
 * so they are computed once per edge and applied to every row, which leaves the inner loops
 * with multiplications and additions over a few KiB that stay in cache. Explaining one row at
 * a time instead recomputed them (divisions) per row and edge, or loaded tables too large for
 * the cache (measured at 64,000 training rows, 200 rows: 5x slower).
 */
export class TreeShapKernel {
  readonly outputs: number;
  readonly features: number;
  /**
   * Outputs computed through the tree: all but the last for class probabilities. Each leaf's
   * probabilities sum to 1, and the Shapley values of a constant are 0, so the last class's
   * values are minus the sum of the others' (exact up to rounding, and half the work for a
   * binary classifier).
   */
  private readonly computed: number;
  // per node (tree-local index)
  private parent = new Int32Array(0);
  private prevSplit = new Int32Array(0);
  private zero = new Float64Array(0);
  private distinct = new Int32Array(0);
  private coldRatio = new Float64Array(0);
  /** Depth of each node on the current path (set as the walk enters it). */
  private depthOf = new Int32Array(0);
  private stack = new Int32Array(0);
  private Q = 1;
  // per depth: the node's R (rows × Q), S (rows × Q × computed), and per row whether it is
  // reached, its one fraction and which multipliers its edge used (0 or 1: its one fraction;
  // 2: its feature was already cold above); the edge factors (2 × Q each)
  private R: Float64Array[] = [];
  private S: Float64Array[] = [];
  private reach: Uint8Array[] = [];
  private one: Uint8Array[] = [];
  private slot: Uint8Array[] = [];
  private ratio: Float64Array[] = [];
  private coef: Float64Array[] = [];
  private rowsSized = 0;
  private pointsSized = 0;
  // the job of the current explainTree call
  private x: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private cols = 0;
  private rows = 0;
  private out: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private nb = 0;
  private lb = 0;

  constructor(
    private readonly flat: FlatForest,
    private readonly cover: Float64Array,
  ) {
    this.outputs = outputsOf(flat);
    this.features = flat.nFeatures;
    this.computed = this.outputs > 1 && leavesSumToOne(flat) ? this.outputs - 1 : this.outputs;
  }

  /**
   * Tree t's SHAP values (before dividing by the number of trees) of `rows` rows of `x`
   * (`cols` values per row, row-major), written to `out` (rows × features × outputs).
   */
  explainTree(t: number, x: Float64Array, cols: number, rows: number, out: Float64Array): void {
    out.fill(0, 0, rows * this.features * this.outputs);
    const nb = this.flat.treeNodeOffset[t];
    const n = this.flat.treeNodeOffset[t + 1] - nb;
    this.prepare(nb, n);
    const V = this.outputs;
    const stride = this.features * V;
    if (rows > 0 && this.flat.feature[nb] >= 0) {
      this.sizeFor(rows, 0);
      this.x = x;
      this.cols = cols;
      this.rows = rows;
      this.out = out;
      this.nb = nb;
      this.lb = this.flat.treeLeafOffset[t];
      this.R[0].fill(1, 0, rows * this.Q);
      this.reach[0].fill(1, 0, rows);
      this.one[0].fill(1, 0, rows);
      this.depthOf[0] = 0;
      this.visit(0, 0);
      this.x = new Float64Array(0);
      this.out = this.x;
    }
    if (this.computed < V) {
      for (let at = 0; at < rows * stride; at += V) {
        let sum = 0;
        for (let o = 0; o < V - 1; o++) sum += out[at + o];
        out[at + V - 1] = -sum;
      }
    }
  }

  private grow(n: number): void {
    if (this.parent.length >= n) return;
    this.parent = new Int32Array(n);
    this.prevSplit = new Int32Array(n);
    this.zero = new Float64Array(n);
    this.distinct = new Int32Array(n);
    this.coldRatio = new Float64Array(n);
    this.depthOf = new Int32Array(n);
    this.stack = new Int32Array(2 * n + 2);
  }

  /** Buffers for depth `d` (and all above it) for this many rows and the current Q. */
  private sizeFor(rows: number, d: number): void {
    const Q = this.Q;
    if (rows > this.rowsSized || Q > this.pointsSized) {
      // every depth's buffers are too small: start over at the larger size
      this.rowsSized = Math.max(rows, this.rowsSized);
      this.pointsSized = Math.max(Q, this.pointsSized);
      this.R = [];
      this.S = [];
      this.reach = [];
      this.one = [];
      this.slot = [];
      this.ratio = [];
      this.coef = [];
    }
    const RQ = this.rowsSized * this.pointsSized;
    while (this.R.length <= d) {
      this.R.push(new Float64Array(RQ));
      this.S.push(new Float64Array(RQ * this.computed));
      this.reach.push(new Uint8Array(this.rowsSized));
      this.one.push(new Uint8Array(this.rowsSized));
      this.slot.push(new Uint8Array(this.rowsSized));
      this.ratio.push(new Float64Array(2 * this.pointsSized));
      this.coef.push(new Float64Array(2 * this.pointsSized));
    }
  }

  /** The tree's x-independent tables: per edge its combined zero fraction and previous split on its feature. */
  private prepare(nb: number, n: number): void {
    this.grow(n);
    const { feature, left, right } = this.flat;
    const { cover, parent, prevSplit, zero, distinct, coldRatio, stack } = this;
    // Depth first, keeping the last split per feature on the current path: entering node c
    // (whose edge splits on f) makes c the last split on f; leaving it restores prevSplit[c].
    const lastSplit = new Int32Array(this.features).fill(-1);
    parent[0] = -1;
    prevSplit[0] = -1;
    zero[0] = 1;
    distinct[0] = 0;
    let deepest = 0;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const entry = stack[--top];
      if (entry < 0) {
        const c = -entry - 1;
        lastSplit[feature[nb + parent[c]]] = prevSplit[c];
        continue;
      }
      const c = entry;
      if (c > 0) {
        const p = parent[c];
        const f = feature[nb + p];
        const prev = lastSplit[f];
        prevSplit[c] = prev;
        const w = cover[nb + p];
        // a node no covering row reached passes nothing on (never 0/0)
        const share = w > 0 ? cover[nb + c] / w : 0;
        zero[c] = prev < 0 ? share : zero[prev] * share;
        coldRatio[c] = prev >= 0 && zero[prev] > 0 ? zero[c] / zero[prev] : 0;
        distinct[c] = distinct[p] + (prev < 0 ? 1 : 0);
        lastSplit[f] = c;
        stack[top++] = -c - 1;
      }
      const node = nb + c;
      if (feature[node] < 0) {
        if (distinct[c] > deepest) deepest = distinct[c];
        continue;
      }
      parent[left[node]] = c;
      parent[right[node]] = c;
      stack[top++] = right[node];
      stack[top++] = left[node];
    }
    this.Q = Math.max(1, Math.ceil(deepest / 2));
  }

  /**
   * Internal node k at depth d, whose R, reach and one fraction per row are set: fills its S
   * (Σ over the leaves below of v·R) and adds the terms of its two child edges to the rows'
   * values of the feature k splits on.
   */
  private visit(k: number, d: number): void {
    const { feature, left, right, threshold, missingLeft, values } = this.flat;
    const { prevSplit, zero, coldRatio, Q, x, cols, rows, out, nb } = this;
    const { u, w } = gaussLegendre(Q);
    const V = this.outputs;
    const E = this.computed;
    const QE = Q * E;
    const node = nb + k;
    const f = feature[node];
    const thr = threshold[node];
    const nanLeft = missingLeft[node] === 1;
    const stride = this.features * V;
    const fv = f * V;
    this.sizeFor(rows, d + 1);
    const Rk = this.R[d];
    const Sk = this.S[d];
    const reachK = this.reach[d];
    const Rc = this.R[d + 1];
    const reachC = this.reach[d + 1];
    const oneC = this.one[d + 1];
    const slotC = this.slot[d + 1];
    const ratio = this.ratio[d + 1];
    const coef = this.coef[d + 1];
    Sk.fill(0, 0, rows * QE);
    for (let side = 0; side < 2; side++) {
      const c = side === 0 ? left[node] : right[node];
      const prev = prevSplit[c];
      const z = zero[c];
      // the edge's factors for a row whose one fraction here is 0 (first Q) or 1 (next Q):
      // f/f_prev and W·(g − g_prev), g = (o − z)/f
      if (prev < 0) {
        for (let o = 0; o < 2; o++) {
          const dz = o - z;
          for (let q = 0; q < Q; q++) {
            const fq = z + u[q] * dz;
            ratio[o * Q + q] = fq;
            coef[o * Q + q] = fq > 0 ? (w[q] * dz) / fq : 0;
          }
        }
      } else {
        const zp = zero[prev];
        const dp = 1 - zp;
        for (let o = 0; o < 2; o++) {
          const dz = o - z;
          for (let q = 0; q < Q; q++) {
            const fq = z + u[q] * dz;
            const fp = zp + u[q] * dp;
            ratio[o * Q + q] = fq / fp;
            coef[o * Q + q] = fq > 0 ? w[q] * (dz / fq - dp / fp) : 0;
          }
        }
      }
      const m = coldRatio[c];
      const prevOne = prev >= 0 ? this.one[this.depthOf[prev]] : null;
      const leaf = feature[nb + c] < 0;
      const vo = leaf ? (this.lb + left[nb + c]) * V : 0;
      let reachedAny = false;
      for (let r = 0; r < rows; r++) {
        if (reachK[r] === 0) {
          reachC[r] = 0;
          continue;
        }
        let s: number;
        if (prevOne !== null && prevOne[r] === 0) {
          // the feature was already cold above: R scales by a constant, no edge term
          s = 2;
          if (z === 0) {
            reachC[r] = 0;
            continue;
          }
        } else {
          const v = x[r * cols + f];
          const hotLeft = v <= thr || (nanLeft && Number.isNaN(v));
          s = (side === 0) === hotLeft ? 1 : 0;
          if (s === 0 && z === 0) {
            reachC[r] = 0;
            continue;
          }
        }
        const rb = r * Q;
        if (leaf && E === 1) {
          // one output (binary classification, regression): the common case, kept simple
          const v0 = values[vo];
          if (s === 2) {
            for (let q = 0; q < Q; q++) Sk[rb + q] += Rk[rb + q] * m * v0;
          } else {
            const tb = s * Q;
            let e = 0;
            for (let q = 0; q < Q; q++) {
              const lr = Rk[rb + q] * ratio[tb + q];
              e += coef[tb + q] * lr;
              Sk[rb + q] += lr * v0;
            }
            out[r * stride + fv] += e * v0;
          }
          continue;
        }
        if (leaf) {
          const sb = r * QE;
          if (s === 2) {
            for (let q = 0; q < Q; q++) {
              const lr = Rk[rb + q] * m;
              for (let o = 0; o < E; o++) Sk[sb + q * E + o] += lr * values[vo + o];
            }
          } else {
            const tb = s * Q;
            let e = 0;
            for (let q = 0; q < Q; q++) {
              const lr = Rk[rb + q] * ratio[tb + q];
              e += coef[tb + q] * lr;
              for (let o = 0; o < E; o++) Sk[sb + q * E + o] += lr * values[vo + o];
            }
            const fo = r * stride + fv;
            for (let o = 0; o < E; o++) out[fo + o] += e * values[vo + o];
          }
          continue;
        }
        reachC[r] = 1;
        reachedAny = true;
        oneC[r] = s === 1 ? 1 : 0;
        slotC[r] = s;
        if (s === 2) {
          for (let q = 0; q < Q; q++) Rc[rb + q] = Rk[rb + q] * m;
        } else {
          const tb = s * Q;
          for (let q = 0; q < Q; q++) Rc[rb + q] = Rk[rb + q] * ratio[tb + q];
        }
      }
      if (leaf || !reachedAny) continue;
      this.depthOf[c] = d + 1;
      this.visit(c, d + 1);
      // the child's recursion reused deeper buffers only: this edge's factors are intact
      const Sc = this.S[d + 1];
      for (let r = 0; r < rows; r++) {
        if (reachC[r] === 0) continue;
        const sb = r * QE;
        const s = slotC[r];
        if (E === 1) {
          if (s !== 2) {
            const tb = s * Q;
            let e = 0;
            for (let q = 0; q < Q; q++) {
              e += coef[tb + q] * Sc[sb + q];
              Sk[sb + q] += Sc[sb + q];
            }
            out[r * stride + fv] += e;
          } else {
            for (let q = 0; q < Q; q++) Sk[sb + q] += Sc[sb + q];
          }
          continue;
        }
        if (s !== 2) {
          const tb = s * Q;
          const fo = r * stride + fv;
          for (let o = 0; o < E; o++) {
            let e = 0;
            for (let q = 0; q < Q; q++) e += coef[tb + q] * Sc[sb + q * E + o];
            out[fo + o] += e;
          }
        }
        for (let i = 0; i < QE; i++) Sk[sb + i] += Sc[sb + i];
      }
    }
  }
}

/**
 * SHAP values of every row of X for trees [from, to), summed in tree order into `total`
 * (rows × features × outputs, not divided by the number of trees). `onTree` may replace the
 * in-order addition (the parallel driver hands trees to another thread's total).
 */
export function addTreesShap(
  flat: FlatForest,
  cover: Float64Array,
  X: FeatureMatrix,
  total: Float64Array,
  from = 0,
  to = flat.treeNodeOffset.length - 1,
): void {
  const kernel = new TreeShapKernel(flat, cover);
  const part = new Float64Array(total.length);
  for (let t = from; t < to; t++) {
    kernel.explainTree(t, X.values, X.cols, X.rows, part);
    for (let i = 0; i < total.length; i++) total[i] += part[i];
  }
}

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
 * previous split on its feature. Per row, one pass down sets R at every node and one pass up
 * sums S and adds the edge terms; the factors f/f_prev and W·(g − g_prev) are recomputed at
 * each edge rather than tabled, because on trees of thousands of nodes the tables outgrow the
 * cache and loading them cost more than the divisions (measured: 1.6x slower at 64,000 rows).
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
 * One tree at a time, many rows: holds the tree's x-independent tables and the per-row work
 * buffers, sized for the largest tree seen and reused.
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
  private reached = new Uint8Array(0);
  private one = new Uint8Array(0);
  /** Which multipliers a node uses this row: 0 (o = 0), 1 (o = 1), 2 (its feature was already cold above). */
  private slot = new Uint8Array(0);
  private stack = new Int32Array(0);
  // per node × quadrature point
  private R = new Float64Array(0);
  private leafR = new Float64Array(0);
  private ratio = new Float64Array(0);
  private coef = new Float64Array(0);
  private S = new Float64Array(0); // [node][q][output]
  private Q = 1;

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
    for (let r = 0; r < rows; r++) this.explainRow(t, nb, n, x, r * cols, out, r * stride);
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
    this.reached = new Uint8Array(n);
    this.one = new Uint8Array(n);
    this.slot = new Uint8Array(n);
    this.stack = new Int32Array(2 * n + 2);
  }

  private growPoints(n: number): void {
    const Q = this.Q;
    if (this.leafR.length < Q) {
      this.leafR = new Float64Array(Q);
      this.ratio = new Float64Array(Q);
      this.coef = new Float64Array(Q);
    }
    if (this.R.length < n * Q) {
      this.R = new Float64Array(n * Q);
    }
    if (this.S.length < n * Q * this.computed) this.S = new Float64Array(n * Q * this.computed);
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
    this.growPoints(n);
  }

  private explainRow(
    t: number,
    nb: number,
    n: number,
    x: Float64Array,
    xo: number,
    out: Float64Array,
    oo: number,
  ): void {
    const { feature, left, right, threshold, missingLeft, values } = this.flat;
    const { prevSplit, zero, coldRatio, reached, one, slot, R, S, Q, leafR, ratio, coef } = this;
    const { u, w } = gaussLegendre(Q);
    const V = this.outputs;
    const E = this.computed;
    const QE = Q * E;
    const lb = this.flat.treeLeafOffset[t];
    reached[0] = 1;
    one[0] = 1;
    R.fill(1, 0, Q);
    // Down: which child x follows, the combined one fraction and R at every node.
    for (let k = 0; k < n; k++) {
      const node = nb + k;
      const f = feature[node];
      if (f < 0) continue;
      const l = left[node];
      const r = right[node];
      if (reached[k] === 0) {
        reached[l] = 0;
        reached[r] = 0;
        continue;
      }
      const v = x[xo + f];
      const hotLeft = v <= threshold[node] || (Number.isNaN(v) && missingLeft[node] === 1);
      const rp = k * Q;
      for (let side = 0; side < 2; side++) {
        const c = side === 0 ? l : r;
        const prev = prevSplit[c];
        const rc = c * Q;
        if (prev >= 0 && one[prev] === 0) {
          // the feature was already cold above: R scales by a constant, no edge term
          if (zero[c] === 0) {
            reached[c] = 0;
            continue;
          }
          reached[c] = 1;
          one[c] = 0;
          slot[c] = 2;
          if (feature[nb + c] < 0) continue; // a leaf's R is formed on the way up
          const m = coldRatio[c];
          for (let q = 0; q < Q; q++) R[rc + q] = R[rp + q] * m;
          continue;
        }
        const o = (side === 0) === hotLeft ? 1 : 0;
        if (o === 0 && zero[c] === 0) {
          reached[c] = 0;
          continue;
        }
        reached[c] = 1;
        one[c] = o;
        slot[c] = o;
        if (feature[nb + c] < 0) continue;
        const z = zero[c];
        const dz = o - z;
        if (prev < 0) {
          for (let q = 0; q < Q; q++) R[rc + q] = R[rp + q] * (z + u[q] * dz);
        } else {
          const zp = zero[prev];
          const dp = 1 - zp;
          for (let q = 0; q < Q; q++) R[rc + q] = (R[rp + q] * (z + u[q] * dz)) / (zp + u[q] * dp);
        }
      }
    }
    // Up: each internal node pulls S from its children (a leaf's is v·R) and adds each child
    // edge's term to the feature the node splits on.
    for (let k = n - 1; k >= 0; k--) {
      const node = nb + k;
      if (feature[node] < 0 || reached[k] === 0) continue;
      const fo = oo + feature[node] * V;
      const sk = k * QE;
      let first = true;
      for (let side = 0; side < 2; side++) {
        const c = side === 0 ? left[node] : right[node];
        if (reached[c] === 0) continue;
        const edge = slot[c] !== 2;
        if (edge) {
          // W_q (g − g_prev) at each point, g = (o − z)/f, for this row's o
          const z = zero[c];
          const dz = slot[c] - z;
          const prev = prevSplit[c];
          if (prev < 0) {
            for (let q = 0; q < Q; q++) {
              const f = z + u[q] * dz;
              ratio[q] = f;
              coef[q] = f > 0 ? (w[q] * dz) / f : 0;
            }
          } else {
            const zp = zero[prev];
            const dp = 1 - zp;
            for (let q = 0; q < Q; q++) {
              const f = z + u[q] * dz;
              const fp = zp + u[q] * dp;
              ratio[q] = f / fp;
              coef[q] = f > 0 ? w[q] * (dz / f - dp / fp) : 0;
            }
          }
        }
        if (feature[nb + c] < 0) {
          const vo = (lb + left[nb + c]) * V;
          // the leaf's R, from its parent's (leaves skip the down pass's store)
          const rk = k * Q;
          if (edge) {
            let e = 0;
            for (let q = 0; q < Q; q++) {
              const rq = R[rk + q] * ratio[q];
              leafR[q] = rq;
              e += coef[q] * rq;
            }
            for (let o = 0; o < E; o++) out[fo + o] += e * values[vo + o];
          } else {
            const m = coldRatio[c];
            for (let q = 0; q < Q; q++) leafR[q] = R[rk + q] * m;
          }
          if (k === 0) continue;
          for (let q = 0; q < Q; q++) {
            const rq = leafR[q];
            const sq = sk + q * E;
            if (first) for (let o = 0; o < E; o++) S[sq + o] = rq * values[vo + o];
            else for (let o = 0; o < E; o++) S[sq + o] += rq * values[vo + o];
          }
        } else {
          const sc = c * QE;
          if (edge) {
            for (let o = 0; o < E; o++) {
              let e = 0;
              for (let q = 0; q < Q; q++) e += coef[q] * S[sc + q * E + o];
              out[fo + o] += e;
            }
          }
          if (k === 0) continue;
          if (first) for (let i = 0; i < QE; i++) S[sk + i] = S[sc + i];
          else for (let i = 0; i < QE; i++) S[sk + i] += S[sc + i];
        }
        first = false;
      }
      if (first) S.fill(0, sk, sk + QE);
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

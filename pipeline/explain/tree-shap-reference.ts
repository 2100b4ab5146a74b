/**
 * Lundberg, Erion & Lee's Algorithm 2 for exact path-dependent TreeSHAP, O(L·D²) per row and
 * tree: the textbook recursion, kept as the oracle the faster kernel (fast-tree-shap.ts) is
 * tested against. It follows the row down every path of every tree, carrying the "unique
 * path" of features met so far with their zero and one fractions and permutation weights, and
 * at each leaf unwinds every feature of the path to find its share.
 */
import type { FeatureMatrix } from "../data/frame.ts";
import { checkMatrixWidth, type FlatForest } from "../forest/forest-model.ts";
import { checkCover, expectedValue, goesLeft, outputsOf, type ShapValues } from "./tree-shap.ts";

/** The SHAP values of every row of X, by Algorithm 2. */
export function treeShapReference(
  flat: FlatForest,
  cover: Float64Array,
  X: FeatureMatrix,
): ShapValues {
  checkMatrixWidth(X, flat.nFeatures);
  checkCover(flat, cover);
  const V = outputsOf(flat);
  const F = flat.nFeatures;
  const trees = flat.treeNodeOffset.length - 1;
  const values = new Float64Array(X.rows * F * V);
  const depth = maxDepth(flat);
  const path = new PathStore(((depth + 2) * (depth + 3)) / 2);
  const phi = new Float64Array(F * V);
  const x = new Float64Array(F);
  for (let r = 0; r < X.rows; r++) {
    x.set(X.values.subarray(r * X.cols, (r + 1) * X.cols));
    phi.fill(0);
    for (let t = 0; t < trees; t++) {
      const walker = new TreeWalker(flat, cover, t, x, phi, V, path);
      walker.recurse(flat.treeNodeOffset[t], 0, 0, 1, 1, -1);
    }
    const out = values.subarray(r * F * V, (r + 1) * F * V);
    for (let i = 0; i < F * V; i++) out[i] = phi[i] / trees;
  }
  return { rows: X.rows, features: F, outputs: V, values, expected: expectedValue(flat, cover) };
}

function maxDepth(flat: FlatForest): number {
  const { feature, left, right, treeNodeOffset } = flat;
  let deepest = 0;
  const depth = new Int32Array(feature.length);
  for (let t = 0; t < treeNodeOffset.length - 1; t++) {
    const nb = treeNodeOffset[t];
    // Children always come after their parent, so one forward pass sets every depth.
    for (let node = nb; node < treeNodeOffset[t + 1]; node++) {
      if (node === nb) depth[node] = 0;
      if (feature[node] < 0) continue;
      depth[nb + left[node]] = depth[node] + 1;
      depth[nb + right[node]] = depth[node] + 1;
      if (depth[node] + 1 > deepest) deepest = depth[node] + 1;
    }
  }
  return deepest;
}

/** The "unique path" elements of Algorithm 2, for every recursion level, in flat arrays. */
class PathStore {
  readonly feature: Int32Array;
  readonly zero: Float64Array;
  readonly one: Float64Array;
  readonly weight: Float64Array;
  constructor(size: number) {
    this.feature = new Int32Array(size);
    this.zero = new Float64Array(size);
    this.one = new Float64Array(size);
    this.weight = new Float64Array(size);
  }
  copy(from: number, to: number, n: number): void {
    this.feature.copyWithin(to, from, from + n);
    this.zero.copyWithin(to, from, from + n);
    this.one.copyWithin(to, from, from + n);
    this.weight.copyWithin(to, from, from + n);
  }
}

class TreeWalker {
  private readonly nb: number;
  private readonly lb: number;
  constructor(
    private readonly flat: FlatForest,
    private readonly cover: Float64Array,
    tree: number,
    private readonly x: Float64Array,
    private readonly phi: Float64Array,
    private readonly V: number,
    private readonly p: PathStore,
  ) {
    this.nb = flat.treeNodeOffset[tree];
    this.lb = flat.treeLeafOffset[tree];
  }

  /**
   * `at` is where this level's path starts in the store; the parent's path (`depth` elements)
   * sits just before it at `parentAt`.
   */
  recurse(
    node: number,
    parentAt: number,
    depth: number,
    zeroFraction: number,
    oneFraction: number,
    featureIndex: number,
  ): void {
    const p = this.p;
    const at = parentAt + depth;
    if (depth > 0) p.copy(parentAt, at, depth);
    this.extend(at, depth, zeroFraction, oneFraction, featureIndex);
    const { feature, left, right, values } = this.flat;
    const split = feature[node];
    if (split < 0) {
      const vo = (this.lb + left[node]) * this.V;
      for (let i = 1; i <= depth; i++) {
        const w = this.unwoundSum(at, depth, i);
        const scale = w * (p.one[at + i] - p.zero[at + i]);
        const fo = p.feature[at + i] * this.V;
        for (let o = 0; o < this.V; o++) this.phi[fo + o] += scale * values[vo + o];
      }
      return;
    }
    const goLeft = goesLeft(this.flat, node, this.x[split]);
    const hot = this.nb + (goLeft ? left[node] : right[node]);
    const cold = this.nb + (goLeft ? right[node] : left[node]);
    // A node no covering row reached has no conditional expectation of its own; its share
    // above it is already zero, so its children get zero too (never 0/0).
    const w = this.cover[node];
    const hotZero = w > 0 ? this.cover[hot] / w : 0;
    const coldZero = w > 0 ? this.cover[cold] / w : 0;
    let inZero = 1;
    let inOne = 1;
    let d = depth;
    let k = 1;
    while (k <= d && p.feature[at + k] !== split) k++;
    if (k <= d) {
      // The feature was split on higher up: undo that split and re-extend with both.
      inZero = p.zero[at + k];
      inOne = p.one[at + k];
      this.unwind(at, d, k);
      d--;
    }
    // A child reached by no coalition (both fractions zero) adds nothing; skipping it also
    // keeps the unwinding from dividing by zero.
    if (hotZero * inZero > 0 || inOne > 0)
      this.recurse(hot, at, d + 1, hotZero * inZero, inOne, split);
    if (coldZero * inZero > 0) this.recurse(cold, at, d + 1, coldZero * inZero, 0, split);
  }

  private extend(at: number, depth: number, zero: number, one: number, feature: number): void {
    const p = this.p;
    p.feature[at + depth] = feature;
    p.zero[at + depth] = zero;
    p.one[at + depth] = one;
    p.weight[at + depth] = depth === 0 ? 1 : 0;
    for (let i = depth - 1; i >= 0; i--) {
      p.weight[at + i + 1] += (one * p.weight[at + i] * (i + 1)) / (depth + 1);
      p.weight[at + i] = (zero * p.weight[at + i] * (depth - i)) / (depth + 1);
    }
  }

  private unwind(at: number, depth: number, index: number): void {
    const p = this.p;
    const one = p.one[at + index];
    const zero = p.zero[at + index];
    let next = p.weight[at + depth];
    for (let i = depth - 1; i >= 0; i--) {
      if (one !== 0) {
        const tmp = p.weight[at + i];
        p.weight[at + i] = (next * (depth + 1)) / ((i + 1) * one);
        next = tmp - (p.weight[at + i] * zero * (depth - i)) / (depth + 1);
      } else {
        p.weight[at + i] = (p.weight[at + i] * (depth + 1)) / (zero * (depth - i));
      }
    }
    for (let i = index; i < depth; i++) {
      p.feature[at + i] = p.feature[at + i + 1];
      p.zero[at + i] = p.zero[at + i + 1];
      p.one[at + i] = p.one[at + i + 1];
    }
  }

  private unwoundSum(at: number, depth: number, index: number): number {
    const p = this.p;
    const one = p.one[at + index];
    const zero = p.zero[at + index];
    let next = p.weight[at + depth];
    let total = 0;
    for (let i = depth - 1; i >= 0; i--) {
      if (one !== 0) {
        const tmp = (next * (depth + 1)) / ((i + 1) * one);
        total += tmp;
        next = p.weight[at + i] - (tmp * zero * (depth - i)) / (depth + 1);
      } else {
        total += (p.weight[at + i] / zero) * ((depth + 1) / (depth - i));
      }
    }
    return total;
  }
}

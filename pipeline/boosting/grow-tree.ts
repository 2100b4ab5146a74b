/**
 * Grows one regression tree of a boosted ensemble on gradients and hessians, over the forest
 * engine's pre-binned columns (pipeline/forest/binning.ts). The hot loop of boosting:
 *
 * - Leaf-wise (best-first) growth as LightGBM and scikit-learn's HistGradientBoosting: the
 *   leaf whose best split gains most is split next, until `maxLeaves` leaves, `maxDepth`, or
 *   no split gains. Ties go to the node created first, so growth is deterministic.
 * - A node's rows are a contiguous range of `rows`, kept ascending by a stable partition, so
 *   reads of a binned column and of the gradients move forward through memory.
 * - Histogram subtraction: of two siblings only the smaller one's histograms are summed; the
 *   larger one's are its parent's minus the smaller's, computed in the parent's buffer.
 * - Missing values have their own bin. Every boundary is scored with the node's missing rows
 *   left and right, plus "all values vs missing"; a node that saw no missing value sends it
 *   to the child with more rows (ties right), as scikit-learn does.
 * - Gain and leaf values are XGBoost's/scikit-learn's second-order ones:
 *   gain = GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ), leaf = −lr · G/(H+λ).
 *
 * Histograms are summed by a `HistogramSource` (histogram.ts): in this thread, or split by
 * feature over worker threads. Each feature's histogram is always summed by one thread in row
 * order, so the tree does not depend on the worker count.
 */
import type { BinnedFeatures } from "../forest/binning.ts";
import {
  BINS,
  featureEnd,
  featureStart,
  type HistogramSource,
  histogramLength,
} from "./histogram.ts";

export interface GrowSettings {
  /** Infinity when unlimited. */
  maxLeaves: number;
  /** Infinity when unlimited. */
  maxDepth: number;
  minSamplesLeaf: number;
  l2: number;
  learningRate: number;
  /** True when every hessian is 1 (squared and absolute error): the count is the hessian sum. */
  constantHessian: boolean;
}

/** scikit-learn's `min_hessian_to_split`: a child needs at least this much hessian. */
const MIN_HESSIAN = 1e-3;

export interface GrownTree {
  feature: Int32Array;
  threshold: Float64Array;
  /** The split's last left bin (binned routing); -1 on leaves. */
  bin: Int32Array;
  left: Int32Array;
  right: Int32Array;
  missingLeft: Uint8Array;
  /** Per leaf, in leaf order (`left` of a leaf node is its leaf index). */
  values: Float64Array;
  /** Training rows (of this round's sample) reaching each node: the TreeSHAP cover. */
  cover: Float64Array;
  /** Per leaf: its range in the grower's `rows` (valid until the next tree is grown). */
  leafStart: Int32Array;
  leafEnd: Int32Array;
  /** Total split gain per feature. */
  gain: Float64Array;
}

interface Split {
  gain: number;
  feature: number;
  bin: number;
  missingLeft: boolean;
  gl: number;
  hl: number;
  cl: number;
}

/** The per-node bookkeeping of one tree; nodes are numbered in creation order. */
interface Node {
  start: number;
  end: number;
  depth: number;
  g: number;
  h: number;
  c: number;
  /** Histogram buffer while the node may still be split, else null. */
  hist: Float64Array | null;
  split: Split | null;
  leftChild: number;
  rightChild: number;
}

export class BoostTreeGrower {
  /** Row indices, node ranges contiguous; the root range is set by `grow`. */
  readonly rows: Int32Array;
  private readonly scratch: Int32Array;
  private readonly pool: Float64Array[] = [];
  /** The output (softmax class) whose gradients the tree being grown fits. */
  private output = 0;

  constructor(
    private readonly data: BinnedFeatures,
    private readonly source: HistogramSource,
  ) {
    const n = data.nRows;
    this.rows = source.rows;
    this.scratch = new Int32Array(n);
  }

  private acquire(): Float64Array {
    return this.pool.pop() ?? new Float64Array(histogramLength(this.data.nFeatures));
  }

  private release(h: Float64Array | null): void {
    if (h) this.pool.push(h);
  }

  /**
   * Grows a tree on the first `nRows` entries of `rows` (the caller fills them, ascending),
   * splitting only on `features` (ascending), fitting output `output`'s gradients and
   * hessians (the source's arrays; `g`, `h` are that output's slices of them).
   */
  grow(
    g: Float64Array,
    h: Float64Array,
    output: number,
    nRows: number,
    features: Int32Array,
    s: GrowSettings,
  ): GrownTree {
    this.output = output;
    const nodes: Node[] = [];
    const gain = new Float64Array(this.data.nFeatures);
    let G = 0;
    let H = 0;
    for (let i = 0; i < nRows; i++) {
      const r = this.rows[i];
      G += g[r];
      H += s.constantHessian ? 1 : h[r];
    }
    nodes.push(this.node(0, nRows, 0, G, H, nRows));
    const candidates: number[] = [];
    this.prepare(nodes[0], features, s, candidates, 0);
    let leaves = 1;
    while (leaves < s.maxLeaves && candidates.length > 0) {
      let pick = 0;
      for (let i = 1; i < candidates.length; i++) {
        const a = nodes[candidates[i]].split!.gain;
        const b = nodes[candidates[pick]].split!.gain;
        if (a > b || (a === b && candidates[i] < candidates[pick])) pick = i;
      }
      const id = candidates[pick];
      candidates.splice(pick, 1);
      leaves++;
      this.split(nodes, id, features, s, candidates, leaves >= s.maxLeaves);
    }
    for (const id of candidates) {
      this.release(nodes[id].hist);
      nodes[id].hist = null;
    }
    return this.finish(nodes, gain, s);
  }

  private node(start: number, end: number, depth: number, g: number, h: number, c: number): Node {
    return {
      start,
      end,
      depth,
      g,
      h,
      c,
      hist: null,
      split: null,
      leftChild: -1,
      rightChild: -1,
    };
  }

  private splittable(n: Node, s: GrowSettings): boolean {
    return n.depth < s.maxDepth && n.c >= 2 * s.minSamplesLeaf && n.h >= 2 * MIN_HESSIAN;
  }

  /** Builds the node's histograms (unless given) and its best split; a candidate if it gains. */
  private prepare(
    n: Node,
    features: Int32Array,
    s: GrowSettings,
    candidates: number[],
    id: number,
    hist: Float64Array | null = null,
  ): void {
    if (!this.splittable(n, s)) {
      this.release(hist);
      return;
    }
    if (!hist) {
      hist = this.acquire();
      this.build(hist, n, features, s);
    }
    const best = this.bestSplit(hist, n, features, s);
    if (best === null) {
      this.release(hist);
      return;
    }
    n.hist = hist;
    n.split = best;
    candidates.push(id);
  }

  private build(hist: Float64Array, n: Node, features: Int32Array, s: GrowSettings): void {
    this.source.build(hist, n.start, n.end, features, s.constantHessian, this.output);
  }

  private bestSplit(
    hist: Float64Array,
    n: Node,
    features: Int32Array,
    s: GrowSettings,
  ): Split | null {
    const { nValueBins } = this.data;
    const lambda = s.l2;
    const msl = s.minSamplesLeaf;
    const constH = s.constantHessian;
    const parent = (n.g * n.g) / (n.h + lambda);
    // the best split so far in scalars: no object per improvement (garbage per node)
    let bestGain = 0;
    let bf = -1;
    let bb = 0;
    let bml = false;
    let bgl = 0;
    let bhl = 0;
    let bcl = 0;
    for (let k = 0; k < features.length; k++) {
      const f = features[k];
      const nb = nValueBins[f];
      const o = 3 * f * BINS;
      const m3 = o + 3 * nb;
      const gm = hist[m3];
      const cm = hist[m3 + 1];
      const hm = constH ? cm : hist[m3 + 2];
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < nb; b++) {
        const e = o + 3 * b;
        const cb = hist[e + 1];
        gl += hist[e];
        cl += cb;
        hl += constH ? cb : hist[e + 2];
        // an empty bin moves no row: its candidates are the previous bin's partitions (which
        // win ties), differing only by the rounding left in a subtracted histogram's empty
        // bin, so they are not scored (on small nodes most bins are empty)
        if (cb === 0 && b > 0) continue;
        if (n.c - cl < msl) break;
        if (b === nb - 1 && cm === 0) break;
        // missing rows right (for the last bin: all values left, missing right)
        if (cl >= msl) {
          const hr = n.h - hl;
          if (hl >= MIN_HESSIAN && hr >= MIN_HESSIAN) {
            const gr = n.g - gl;
            const v = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
            if (v > bestGain) {
              bestGain = v;
              bf = f;
              bb = b;
              bml = false;
              bgl = gl;
              bhl = hl;
              bcl = cl;
            }
          }
        }
        if (cm > 0 && b < nb - 1) {
          const cl2 = cl + cm;
          const hl2 = hl + hm;
          const hr = n.h - hl2;
          if (cl2 >= msl && n.c - cl2 >= msl && hl2 >= MIN_HESSIAN && hr >= MIN_HESSIAN) {
            const gl2 = gl + gm;
            const gr = n.g - gl2;
            const v = (gl2 * gl2) / (hl2 + lambda) + (gr * gr) / (hr + lambda) - parent;
            if (v > bestGain) {
              bestGain = v;
              bf = f;
              bb = b;
              bml = true;
              bgl = gl2;
              bhl = hl2;
              bcl = cl2;
            }
          }
        }
      }
    }
    if (bf < 0) return null;
    const best: Split = {
      gain: bestGain,
      feature: bf,
      bin: bb,
      missingLeft: bml,
      gl: bgl,
      hl: bhl,
      cl: bcl,
    };
    if (hist[3 * (best.feature * BINS + nValueBins[best.feature]) + 1] === 0) {
      // no missing value reached this node: send it where most rows went, as scikit-learn does
      best.missingLeft = best.cl > n.c - best.cl;
    }
    return best;
  }

  private split(
    nodes: Node[],
    id: number,
    features: Int32Array,
    s: GrowSettings,
    candidates: number[],
    last: boolean,
  ): void {
    const n = nodes[id];
    const sp = n.split!;
    const mid = this.partition(n, sp);
    const left = this.node(n.start, mid, n.depth + 1, sp.gl, sp.hl, sp.cl);
    const right = this.node(mid, n.end, n.depth + 1, n.g - sp.gl, n.h - sp.hl, n.c - sp.cl);
    const li = nodes.length;
    nodes.push(left, right);
    n.leftChild = li;
    n.rightChild = li + 1;
    const parentHist = n.hist!;
    n.hist = null;
    // the tree's last split: its children stay leaves, so their histograms are never read
    const okL = !last && this.splittable(left, s);
    const okR = !last && this.splittable(right, s);
    if (okL && okR) {
      const [small, large, si, lg] =
        left.c <= right.c ? [left, right, li, li + 1] : [right, left, li + 1, li];
      const sh = this.acquire();
      this.build(sh, small, features, s);
      subtractInPlace(parentHist, sh, features, this.data.nValueBins);
      this.prepare(small, features, s, candidates, si, sh);
      this.prepare(large, features, s, candidates, lg, parentHist);
    } else {
      this.release(parentHist);
      if (okL) this.prepare(left, features, s, candidates, li);
      if (okR) this.prepare(right, features, s, candidates, li + 1);
    }
    // keep the candidate order by node id (ties go to the older node)
    candidates.sort((a, b) => a - b);
  }

  /** Stable in-place partition of the node's rows by the split's binned rule; the boundary. */
  private partition(n: Node, sp: Split): number {
    const { rows, scratch } = this;
    const { binned, nRows, nValueBins } = this.data;
    const col = sp.feature * nRows;
    const mbin = nValueBins[sp.feature];
    const bin = sp.bin;
    const ml = sp.missingLeft;
    let w = n.start;
    let k = 0;
    for (let i = n.start; i < n.end; i++) {
      const r = rows[i];
      const b = binned[col + r];
      if (b === mbin ? ml : b <= bin) rows[w++] = r;
      else scratch[k++] = r;
    }
    rows.set(scratch.subarray(0, k), w);
    return w;
  }

  private finish(nodes: Node[], gain: Float64Array, s: GrowSettings): GrownTree {
    const N = nodes.length;
    const { edges, edgeOffset, nValueBins } = this.data;
    const feature = new Int32Array(N);
    const threshold = new Float64Array(N);
    const bin = new Int32Array(N);
    const left = new Int32Array(N);
    const right = new Int32Array(N);
    const missingLeft = new Uint8Array(N);
    const cover = new Float64Array(N);
    const leafIds: number[] = [];
    for (let i = 0; i < N; i++) {
      const n = nodes[i];
      cover[i] = n.c;
      if (n.leftChild < 0) {
        feature[i] = -1;
        bin[i] = -1;
        left[i] = leafIds.length;
        right[i] = -1;
        leafIds.push(i);
        continue;
      }
      const sp = n.split!;
      feature[i] = sp.feature;
      bin[i] = sp.bin;
      threshold[i] =
        sp.bin < nValueBins[sp.feature] - 1
          ? edges[edgeOffset[sp.feature] + sp.bin]
          : Number.POSITIVE_INFINITY;
      left[i] = n.leftChild;
      right[i] = n.rightChild;
      missingLeft[i] = sp.missingLeft ? 1 : 0;
      gain[sp.feature] += sp.gain;
    }
    const L = leafIds.length;
    const values = new Float64Array(L);
    const leafStart = new Int32Array(L);
    const leafEnd = new Int32Array(L);
    for (let l = 0; l < L; l++) {
      const n = nodes[leafIds[l]];
      // scikit-learn adds 1e-15 so that a zero hessian sum gives 0, not NaN
      values[l] = (-s.learningRate * n.g) / (n.h + s.l2 + 1e-15);
      leafStart[l] = n.start;
      leafEnd[l] = n.end;
    }
    return {
      feature,
      threshold,
      bin,
      left,
      right,
      missingLeft,
      values,
      cover,
      leafStart,
      leafEnd,
      gain,
    };
  }
}

/** parent −= child over the given features' bins (the larger sibling's histograms). */
function subtractInPlace(
  parent: Float64Array,
  child: Float64Array,
  features: Int32Array,
  nValueBins: Int32Array,
): void {
  for (let k = 0; k < features.length; k++) {
    const f = features[k];
    const end = featureEnd(f, nValueBins[f]);
    for (let i = featureStart(f); i < end; i++) parent[i] -= child[i];
  }
}

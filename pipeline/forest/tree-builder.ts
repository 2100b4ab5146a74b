/**
 * Grows one CART tree of a random forest over pre-binned features. This is the hot loop of
 * Orchard's engine and is written for speed:
 *
 * - Rows are never copied. A bootstrap sample is a weight per row (how many times it was
 *   drawn, like scikit-learn's sample_weight). The rows of a node are a contiguous range of
 *   `idx`, with their weight and target alongside in `ordW`/`ordY`, so histogram loops read
 *   those sequentially. A split partitions the range stably in place (rows stay ascending, so
 *   reads of a binned column move forward through memory). Trees grow depth-first with an
 *   explicit stack; nothing is allocated per node.
 * - Split search (gini-split.ts, mse-split.ts) builds a histogram over the <= 256 bins of one
 *   candidate feature and scans it once. The histogram subtraction trick does not pay here:
 *   each node draws its own features, so a parent rarely has the histogram a child needs.
 *   Small nodes scan only the bins they touched (a bitmap gives them in order).
 * - Missing values (NaN) have their own bin; every boundary is scored with the missing rows
 *   left and right, and the better wins (also "all values vs missing"). A node that saw no
 *   missing value sends it to the child with more rows, ties right, as scikit-learn's trees do.
 * - Per node, features are drawn without replacement from the tree's stream (in a random
 *   order even when all are scored, so ties between features are broken at random), as
 *   scikit-learn's BestSplitter does: `maxFeatures` draws, constant features (in the node)
 *   counting as drawn; the draw goes on past `maxFeatures` only while every feature drawn so
 *   far was constant. So a node may become a leaf although an undrawn feature could split it,
 *   exactly as in scikit-learn. (scikit-learn also remembers the features found constant
 *   above a node so as not to re-sort them; that changes speed, not which features are drawn.)
 * - Stopping follows scikit-learn: a node is a leaf when pure, when it has fewer than 2 or
 *   2 * minSamplesLeaf distinct rows, at maxDepth, or when no feature has a valid boundary.
 *
 * A tree depends only on (data, settings, treeIndex): its stream is
 * createRng(deriveSeed(seed, treeIndex)) and all scratch state is reset per tree, so any
 * worker can grow any tree and the forest is identical whatever the worker count.
 */
import { createRng, deriveSeed, type Rng } from "../random.ts";
import { type BinnedFeatures, splitPoint } from "./binning.ts";
import { drawBootstrap } from "./bootstrap.ts";
import { GiniSplitSearch } from "./gini-split.ts";
import { MseSplitSearch } from "./mse-split.ts";
import type { SplitSearch } from "./split-search.ts";

/** Node capacity a builder starts with; it doubles as trees need more. */
const INITIAL_NODES = 4096;

export interface TreeTarget {
  /** 0 for regression. */
  nClasses: number;
  /** Class index per row, classification only. */
  codes: Int32Array | null;
  /** Value per row, regression only. */
  values: Float64Array | null;
}

export interface TreeSettings {
  /** Infinity when unlimited. */
  maxDepth: number;
  minSamplesLeaf: number;
  /** Resolved count of features per split, 1..nFeatures. */
  maxFeatures: number;
  bootstrap: boolean;
  /** The forest seed; tree i uses deriveSeed(seed, i). */
  seed: number;
}

/**
 * One grown tree as flat arrays. A node is a leaf when `feature` is -1; then `left` holds its
 * leaf index and the leaf's value(s) start at `values[leaf * valueSize]` (class frequencies,
 * or the mean). Internal nodes send x to `left` when `x <= threshold`, NaN by `missingLeft`.
 * Children always have larger indices than their parent.
 */
export interface GrownTree {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  missingLeft: Uint8Array;
  values: Float64Array;
  /** Unnormalized weighted impurity decrease per feature. */
  importance: Float64Array;
  /** Per training row, the leaf it lands in when out of bag, -1 when in bag; null without bootstrap. */
  oobLeaf: Int32Array | null;
}

/** The mean of `values`, summed in row order (every worker gets the same number). */
function meanOf(values: Float64Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return values.length > 0 ? s / values.length : 0;
}

export class TreeBuilder {
  private readonly data: BinnedFeatures;
  private readonly settings: TreeSettings;
  private readonly nRows: number;
  private readonly search: SplitSearch;
  private readonly yCodes: Int32Array | null;
  private readonly yValues: Float64Array | null;
  /** Regression: the training mean, subtracted from targets while growing (see mse-split.ts). */
  private readonly yOffset: number;

  // rows of the current tree, in node order
  private readonly weight: Int32Array;
  private readonly idx: Int32Array;
  private readonly ordW: Int32Array;
  private readonly ordY: Int32Array | Float64Array;
  private readonly tmpIdx: Int32Array;
  private readonly tmpW: Int32Array;
  private readonly tmpY: Int32Array | Float64Array;
  private readonly featOrder: Int32Array;

  // nodes of the current tree
  private stack: Int32Array;
  private nodeStart: Int32Array;
  private nodeEnd: Int32Array;
  private nodeDepth: Int32Array;
  private nodeStats: Float64Array;
  private feature: Int32Array;
  private threshold: Float64Array;
  private left: Int32Array;
  private right: Int32Array;
  private missingLeft: Uint8Array;
  private splitBin: Int32Array;
  private values: Float64Array;

  constructor(data: BinnedFeatures, target: TreeTarget, settings: TreeSettings) {
    const n = data.nRows;
    this.data = data;
    this.settings = settings;
    this.nRows = n;
    this.weight = new Int32Array(n);
    this.idx = new Int32Array(n);
    this.ordW = new Int32Array(n);
    this.tmpIdx = new Int32Array(n);
    this.tmpW = new Int32Array(n);
    const ctx = { data, minSamplesLeaf: settings.minSamplesLeaf, idx: this.idx, ordW: this.ordW };
    if (target.nClasses > 0) {
      const ordY = new Int32Array(n);
      this.ordY = ordY;
      this.tmpY = new Int32Array(n);
      this.search = new GiniSplitSearch(ctx, ordY, target.nClasses);
      this.yOffset = 0;
    } else {
      const ordY = new Float64Array(n);
      this.ordY = ordY;
      this.tmpY = new Float64Array(n);
      this.yOffset = meanOf(target.values!);
      this.search = new MseSplitSearch(ctx, ordY, this.yOffset);
    }
    this.yCodes = target.codes;
    this.yValues = target.values;
    this.featOrder = new Int32Array(data.nFeatures);
    const capacity = Math.min(2 * n + 1, INITIAL_NODES);
    this.stack = new Int32Array(capacity);
    this.nodeStart = new Int32Array(capacity);
    this.nodeEnd = new Int32Array(capacity);
    this.nodeDepth = new Int32Array(capacity);
    this.nodeStats = new Float64Array(capacity * this.search.statSize);
    this.feature = new Int32Array(capacity);
    this.threshold = new Float64Array(capacity);
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
    this.missingLeft = new Uint8Array(capacity);
    this.splitBin = new Int32Array(capacity);
    this.values = new Float64Array(capacity * this.search.valueSize);
  }

  /** Doubles the node arrays (kept across trees, so this happens a few times per builder). */
  private growNodes(): void {
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(
      a: T,
      make: (n: number) => T,
    ): T => {
      const b = make(a.length * 2);
      b.set(a as never);
      return b;
    };
    const i32 = (n: number) => new Int32Array(n);
    this.stack = grow(this.stack, i32);
    this.nodeStart = grow(this.nodeStart, i32);
    this.nodeEnd = grow(this.nodeEnd, i32);
    this.nodeDepth = grow(this.nodeDepth, i32);
    this.nodeStats = grow(this.nodeStats, (n) => new Float64Array(n));
    this.feature = grow(this.feature, i32);
    this.threshold = grow(this.threshold, (n) => new Float64Array(n));
    this.left = grow(this.left, i32);
    this.right = grow(this.right, i32);
    this.missingLeft = grow(this.missingLeft, (n) => new Uint8Array(n));
    this.splitBin = grow(this.splitBin, i32);
  }

  /** Grows tree `treeIndex` of the forest. */
  grow(treeIndex: number): GrownTree {
    const rng = createRng(deriveSeed(this.settings.seed, treeIndex));
    const nInBag = this.drawSample(rng);
    for (let f = 0; f < this.data.nFeatures; f++) this.featOrder[f] = f;
    const importance = new Float64Array(this.data.nFeatures);
    this.nodeStart[0] = 0;
    this.nodeEnd[0] = nInBag;
    this.nodeDepth[0] = 0;
    this.search.nodeStats(0, nInBag, this.nodeStats, 0);
    let nodeCount = 1;
    let leafCount = 0;
    let top = 0;
    this.stack[top++] = 0;
    while (top > 0) {
      const id = this.stack[--top];
      if (this.mustBeLeaf(id) || !this.findSplit(id, rng)) {
        leafCount = this.makeLeaf(id, leafCount);
        continue;
      }
      if (nodeCount + 2 > this.feature.length) this.growNodes();
      const l = nodeCount;
      const r = nodeCount + 1;
      nodeCount += 2;
      this.applySplit(id, l, r, importance);
      // left on top: its subtree is grown next, on a range that is still in cache
      this.stack[top++] = r;
      this.stack[top++] = l;
    }
    return {
      feature: this.feature.slice(0, nodeCount),
      threshold: this.threshold.slice(0, nodeCount),
      left: this.left.slice(0, nodeCount),
      right: this.right.slice(0, nodeCount),
      missingLeft: this.missingLeft.slice(0, nodeCount),
      values: this.values.slice(0, leafCount * this.search.valueSize),
      importance,
      oobLeaf: this.settings.bootstrap ? this.oobLeaves() : null,
    };
  }

  /** Fills `weight` and the node-order arrays; returns the number of distinct in-bag rows. */
  private drawSample(rng: Rng): number {
    const n = this.nRows;
    const w = this.weight;
    if (this.settings.bootstrap) {
      drawBootstrap(rng, w);
    } else {
      w.fill(1);
    }
    const { idx, ordW } = this;
    let m = 0;
    for (let r = 0; r < n; r++) {
      if (w[r] === 0) continue;
      idx[m] = r;
      ordW[m] = w[r];
      m++;
    }
    const src = (this.yCodes ?? this.yValues)!;
    const ordY = this.ordY;
    const offset = this.yOffset;
    for (let i = 0; i < m; i++) ordY[i] = src[idx[i]] - offset;
    return m;
  }

  private mustBeLeaf(id: number): boolean {
    const n = this.nodeEnd[id] - this.nodeStart[id];
    if (n < 2 || n < 2 * this.settings.minSamplesLeaf) return true;
    if (this.nodeDepth[id] >= this.settings.maxDepth) return true;
    return this.search.isPure(this.nodeStats, id * this.search.statSize);
  }

  private makeLeaf(id: number, leafCount: number): number {
    const V = this.search.valueSize;
    if ((leafCount + 1) * V > this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.search.leafValue(this.nodeStats, id * this.search.statSize, this.values, leafCount * V);
    this.feature[id] = -1;
    this.threshold[id] = 0;
    this.left[id] = leafCount;
    this.right[id] = -1;
    this.missingLeft[id] = 0;
    return leafCount + 1;
  }

  /** Scores candidate features; true when a valid split was found (kept by the search). */
  private findSplit(id: number, rng: Rng): boolean {
    const F = this.data.nFeatures;
    const maxF = this.settings.maxFeatures;
    const order = this.featOrder;
    const start = this.nodeStart[id];
    const end = this.nodeEnd[id];
    const soff = id * this.search.statSize;
    const search = this.search;
    search.reset();
    // scikit-learn's BestSplitter: every drawn feature counts towards maxFeatures, constant
    // ones included; only while every feature drawn so far was constant does the draw go on.
    let visited = 0;
    let nonConstant = 0;
    for (let j = 0; j < F && (visited < maxF || nonConstant === 0); j++) {
      // drawn even when every feature is scored: the first best feature wins a tie, so a
      // fixed order would give every tie to the lowest-numbered of identical columns
      const k = j + Math.floor(rng() * (F - j));
      const t = order[j];
      order[j] = order[k];
      order[k] = t;
      visited++;
      if (search.scoreFeature(order[j], start, end, this.nodeStats, soff)) nonConstant++;
    }
    return search.bestFeature >= 0;
  }

  /** Stably partitions the node's rows by the best split and records both children. */
  private applySplit(id: number, l: number, r: number, importance: Float64Array): void {
    const search = this.search;
    const f = search.bestFeature;
    const b = search.bestBin;
    const missBin = this.data.nValueBins[f];
    const missLeft = search.bestMissingLeft === 1;
    const start = this.nodeStart[id];
    const end = this.nodeEnd[id];
    const { idx, ordW, ordY, tmpIdx, tmpW, tmpY } = this;
    const bins = this.data.binned;
    const base = f * this.nRows;
    let mid = start;
    let t = 0;
    let sawMissing = false;
    let nextBin = missBin; // the lowest value bin the right child holds
    for (let i = start; i < end; i++) {
      const row = idx[i];
      const x = bins[base + row];
      if (x === missBin) sawMissing = true;
      else if (x > b && x < nextBin) nextBin = x;
      if (x === missBin ? missLeft : x <= b) {
        idx[mid] = row;
        ordW[mid] = ordW[i];
        ordY[mid] = ordY[i];
        mid++;
      } else {
        tmpIdx[t] = row;
        tmpW[t] = ordW[i];
        tmpY[t] = ordY[i];
        t++;
      }
    }
    for (let k = 0; k < t; k++) {
      idx[mid + k] = tmpIdx[k];
      ordW[mid + k] = tmpW[k];
      ordY[mid + k] = tmpY[k];
    }

    const S = search.statSize;
    const s = this.nodeStats;
    const bl = search.bestLeft;
    const po = id * S;
    const lo = l * S;
    const ro = r * S;
    for (let k = 0; k < S; k++) {
      s[lo + k] = bl[k];
      s[ro + k] = s[po + k] - bl[k];
    }
    const WL = search.weight(s, lo);
    const WR = search.weight(s, ro);
    importance[f] +=
      search.weight(s, po) * search.impurity(s, po) -
      WL * search.impurity(s, lo) -
      WR * search.impurity(s, ro);

    this.feature[id] = f;
    this.placeThreshold(id, f, b, nextBin);
    this.left[id] = l;
    this.right[id] = r;
    // unseen missing values follow the child with more (distinct in-bag) rows, ties right:
    // scikit-learn's `missing_go_to_left = n_left > n_right`, which counts samples, not weight
    this.missingLeft[id] = sawMissing ? search.bestMissingLeft : mid - start > end - mid ? 1 : 0;
    this.nodeStart[l] = start;
    this.nodeEnd[l] = mid;
    this.nodeStart[r] = mid;
    this.nodeEnd[r] = end;
    this.nodeDepth[l] = this.nodeDepth[id] + 1;
    this.nodeDepth[r] = this.nodeDepth[id] + 1;
  }

  /**
   * The threshold of a split of feature f after bin b, whose right child's lowest bin is
   * `next`: midway between the highest value at or below bin b and the lowest value of bin
   * `next`, as scikit-learn splits midway between the node's adjacent values. The edge of bin
   * b would do for the node's rows, but would send every unseen value in the bins between to
   * the right. When the midpoint falls inside a bin of several values, that bin's upper edge
   * is used, so that a bin never straddles the threshold and `splitBin` (the last bin sent
   * left) routes binned rows exactly as the threshold routes raw values.
   */
  private placeThreshold(id: number, f: number, b: number, next: number): void {
    const { edges, edgeOffset, binLow, binHigh } = this.data;
    const missBin = this.data.nValueBins[f];
    if (b >= missBin - 1 || next >= missBin) {
      // the last value bin has no upper edge: only "all values vs missing" splits after it
      this.threshold[id] = b < missBin - 1 ? edges[edgeOffset[f] + b] : Number.POSITIVE_INFINITY;
      this.splitBin[id] = b;
      return;
    }
    const at = edgeOffset[f] + f;
    let threshold = splitPoint(binHigh[at + b], binLow[at + next]);
    let last = b;
    for (let j = b + 1; j < next; j++) {
      if (binHigh[at + j] <= threshold) last = j;
      else {
        if (binLow[at + j] <= threshold) {
          threshold = edges[edgeOffset[f] + j];
          last = j;
        }
        break;
      }
    }
    this.threshold[id] = threshold;
    this.splitBin[id] = last;
  }

  /** The leaf of every out-of-bag row, walking the tree on bins (same result as raw values). */
  private oobLeaves(): Int32Array {
    const n = this.nRows;
    const out = new Int32Array(n);
    const w = this.weight;
    const bins = this.data.binned;
    const nValueBins = this.data.nValueBins;
    const { feature, left, right, missingLeft, splitBin } = this;
    for (let r = 0; r < n; r++) {
      if (w[r] > 0) {
        out[r] = -1;
        continue;
      }
      let node = 0;
      let f = feature[0];
      while (f >= 0) {
        const b = bins[f * n + r];
        const goLeft = b === nValueBins[f] ? missingLeft[node] === 1 : b <= splitBin[node];
        node = goLeft ? left[node] : right[node];
        f = feature[node];
      }
      out[r] = left[node];
    }
    return out;
  }
}

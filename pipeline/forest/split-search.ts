/**
 * What the tree builder needs from a split criterion (Gini for classification, MSE for
 * regression), and the pieces both criteria share.
 *
 * A search scores one feature at a time over the node's rows `[start, end)` of the builder's
 * node-ordered arrays: `idx` (row numbers), `ordW` (bootstrap weight, >= 1) and `ordY`
 * (class index or value). It keeps the best boundary seen since `reset()`.
 *
 * Histograms are indexed by bin. For nodes up to BITMAP_NODE rows the search also sets one bit
 * per touched bin and walks only those bins (in ascending order, from the bitmap) when
 * scoring and clearing, instead of all 256: this is the small-node path. When
 * minSamplesLeaf is 1 no row count is kept: weights are >= 1, so "side not empty" is
 * "side weight > 0" and counting would cost an extra random increment per row.
 */
import type { BinnedFeatures } from "./binning.ts";

/** Nodes with at most this many rows scan only the bins they touched. */
export const BITMAP_NODE = 1024;

export interface SearchContext {
  data: BinnedFeatures;
  minSamplesLeaf: number;
  idx: Int32Array;
  ordW: Int32Array;
}

export interface SplitSearch {
  /** Statistics per node: class weights then total weight, or W, sum, sum of squares. */
  readonly statSize: number;
  /** Values per leaf: class frequencies, or the mean. */
  readonly valueSize: number;
  readonly bestLeft: Float64Array;
  bestFeature: number;
  bestBin: number;
  bestMissingLeft: number;
  reset(): void;
  nodeStats(start: number, end: number, s: Float64Array, off: number): void;
  /** Scores feature f; false when it is constant in the node. */
  scoreFeature(f: number, start: number, end: number, s: Float64Array, off: number): boolean;
  impurity(s: Float64Array, off: number): number;
  isPure(s: Float64Array, off: number): boolean;
  leafValue(s: Float64Array, off: number, out: Float64Array, outOff: number): void;
  /** Total weight of the statistics at off. */
  weight(s: Float64Array, off: number): number;
}

/**
 * Writes the touched value bins recorded in `bits` to `nz` in ascending order, skipping the
 * missing bin, clears the bitmap and returns how many there are.
 */
export function binsFromBitmap(bits: Int32Array, missBin: number, nz: Int32Array): number {
  let m = 0;
  for (let w = 0; w < 8; w++) {
    let x = bits[w];
    if (x === 0) continue;
    bits[w] = 0;
    while (x !== 0) {
      const low = x & -x;
      const b = (w << 5) | (31 - Math.clz32(low));
      x ^= low;
      if (b !== missBin) nz[m++] = b;
    }
  }
  return m;
}

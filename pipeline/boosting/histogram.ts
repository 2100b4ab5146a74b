/**
 * Gradient histograms of a node: per feature, per bin, the sums of gradients and hessians and
 * the row count, interleaved (`STRIDE` values per bin, `BINS` bins per feature, so a
 * feature's histogram starts at `f * BINS * STRIDE` whatever its bin count).
 *
 * A `HistogramSource` sums them over a node's range of `rows`, reading the node's gradients
 * gathered in row-range order (`gOrd`, `hOrd`). The in-thread source is below; the threaded
 * one (parallel-histogram.ts) splits the features over worker threads.
 */
import type { BinnedFeatures } from "../forest/binning.ts";

export const BINS = 256;
/** gradient sum, hessian sum, row count. */
export const STRIDE = 3;

export interface HistogramSource {
  /** Row indices of the nodes (see grow-tree.ts); shared with workers when threaded. */
  readonly rows: Int32Array;
  readonly gOrd: Float64Array;
  readonly hOrd: Float64Array;
  /** Sums `hist` for `features` over rows[start..end); other features' entries are left as they are. */
  build(
    hist: Float64Array,
    start: number,
    end: number,
    features: Int32Array,
    constantHessian: boolean,
  ): void;
  close(): Promise<void>;
}

/**
 * Sums the histograms of `features[k0..k1)` into `hist`. With a constant hessian the hessian
 * slot is left 0 (the count stands for it), which saves one scattered add per row and feature.
 */
export function sumHistograms(
  data: BinnedFeatures,
  rows: Int32Array,
  gOrd: Float64Array,
  hOrd: Float64Array,
  hist: Float64Array,
  start: number,
  end: number,
  features: Int32Array,
  k0: number,
  k1: number,
  constantHessian: boolean,
): void {
  const { binned, nRows, nValueBins } = data;
  const w = BINS * STRIDE;
  for (let k = k0; k < k1; k++) {
    const f = features[k];
    const o = f * w;
    // only the feature's own bins (values and missing) are ever read
    hist.fill(0, o, o + (nValueBins[f] + 1) * STRIDE);
    const col = f * nRows;
    if (constantHessian) {
      for (let i = start; i < end; i++) {
        const b = o + binned[col + rows[i]] * STRIDE;
        hist[b] += gOrd[i];
        hist[b + 2] += 1;
      }
    } else {
      for (let i = start; i < end; i++) {
        const b = o + binned[col + rows[i]] * STRIDE;
        hist[b] += gOrd[i];
        hist[b + 1] += hOrd[i];
        hist[b + 2] += 1;
      }
    }
  }
}

export class LocalHistogramSource implements HistogramSource {
  readonly rows: Int32Array;
  readonly gOrd: Float64Array;
  readonly hOrd: Float64Array;

  constructor(private readonly data: BinnedFeatures) {
    this.rows = new Int32Array(data.nRows);
    this.gOrd = new Float64Array(data.nRows);
    this.hOrd = new Float64Array(data.nRows);
  }

  build(hist: Float64Array, start: number, end: number, features: Int32Array, constH: boolean) {
    sumHistograms(
      this.data,
      this.rows,
      this.gOrd,
      this.hOrd,
      hist,
      start,
      end,
      features,
      0,
      features.length,
      constH,
    );
  }

  async close(): Promise<void> {}
}

/**
 * Gini split search for classification (see split-search.ts for the shared design). A
 * boundary is scored by scikit-learn's proxy sum_c L_c²/W_L + sum_c R_c²/W_R (larger is
 * better; it orders splits like the weighted Gini decrease). Missing rows are tried on both
 * sides of every boundary, and alone on the right ("values vs missing").
 */
import {
  BITMAP_NODE,
  binsFromBitmap,
  type SearchContext,
  type SplitSearch,
} from "./split-search.ts";

export class GiniSplitSearch implements SplitSearch {
  readonly statSize: number;
  readonly valueSize: number;
  readonly bestLeft: Float64Array;
  bestFeature = -1;
  bestBin = 0;
  bestMissingLeft = 0;
  private bestProxy = Number.NEGATIVE_INFINITY;
  private readonly K: number;
  private readonly hw: Int32Array;
  private readonly cnt = new Int32Array(256);
  private readonly bits = new Int32Array(8);
  private readonly nz = new Int32Array(256);
  private readonly acc: Float64Array;

  constructor(
    private readonly ctx: SearchContext,
    private readonly ordY: Int32Array,
    nClasses: number,
  ) {
    this.K = nClasses;
    this.statSize = nClasses + 1;
    this.valueSize = nClasses;
    this.hw = new Int32Array(256 * nClasses);
    this.acc = new Float64Array(nClasses);
    this.bestLeft = new Float64Array(nClasses + 1);
  }

  reset(): void {
    this.bestFeature = -1;
    this.bestProxy = Number.NEGATIVE_INFINITY;
  }

  nodeStats(start: number, end: number, s: Float64Array, off: number): void {
    const K = this.K;
    const ow = this.ctx.ordW;
    const oy = this.ordY;
    s.fill(0, off, off + K + 1);
    let W = 0;
    for (let i = start; i < end; i++) {
      s[off + oy[i]] += ow[i];
      W += ow[i];
    }
    s[off + K] = W;
  }

  weight(s: Float64Array, off: number): number {
    return s[off + this.K];
  }

  impurity(s: Float64Array, off: number): number {
    const K = this.K;
    const W = s[off + K];
    if (W <= 0) return 0;
    let sq = 0;
    for (let c = 0; c < K; c++) sq += s[off + c] * s[off + c];
    return 1 - sq / (W * W);
  }

  isPure(s: Float64Array, off: number): boolean {
    const W = s[off + this.K];
    for (let c = 0; c < this.K; c++) if (s[off + c] === W) return true;
    return false;
  }

  leafValue(s: Float64Array, off: number, out: Float64Array, outOff: number): void {
    const W = s[off + this.K];
    for (let c = 0; c < this.K; c++) out[outOff + c] = s[off + c] / W;
  }

  scoreFeature(f: number, start: number, end: number, s: Float64Array, soff: number): boolean {
    const K = this.K;
    const { data, idx, ordW: ow, minSamplesLeaf } = this.ctx;
    const oy = this.ordY;
    const bins = data.binned;
    const base = f * data.nRows;
    const hw = this.hw;
    const cnt = this.cnt;
    const bits = this.bits;
    const missBin = data.nValueBins[f];
    const counting = minSamplesLeaf > 1;
    const useBits = end - start <= BITMAP_NODE;

    if (counting) {
      for (let i = start; i < end; i++) {
        const b = bins[base + idx[i]];
        bits[b >> 5] |= 1 << (b & 31);
        cnt[b]++;
        hw[b * K + oy[i]] += ow[i];
      }
    } else if (K === 2 && useBits) {
      for (let i = start; i < end; i++) {
        const b = bins[base + idx[i]];
        bits[b >> 5] |= 1 << (b & 31);
        hw[(b << 1) | oy[i]] += ow[i];
      }
    } else if (K === 2) {
      for (let i = start; i < end; i++) hw[(bins[base + idx[i]] << 1) | oy[i]] += ow[i];
    } else {
      for (let i = start; i < end; i++) {
        const b = bins[base + idx[i]];
        bits[b >> 5] |= 1 << (b & 31);
        hw[b * K + oy[i]] += ow[i];
      }
    }

    // the non-empty value bins, ascending
    const nz = this.nz;
    let m = 0;
    if (useBits || counting || K !== 2) {
      m = binsFromBitmap(bits, missBin, nz);
    } else {
      for (let b = 0; b < missBin; b++) if (hw[b << 1] + hw[(b << 1) | 1] > 0) nz[m++] = b;
    }

    if (K === 2 && !counting) {
      this.scoreBinary(f, m, s, soff, missBin);
    } else {
      this.scoreGeneric(f, m, s, soff, missBin, end - start);
    }
    const mOff = missBin * K;
    let WM = 0;
    for (let c = 0; c < K; c++) WM += hw[mOff + c];

    if (useBits || counting || K !== 2) {
      for (let k = 0; k < m; k++) {
        const b = nz[k];
        cnt[b] = 0;
        for (let c = 0; c < K; c++) hw[b * K + c] = 0;
      }
      cnt[missBin] = 0;
      for (let c = 0; c < K; c++) hw[mOff + c] = 0;
    } else {
      hw.fill(0, 0, (missBin + 1) * K);
    }
    return m > 1 || (m === 1 && WM > 0);
  }

  /**
   * The common case in one tight loop: two classes, minSamplesLeaf 1 (so every boundary
   * between non-empty bins is valid and no row counts are needed).
   */
  private scoreBinary(f: number, m: number, s: Float64Array, soff: number, missBin: number): void {
    const hw = this.hw;
    const nz = this.nz;
    const T0 = s[soff];
    const T1 = s[soff + 1];
    const W = T0 + T1;
    const M0 = hw[missBin << 1];
    const M1 = hw[(missBin << 1) | 1];
    const WM = M0 + M1;
    let best = this.bestProxy;
    let L0 = 0;
    let L1 = 0;
    for (let k = 0; k < m; k++) {
      if (k > 0) {
        const WL = L0 + L1;
        const R0 = T0 - L0;
        const R1 = T1 - L1;
        const proxy = (L0 * L0 + L1 * L1) / WL + (R0 * R0 + R1 * R1) / (W - WL);
        if (proxy > best) {
          best = proxy;
          this.keepBinary(f, nz[k - 1], 0, proxy, L0, L1);
        }
        if (WM > 0) {
          const A0 = L0 + M0;
          const A1 = L1 + M1;
          const B0 = T0 - A0;
          const B1 = T1 - A1;
          const WLm = A0 + A1;
          const proxyM = (A0 * A0 + A1 * A1) / WLm + (B0 * B0 + B1 * B1) / (W - WLm);
          if (proxyM > best) {
            best = proxyM;
            this.keepBinary(f, nz[k - 1], 1, proxyM, A0, A1);
          }
        }
      }
      const b = nz[k] << 1;
      L0 += hw[b];
      L1 += hw[b | 1];
    }
    if (WM > 0 && m > 0) {
      // all values left, missing right
      const proxy = (L0 * L0 + L1 * L1) / (L0 + L1) + (M0 * M0 + M1 * M1) / WM;
      if (proxy > best) this.keepBinary(f, missBin - 1, 0, proxy, L0, L1);
    }
  }

  private keepBinary(
    f: number,
    b: number,
    missingLeft: number,
    proxy: number,
    L0: number,
    L1: number,
  ): void {
    this.bestProxy = proxy;
    this.bestFeature = f;
    this.bestBin = b;
    this.bestMissingLeft = missingLeft;
    this.bestLeft[0] = L0;
    this.bestLeft[1] = L1;
    this.bestLeft[2] = L0 + L1;
  }

  /** Any number of classes, with row counts when minSamplesLeaf > 1. */
  private scoreGeneric(
    f: number,
    m: number,
    s: Float64Array,
    soff: number,
    missBin: number,
    rows: number,
  ): void {
    const K = this.K;
    const hw = this.hw;
    const cnt = this.cnt;
    const nz = this.nz;
    const counting = this.ctx.minSamplesLeaf > 1;
    const W = s[soff + K];
    // without counting, "rows" are measured in weight: both are >= 1 exactly when non-empty
    const n = counting ? rows : W;
    const mOff = missBin * K;
    let WM = 0;
    for (let c = 0; c < K; c++) WM += hw[mOff + c];
    const nMiss = counting ? cnt[missBin] : WM;
    const acc = this.acc;
    acc.fill(0);
    let nL = 0;
    let WL = 0;
    for (let k = 0; k < m; k++) {
      const b = nz[k];
      if (k > 0) this.scoreBoundary(f, nz[k - 1], soff, s, n, W, nL, WL, nMiss, WM, mOff);
      const bOff = b * K;
      let wb = 0;
      for (let c = 0; c < K; c++) {
        acc[c] += hw[bOff + c];
        wb += hw[bOff + c];
      }
      WL += wb;
      nL += counting ? cnt[b] : wb;
    }
    if (nMiss > 0 && m > 0) {
      // all values left, missing right
      this.scoreBoundary(f, missBin - 1, soff, s, n, W, nL, WL, 0, 0, mOff);
    }
  }

  /**
   * Scores the boundary after bin b, the left side's class weights being in `acc` (values
   * only): once with missing rows right and, when there are any, once with them left.
   */
  private scoreBoundary(
    f: number,
    b: number,
    soff: number,
    s: Float64Array,
    n: number,
    W: number,
    nL: number,
    WL: number,
    nMiss: number,
    WM: number,
    mOff: number,
  ): void {
    const K = this.K;
    const acc = this.acc;
    const hw = this.hw;
    const minLeaf = this.ctx.minSamplesLeaf;
    if (nL >= minLeaf && n - nL >= minLeaf) {
      let l2 = 0;
      let r2 = 0;
      for (let c = 0; c < K; c++) {
        const lc = acc[c];
        const rc = s[soff + c] - lc;
        l2 += lc * lc;
        r2 += rc * rc;
      }
      const proxy = l2 / WL + r2 / (W - WL);
      if (proxy > this.bestProxy) this.keep(f, b, 0, proxy, WL, mOff);
    }
    if (nMiss > 0) {
      const nLm = nL + nMiss;
      if (nLm >= minLeaf && n - nLm >= minLeaf) {
        let l2 = 0;
        let r2 = 0;
        for (let c = 0; c < K; c++) {
          const lc = acc[c] + hw[mOff + c];
          const rc = s[soff + c] - lc;
          l2 += lc * lc;
          r2 += rc * rc;
        }
        const WLm = WL + WM;
        const proxy = l2 / WLm + r2 / (W - WLm);
        if (proxy > this.bestProxy) this.keep(f, b, 1, proxy, WLm, mOff);
      }
    }
  }

  private keep(
    f: number,
    b: number,
    missingLeft: number,
    proxy: number,
    WL: number,
    mOff: number,
  ): void {
    const K = this.K;
    this.bestProxy = proxy;
    this.bestFeature = f;
    this.bestBin = b;
    this.bestMissingLeft = missingLeft;
    const bl = this.bestLeft;
    for (let c = 0; c < K; c++) bl[c] = this.acc[c] + (missingLeft ? this.hw[mOff + c] : 0);
    bl[K] = WL;
  }
}

/**
 * Squared-error split search for regression (see split-search.ts for the shared design). A
 * boundary is scored by scikit-learn's proxy S_L²/W_L + S_R²/W_R, with S the weighted sum of
 * targets. Missing rows are tried on both sides of every boundary, and alone on the right.
 *
 * Targets arrive centred (the tree builder subtracts the training mean, `offset`, and leaves
 * add it back): the node variance is computed as E[y²] - E[y]², whose rounding error grows
 * with E[y²], so an uncentred target such as an epoch timestamp (~1.7e9) would drown a
 * signal of a few units and make every node look pure.
 */
import {
  BITMAP_NODE,
  binsFromBitmap,
  type SearchContext,
  type SplitSearch,
} from "./split-search.ts";

/** Variance is E[y²] - E[y]², so its rounding error grows with E[y²] (of centred targets). */
const PURE_TOLERANCE = 16 * 2.220446049250313e-16;

export class MseSplitSearch implements SplitSearch {
  readonly statSize = 3;
  readonly valueSize = 1;
  readonly bestLeft = new Float64Array(3);
  bestFeature = -1;
  bestBin = 0;
  bestMissingLeft = 0;
  private bestProxy = Number.NEGATIVE_INFINITY;
  private readonly hw = new Float64Array(256);
  private readonly hs = new Float64Array(256);
  private readonly hss = new Float64Array(256);
  private readonly cnt = new Int32Array(256);
  private readonly bits = new Int32Array(8);
  private readonly nz = new Int32Array(256);

  constructor(
    private readonly ctx: SearchContext,
    private readonly ordY: Float64Array,
    /** Added back to every leaf mean: the value subtracted from the targets in ordY. */
    private readonly offset = 0,
  ) {}

  reset(): void {
    this.bestFeature = -1;
    this.bestProxy = Number.NEGATIVE_INFINITY;
  }

  nodeStats(start: number, end: number, s: Float64Array, off: number): void {
    const ow = this.ctx.ordW;
    const oy = this.ordY;
    let W = 0;
    let S = 0;
    let SS = 0;
    for (let i = start; i < end; i++) {
      const w = ow[i];
      const v = oy[i];
      W += w;
      S += w * v;
      SS += w * v * v;
    }
    s[off] = W;
    s[off + 1] = S;
    s[off + 2] = SS;
  }

  weight(s: Float64Array, off: number): number {
    return s[off];
  }

  impurity(s: Float64Array, off: number): number {
    const W = s[off];
    if (W <= 0) return 0;
    const mean = s[off + 1] / W;
    return Math.max(s[off + 2] / W - mean * mean, 0);
  }

  isPure(s: Float64Array, off: number): boolean {
    return this.impurity(s, off) <= PURE_TOLERANCE * Math.max(1, s[off + 2] / s[off]);
  }

  leafValue(s: Float64Array, off: number, out: Float64Array, outOff: number): void {
    out[outOff] = s[off + 1] / s[off] + this.offset;
  }

  scoreFeature(f: number, start: number, end: number, s: Float64Array, soff: number): boolean {
    const { data, idx, ordW: ow, minSamplesLeaf } = this.ctx;
    const oy = this.ordY;
    const bins = data.binned;
    const base = f * data.nRows;
    const { hw, hs, hss, cnt, bits } = this;
    const missBin = data.nValueBins[f];
    const counting = minSamplesLeaf > 1;
    const useBits = end - start <= BITMAP_NODE;
    for (let i = start; i < end; i++) {
      const b = bins[base + idx[i]];
      if (useBits) bits[b >> 5] |= 1 << (b & 31);
      if (counting) cnt[b]++;
      const w = ow[i];
      const v = oy[i];
      hw[b] += w;
      hs[b] += w * v;
      hss[b] += w * v * v;
    }
    const nz = this.nz;
    let m = 0;
    if (useBits) m = binsFromBitmap(bits, missBin, nz);
    else for (let b = 0; b < missBin; b++) if (hw[b] > 0) nz[m++] = b;

    const W = s[soff];
    const S = s[soff + 1];
    const n = counting ? end - start : W;
    const minLeaf = minSamplesLeaf;
    const WM = hw[missBin];
    const SM = hs[missBin];
    const SSM = hss[missBin];
    const nMiss = counting ? cnt[missBin] : WM;
    let nL = 0;
    let WL = 0;
    let SL = 0;
    let SSL = 0;
    for (let k = 0; k < m; k++) {
      const b = nz[k];
      if (k > 0) {
        const prev = nz[k - 1];
        if (nL >= minLeaf && n - nL >= minLeaf) {
          const SR = S - SL;
          const proxy = (SL * SL) / WL + (SR * SR) / (W - WL);
          if (proxy > this.bestProxy) this.keep(f, prev, 0, proxy, WL, SL, SSL);
        }
        if (nMiss > 0 && nL + nMiss >= minLeaf && n - nL - nMiss >= minLeaf) {
          const SLm = SL + SM;
          const WLm = WL + WM;
          const SR = S - SLm;
          const proxy = (SLm * SLm) / WLm + (SR * SR) / (W - WLm);
          if (proxy > this.bestProxy) this.keep(f, prev, 1, proxy, WLm, SLm, SSL + SSM);
        }
      }
      nL += counting ? cnt[b] : hw[b];
      WL += hw[b];
      SL += hs[b];
      SSL += hss[b];
    }
    if (nMiss > 0 && m > 0 && nL >= minLeaf && nMiss >= minLeaf) {
      // all values left, missing right
      const SR = S - SL;
      const proxy = (SL * SL) / WL + (SR * SR) / (W - WL);
      if (proxy > this.bestProxy) this.keep(f, missBin - 1, 0, proxy, WL, SL, SSL);
    }

    if (useBits) {
      for (let k = 0; k < m; k++) {
        const b = nz[k];
        cnt[b] = 0;
        hw[b] = 0;
        hs[b] = 0;
        hss[b] = 0;
      }
      cnt[missBin] = 0;
      hw[missBin] = 0;
      hs[missBin] = 0;
      hss[missBin] = 0;
    } else {
      cnt.fill(0, 0, missBin + 1);
      hw.fill(0, 0, missBin + 1);
      hs.fill(0, 0, missBin + 1);
      hss.fill(0, 0, missBin + 1);
    }
    return m > 1 || (m === 1 && nMiss > 0);
  }

  private keep(
    f: number,
    b: number,
    missingLeft: number,
    proxy: number,
    WL: number,
    SL: number,
    SSL: number,
  ): void {
    this.bestProxy = proxy;
    this.bestFeature = f;
    this.bestBin = b;
    this.bestMissingLeft = missingLeft;
    this.bestLeft[0] = WL;
    this.bestLeft[1] = SL;
    this.bestLeft[2] = SSL;
  }
}

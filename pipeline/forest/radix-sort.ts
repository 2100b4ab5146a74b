/**
 * Ascending LSD radix sort of NaN-free doubles, several times faster than
 * Float64Array.prototype.sort on Node 20. Each double's bits become a 64-bit key whose
 * unsigned order is numeric order (flip all bits of negatives, only the sign bit of the rest);
 * eight stable byte passes sort the (hi, lo) word pairs, skipping any byte that is the same
 * in every key (common in exponents). Byte digits keep the scatter within 256 write streams,
 * which caches handle well. -0 sorts before +0. An optional `payload` (e.g. row numbers) is
 * permuted along with the values.
 */
export function sortFloat64(values: Float64Array, payload?: Int32Array): Float64Array {
  const n = values.length;
  if (n < 2) return values;
  let pay = payload ? payload.slice(0, n) : null;
  let pay2 = payload ? new Int32Array(n) : null;
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  const count = new Int32Array(8 * 256);
  for (let i = 0; i < n; i++) {
    let l = words[2 * i];
    let h = words[2 * i + 1];
    if (h & 0x80000000) {
      l = ~l >>> 0;
      h = ~h >>> 0;
    } else {
      h = (h | 0x80000000) >>> 0;
    }
    lo[i] = l;
    hi[i] = h;
    count[l & 0xff]++;
    count[256 + ((l >>> 8) & 0xff)]++;
    count[512 + ((l >>> 16) & 0xff)]++;
    count[768 + (l >>> 24)]++;
    count[1024 + (h & 0xff)]++;
    count[1280 + ((h >>> 8) & 0xff)]++;
    count[1536 + ((h >>> 16) & 0xff)]++;
    count[1792 + (h >>> 24)]++;
  }
  let lo2 = new Uint32Array(n);
  let hi2 = new Uint32Array(n);
  for (let pass = 0; pass < 8; pass++) {
    const co = pass * 256;
    const shift = (pass & 3) * 8;
    const key = pass < 4 ? lo : hi;
    if (count[co + ((key[0] >>> shift) & 0xff)] === n) continue;
    let sum = 0;
    for (let d = 0; d < 256; d++) {
      const c = count[co + d];
      count[co + d] = sum;
      sum += c;
    }
    if (pay && pay2) {
      for (let i = 0; i < n; i++) {
        const pos = count[co + ((key[i] >>> shift) & 0xff)]++;
        lo2[pos] = lo[i];
        hi2[pos] = hi[i];
        pay2[pos] = pay[i];
      }
      const tp = pay;
      pay = pay2;
      pay2 = tp;
    } else {
      for (let i = 0; i < n; i++) {
        const pos = count[co + ((key[i] >>> shift) & 0xff)]++;
        lo2[pos] = lo[i];
        hi2[pos] = hi[i];
      }
    }
    const tl = lo;
    lo = lo2;
    lo2 = tl;
    const th = hi;
    hi = hi2;
    hi2 = th;
  }
  for (let i = 0; i < n; i++) {
    const h = hi[i];
    if (h & 0x80000000) {
      words[2 * i] = lo[i];
      words[2 * i + 1] = h & 0x7fffffff;
    } else {
      words[2 * i] = ~lo[i] >>> 0;
      words[2 * i + 1] = ~h >>> 0;
    }
  }
  if (payload && pay) payload.set(pay);
  return values;
}

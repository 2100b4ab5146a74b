/**
 * Seeded row samples for the parts of the report that would otherwise grow with the data
 * (explanations, the data profile): k of n row indices, each subset equally likely, in
 * ascending order, the same for the same seed. Selection sampling (Knuth's Algorithm S) needs
 * one pass and no index array of n entries.
 */
import { createRng, deriveSeed } from "../random.ts";

/** Streams of the spec seed, so each sample is independent of the other random choices. */
export const EXPLAIN_SAMPLE_STREAM = 0x5e1ec7;
export const PROFILE_SAMPLE_STREAM = 0x9f0f11e;

/** `k` of the indices 0..n-1 (all of them when k >= n), ascending. */
export function seededSample(n: number, k: number, seed: number, stream: number): Int32Array {
  if (k >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const rng = createRng(deriveSeed(seed, stream));
  const out = new Int32Array(k);
  let chosen = 0;
  for (let i = 0; i < n && chosen < k; i++) {
    if (rng() * (n - i) < k - chosen) out[chosen++] = i;
  }
  return out;
}

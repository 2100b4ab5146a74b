/**
 * The bootstrap sample of a tree, in one place: the tree builder draws it to grow the tree,
 * and TreeSHAP's cover (pipeline/explain) redraws it to weigh each node by the in-bag rows
 * that reached it, as shap's TreeExplainer does with scikit-learn's per-node sample weights.
 *
 * Tree t of a forest with seed s starts its stream at createRng(deriveSeed(s, t)); the first
 * n draws of that stream pick the n bootstrap rows (with replacement). The builder goes on
 * drawing features from the same stream, so the draw must stay first and unchanged.
 */
import { createRng, deriveSeed, type Rng } from "../random.ts";

/** Fills `counts` (one per training row) with how often each row is drawn from `rng`. */
export function drawBootstrap(rng: Rng, counts: Int32Array): void {
  const n = counts.length;
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[Math.floor(rng() * n)]++;
}

/** Tree `treeIndex`'s in-bag count per training row, for a forest seeded with `seed`. */
export function bootstrapCounts(seed: number, treeIndex: number, counts: Int32Array): void {
  drawBootstrap(createRng(deriveSeed(seed >>> 0, treeIndex)), counts);
}

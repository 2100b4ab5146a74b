/**
 * The one reading of `model.maxFeatures` every engine should share, so that `0.5`, `1` and `3`
 * mean the same thing whichever engine trains the forest.
 */

import type { MaxFeatures } from "./types.ts";

/**
 * How many features to try per split out of `featureCount` (≥ 1), always in [1, featureCount]:
 * `sqrt` → ⌊√n⌋, `log2` → ⌊log₂ n⌋, `all` → n, a value < 1 is a fraction → ⌊f·n⌋, an integer
 * ≥ 1 is a count (capped at n). Results below 1 become 1. `1` is one feature, as scikit-learn's
 * int 1: YAML and JSON cannot tell 1 from 1.0, and "all" already says every feature.
 */
export function resolveMaxFeatures(maxFeatures: MaxFeatures, featureCount: number): number {
  const n = Math.max(1, Math.floor(featureCount));
  let k: number;
  if (maxFeatures === "sqrt") k = Math.floor(Math.sqrt(n));
  else if (maxFeatures === "log2") k = Math.floor(Math.log2(n));
  else if (maxFeatures === "all") k = n;
  else if (maxFeatures < 1) k = Math.floor(maxFeatures * n);
  else k = Math.floor(maxFeatures);
  return Math.min(n, Math.max(1, k));
}

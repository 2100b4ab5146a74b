/**
 * One-hot encoding of a categorical column, fitted on train rows: one output column per train
 * level in sorted (code-point) order, like scikit-learn's OneHotEncoder with
 * `handle_unknown="ignore"`. A level never seen in train, or a missing value, encodes as all
 * zeros.
 *
 * `maxCategories: N` keeps the N most frequent train levels; when there are more than N
 * levels, the others share one trailing `<name>=__other__` column. This equals sklearn's
 * `max_categories=N + 1` (sklearn counts the infrequent column in its limit), including its
 * tie rule: among equally frequent levels, the later ones in sorted order are kept.
 */

import { compareCodePoints } from "./values.ts";

export const OTHER_LEVEL = "__other__";

export interface OneHotState {
  /** Levels with their own output column, sorted. */
  levels: string[];
  /** Train levels folded into the `__other__` column, sorted; empty when there is none. */
  infrequent: string[];
}

export function fitOneHot(values: readonly (string | null)[], maxCategories?: number): OneHotState {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  const sorted = [...counts.keys()].sort(compareCodePoints);
  if (maxCategories === undefined || sorted.length <= maxCategories) {
    return { levels: sorted, infrequent: [] };
  }
  // Stable ascending sort by count over sorted levels, keep the last N (sklearn's rule).
  const byCount = sorted
    .map((level, i) => ({ level, i, count: counts.get(level) ?? 0 }))
    .sort((a, b) => a.count - b.count || a.i - b.i);
  const cut = byCount.length - maxCategories;
  const infrequent = new Set(byCount.slice(0, cut).map((e) => e.level));
  return {
    levels: sorted.filter((l) => !infrequent.has(l)),
    infrequent: sorted.filter((l) => infrequent.has(l)),
  };
}

export function oneHotNames(name: string, state: OneHotState): string[] {
  const names = state.levels.map((l) => `${name}=${l}`);
  if (state.infrequent.length > 0) names.push(`${name}=${OTHER_LEVEL}`);
  return names;
}

/** Output column offset (within this feature's block) per level; unknown levels are absent. */
export function oneHotIndex(state: OneHotState): Map<string, number> {
  const index = new Map<string, number>();
  for (const [i, l] of state.levels.entries()) index.set(l, i);
  for (const l of state.infrequent) index.set(l, state.levels.length);
  return index;
}

export function oneHotWidth(state: OneHotState): number {
  return state.levels.length + (state.infrequent.length > 0 ? 1 : 0);
}

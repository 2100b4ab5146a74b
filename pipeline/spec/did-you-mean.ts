/**
 * "Did you mean …?" for unknown spec keys and column names: the closest allowed name by
 * Levenshtein distance, compared case- and separator-insensitively so that `max_depth`,
 * `MaxDepth` and `maxdepth` all find `maxDepth`.
 */

/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    prev = cur;
  }
  return prev[b.length];
}

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function normalize(s: string): string {
  return s.toLowerCase().replace(/[-_\s]/g, "");
}

/**
 * The allowed name closest to `input`, or undefined when none is close enough (distance at
 * most 2, or a third of the input's length for long names), else the candidate sharing the
 * longest stem with it (4+ characters, or all of a 3-character input). Ties go to the earlier
 * candidate.
 */
export function closestMatch(input: string, allowed: readonly string[]): string | undefined {
  const target = normalize(input);
  const limit = Math.max(2, Math.floor(target.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of allowed) {
    const d = levenshtein(target, normalize(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (bestDistance <= limit) return best;
  // Clipped or re-suffixed names ("iqr", "scaling", "numercal") are far by edit distance but
  // share a clear stem with the intended key: take the longest shared prefix.
  let stem: string | undefined;
  let stemLength = 0;
  for (const candidate of allowed) {
    const c = normalize(candidate);
    const n = commonPrefixLength(target, c);
    const enough = n >= 4 || (n >= 3 && n === target.length);
    if (enough && n > stemLength) {
      stem = candidate;
      stemLength = n;
    }
  }
  return stem;
}

/** ` Did you mean "x"?` or the empty string, ready to append to a message. */
export function didYouMean(input: string, allowed: readonly string[]): string {
  const match = closestMatch(input, allowed);
  return match === undefined ? "" : ` Did you mean "${match}"?`;
}

/**
 * Hold-out by a stable hash of each row's key, so that a row's side never changes as the data
 * grows: a row is a test row when a seeded hash of its key falls below `testFraction`, a
 * decision that reads only that row's key, the seed and the fraction. A model trained on an
 * earlier snapshot with the same seed and fraction therefore never trained on a row that is a
 * test row now, and Evaluate can tell, for any recorded seed and fraction, which of today's test
 * rows an older model may have trained on (see `hashTrainedOn`).
 *
 * The key is the entity id when the spec names an `id` column (all rows of one entity land on
 * the same side, a group split), else the row's content without the target (a relabelled row
 * keeps its side; an edited feature makes it a new row).
 *
 * How close this gets to the requested fraction and to stratification: every row is an
 * independent draw with probability `testFraction`, whatever its class, so each class's test
 * share has mean exactly `testFraction` and standard deviation sqrt(f(1-f)/n_c) for a class of
 * n_c rows (a 100-row class at f = 0.2: 20 ± 4 test rows; 10,000 rows: 2,000 ± 40). The test
 * size is not exactly ceil(n·f) as with a shuffled split. Exact per-class counts would need to
 * rank a class's rows against each other, and a rank moves when rows are added — which is the
 * leak this split exists to close. A small class can land wholly on one side; Preprocess then
 * names it (too few rows to cross-validate) rather than silently moving rows.
 */

import { InsufficientDataError } from "../errors.ts";
import { checkTestFraction, indicesWhere, type Split } from "./indices.ts";

/**
 * The scheme new splits are made with; bump when the key or the hash changes. Every scheme's
 * digests stay computable (`rowKeyDigests(…, scheme)`), and each split records its scheme.
 *
 * - 1: every key is a text (split-record.ts `rowKeys`): the id, or the JSON list of the row's
 *   cells with numbers as canonical text, hashed code unit by code unit.
 * - 2: id keys as in 1 (same digests, so an id-keyed champion of scheme 1 stays comparable);
 *   content keys hash the cells' binary form (`contentDigestsV2`), with no number-to-text
 *   work: about 10x faster on numeric data, a different split of the same rows.
 */
export const HASH_SPLIT_SCHEME = 2;

/** Schemes whose digests of a row are equal (id keys are hashed the same way in 1 and 2). */
export function sameDigests(a: number, b: number, keyKind: "id" | "content"): boolean {
  return a === b || (keyKind === "id" && a >= 1 && a <= 2 && b >= 1 && b <= 2);
}

/**
 * A seed-independent 64-bit digest per key (two uint32 words per row), stored with the
 * prepared dataset so any seed's assignment can be recomputed later: MurmurHash3 (x86, 32-bit)
 * of the key's UTF-16 code units, one code unit per block, under two fixed seeds. Not a
 * cryptographic hash (nothing here needs one) and about ten times faster than SHA-256 per row.
 */
export function keyDigests(keys: readonly string[]): Uint32Array {
  const out = new Uint32Array(keys.length * 2);
  for (let r = 0; r < keys.length; r++) keyDigestInto(out, r, keys[r]);
  return out;
}

/**
 * `keyDigests` of a key text given in pieces, without joining them: the two hash states take
 * each code unit in turn, and `digestInto` finalizes with the total length, as `murmur3` does.
 */
export class KeyDigester {
  private h1 = 0x5eed0001;
  private h2 = 0x5eed0002;
  private length = 0;

  add(text: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < text.length; i++) {
      let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51);
      k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
      h1 ^= k;
      h1 = (Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64) | 0;
      h2 ^= k;
      h2 = (Math.imul((h2 << 13) | (h2 >>> 19), 5) + 0xe6546b64) | 0;
    }
    this.h1 = h1;
    this.h2 = h2;
    this.length += text.length;
  }

  /** Writes row `r`'s two words and starts over for the next key. */
  digestInto(out: Uint32Array, r: number): void {
    out[2 * r] = fmix32(this.h1 ^ this.length);
    out[2 * r + 1] = fmix32(this.h2 ^ this.length);
    this.h1 = 0x5eed0001;
    this.h2 = 0x5eed0002;
    this.length = 0;
  }
}

/** Row `r`'s digest of `key` into `out` (as `keyDigests` does), for keys made one at a time. */
export function keyDigestInto(out: Uint32Array, r: number, key: string): void {
  out[2 * r] = murmur3(key, 0x5eed0001);
  out[2 * r + 1] = murmur3(key, 0x5eed0002);
}

function murmur3(key: string, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < key.length; i++) {
    let k = Math.imul(key.charCodeAt(i), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  return fmix32(h ^ key.length);
}

/**
 * Scheme 2's digest of a row given as 32-bit words, into row `r` of `out`: MurmurHash3's
 * block round over the words under the same two seeds as the text keys, finalized with the
 * word count. `WordDigester` feeds the words one at a time.
 */
export class WordDigester {
  private h1 = 0x5eed0001;
  private h2 = 0x5eed0002;
  private length = 0;

  add(word: number): void {
    let k = Math.imul(word, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    let h1 = this.h1 ^ k;
    this.h1 = (Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64) | 0;
    h1 = this.h2 ^ k;
    this.h2 = (Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64) | 0;
    this.length++;
  }

  /** Writes row `r`'s two words and starts over for the next row. */
  digestInto(out: Uint32Array, r: number): void {
    out[2 * r] = fmix32(this.h1 ^ this.length);
    out[2 * r + 1] = fmix32(this.h2 ^ this.length);
    this.h1 = 0x5eed0001;
    this.h2 = 0x5eed0002;
    this.length = 0;
  }
}

/** MurmurHash3's 32-bit finalizer: every input bit affects every output bit. */
function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * The row's draw in [0, 1) for `seed`, 53 bits. The digest words are already well mixed;
 * mixing the seed in through fmix32 makes the draws for two seeds look independent.
 */
export function hashUnit(digests: Uint32Array, row: number, seed: number): number {
  const s = fmix32((seed >>> 0) ^ 0x9e3779b9);
  const a = fmix32(digests[2 * row] ^ s);
  const b = fmix32(digests[2 * row + 1] ^ Math.imul(a, 0x27d4eb2f) ^ s);
  return a / 2 ** 32 + (b >>> 11) / 2 ** 53;
}

export interface HashSplitOptions {
  testFraction: number;
  seed: number;
}

export function hashSplit(digests: Uint32Array, options: HashSplitOptions): Split {
  const { testFraction, seed } = options;
  checkTestFraction(testFraction);
  const n = digests.length / 2;
  const inTest = new Uint8Array(n);
  for (let r = 0; r < n; r++) if (hashUnit(digests, r, seed) < testFraction) inTest[r] = 1;
  const split = { train: indicesWhere(inTest, 0), test: indicesWhere(inTest, 1) };
  if (split.train.length === 0 || split.test.length === 0) {
    const side = split.test.length === 0 ? "train" : "test";
    throw new InsufficientDataError(
      `the hash split put all ${n} rows on the ${side} side (each row is a test row with probability ${testFraction}); add rows, or change split.testFraction or split.seed`,
    );
  }
  return split;
}

/**
 * For each of `rows`, 1 when a hash split with `seed` and `testFraction` puts it on the
 * training side, i.e. a model split that way may have trained on it.
 */
export function hashTrainedOn(
  digests: Uint32Array,
  rows: Int32Array,
  options: HashSplitOptions,
): Uint8Array {
  const out = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    out[i] = hashUnit(digests, r, options.seed) < options.testFraction ? 0 : 1;
  });
  return out;
}

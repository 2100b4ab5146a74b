/**
 * Which rows repeat an earlier row, judged on typed columns without building a string per row
 * (a string key per row costs a gigabyte at a million wide rows). Two cells are equal when
 * they are the same number (0 and -0 alike, missing equal to missing) or the same category
 * code; codes stand for their level text one to one within a frame. Rows are hashed to 64
 * bits and an equal hash is confirmed cell by cell, so a collision never merges rows.
 */
import type { Column } from "./frame.ts";

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function mix(h: number, k: number): number {
  let x = Math.imul(k, 0xcc9e2d51);
  x = Math.imul((x << 15) | (x >>> 17), 0x1b873593);
  const y = h ^ x;
  return (Math.imul((y << 13) | (y >>> 19), 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function cellsEqual(columns: readonly Column[], a: number, b: number): boolean {
  for (const col of columns) {
    if (col.kind === "categorical") {
      if (col.codes[a] !== col.codes[b]) return false;
      continue;
    }
    const x = col.values[a];
    const y = col.values[b];
    // `===` already takes 0 for -0; only NaN (missing) needs saying.
    if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) return false;
  }
  return true;
}

/**
 * For every row, the index of the first earlier row equal to it in `columns`, or -1 when it is
 * the first of its kind.
 */
export function firstEqualRows(columns: readonly Column[], rowCount: number): Int32Array {
  const h1 = new Int32Array(rowCount).fill(0x5eed0001);
  const h2 = new Int32Array(rowCount).fill(0x5eed0002);
  for (const col of columns) {
    if (col.kind === "categorical") {
      const codes = col.codes;
      for (let r = 0; r < rowCount; r++) {
        h1[r] = mix(h1[r], codes[r]);
        h2[r] = mix(h2[r], codes[r] ^ 0x2545f491);
      }
      continue;
    }
    const values = col.values;
    for (let r = 0; r < rowCount; r++) {
      const v = values[r];
      // One bit pattern per equal value: every NaN alike, -0 as 0.
      f64[0] = Number.isNaN(v) ? Number.NaN : v === 0 ? 0 : v;
      h1[r] = mix(mix(h1[r], u32[0]), u32[1]);
      h2[r] = mix(mix(h2[r], u32[1] ^ 0x2545f491), u32[0]);
    }
  }
  let size = 1;
  while (size < rowCount * 2) size *= 2;
  const mask = size - 1;
  // Open addressing: slot holds row + 1 of the first row with that content, 0 when empty.
  const slots = new Int32Array(size);
  const first = new Int32Array(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const a = fmix(h1[r]);
    const b = h2[r];
    let slot = a & mask;
    for (;;) {
      const held = slots[slot];
      if (held === 0) {
        slots[slot] = r + 1;
        first[r] = -1;
        break;
      }
      const other = held - 1;
      if (h1[other] === h1[r] && h2[other] === b && cellsEqual(columns, other, r)) {
        first[r] = other;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  return first;
}

/**
 * Strict UTF-8 decoding for the text formats. A byte-order mark is dropped. Invalid bytes are
 * a DataFormatError naming the byte offset and line, not silently replaced with U+FFFD
 * (which would turn a wrong encoding into wrong categories).
 */

import { DataFormatError } from "../errors.ts";

/** Byte offset of the first invalid UTF-8 sequence, or -1 when the bytes are valid. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= bytes.length) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/**
 * The bytes as text; throws DataFormatError at the first invalid UTF-8 sequence, for a UTF-16
 * byte-order mark, and for a NUL byte (valid UTF-8, but no text file holds one: it means a
 * binary or UTF-16 file, and would otherwise become part of a category name).
 */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new DataFormatError(
      `${file}: the file is UTF-16 (it starts with a UTF-16 byte-order mark); re-save the file as UTF-8.`,
      { file },
    );
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new DataFormatError(
      `${file}: NUL byte at byte ${nul} (line ${lineAt(bytes, nul)}); the file is binary or not UTF-8 text — re-save it as UTF-8 text.`,
      { file },
    );
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (cause) {
    const offset = Math.max(0, firstInvalidUtf8(bytes));
    const line = lineAt(bytes, offset);
    throw new DataFormatError(
      `${file}: invalid UTF-8 at byte ${offset} (line ${line}); re-save the file as UTF-8.`,
      { file },
      { cause },
    );
  }
}

/**
 * JSON Lines bytes → a RawTable: one JSON object per line, blank lines ignored, LF or CRLF.
 * Columns are the union of keys in first-seen order; a key absent from a line is missing.
 * Values must be scalars (string, number, boolean, null): nested objects and arrays are a
 * DataFormatError, as is a line that is not valid JSON or not an object. Messages give the
 * file line; `location.row` is the 1-based data row (record number).
 */

import { DataFormatError } from "../errors.ts";
import type { RawTable } from "./build-frame.ts";
import type { RawValue } from "./cells.ts";
import { decodeUtf8 } from "./decode-text.ts";

function fail(file: string, line: number, row: number, why: string): never {
  throw new DataFormatError(`${file}, line ${line}: ${why}`, { file, row });
}

export function readJsonl(bytes: Uint8Array, file: string): RawTable {
  const lines = decodeUtf8(bytes, file).split(/\r?\n/);
  const names: string[] = [];
  const columns = new Map<string, RawValue[]>();
  let rowCount = 0;
  lines.forEach((text, i) => {
    if (text.trim() === "") return;
    const line = i + 1;
    const row = rowCount + 1;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      fail(
        file,
        line,
        row,
        `not valid JSON (${(err as Error).message}); each line must be one JSON object.`,
      );
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      fail(file, line, row, 'is not a JSON object; each line must be one object like {"a": 1}.');
    }
    for (const [key, v] of Object.entries(value)) {
      if (v !== null && typeof v === "object") {
        fail(
          file,
          line,
          row,
          `key "${key}" holds a nested ${Array.isArray(v) ? "array" : "object"}; only scalar values are supported, flatten it.`,
        );
      }
      let column = columns.get(key);
      if (!column) {
        if (key.trim() === "") fail(file, line, row, "has an empty key; give every column a name.");
        column = new Array<RawValue>(rowCount).fill(null);
        columns.set(key, column);
        names.push(key);
      }
      column[rowCount] = v as RawValue;
    }
    rowCount++;
    for (const column of columns.values()) if (column.length < rowCount) column.length = rowCount;
  });
  if (rowCount === 0) {
    throw new DataFormatError(
      `${file}: the file has no records; expected one JSON object per line.`,
      {
        file,
      },
    );
  }
  return {
    names,
    columns: names.map((n) => Array.from(columns.get(n) as RawValue[], (v) => v ?? null)),
    rowCount,
  };
}

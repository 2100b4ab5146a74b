/**
 * Rows to predict, as raw row objects for the model bundle, from CSV or JSON Lines bytes.
 * Shared by `orchard predict` and batch scoring so a file means the same thing to both.
 *
 * CSV goes through the training reader (header names, ragged rows, BOM and UTF-8 errors are
 * judged exactly as at training time); cells are trimmed and the texts training reads as
 * missing (`""`, `NA`, `NaN`, `null`) become `null`. Every other cell stays text; the bundle
 * converts numeric columns. JSON Lines: one object per line, blank lines skipped, values as
 * they are; a key absent from a line stays absent, so the bundle reports it as a missing
 * column for that row. Rows are numbered from 1 (the first data row).
 */
import { DataFormatError } from "../errors.ts";
import type { RawRow } from "../model/schema.ts";
import type { RawTable } from "./build-frame.ts";
import { MISSING_TOKENS } from "./cells.ts";
import { decodeUtf8 } from "./decode-text.ts";
import { readCsv } from "./read-csv.ts";

export function csvTableRows(table: RawTable): RawRow[] {
  const rows: RawRow[] = [];
  for (let r = 0; r < table.rowCount; r++) {
    const row: RawRow = {};
    table.names.forEach((name, c) => {
      const text = String(table.columns[c][r] ?? "").trim();
      row[name] = MISSING_TOKENS.has(text) ? null : text;
    });
    rows.push(row);
  }
  return rows;
}

export function csvRows(bytes: Uint8Array, file: string): RawRow[] {
  return csvTableRows(readCsv(bytes, file));
}

/** The objects of a JSON Lines file, possibly none. */
export function jsonlRows(bytes: Uint8Array, file: string): RawRow[] {
  const rows: RawRow[] = [];
  decodeUtf8(bytes, file)
    .split(/\r?\n/)
    .forEach((text, i) => {
      if (text.trim() === "") return;
      const where = `${file}, line ${i + 1} (row ${rows.length + 1})`;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new DataFormatError(
          `${where}: not valid JSON (${(err as Error).message}); each line must be one JSON object.`,
          { file, row: rows.length + 1 },
        );
      }
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw new DataFormatError(
          `${where}: not a JSON object; each line must be one object like {"column": value}.`,
          { file, row: rows.length + 1 },
        );
      }
      rows.push(value as RawRow);
    });
  return rows;
}

/**
 * The rows `orchard predict` scores, from a CSV or JSON Lines file chosen by extension
 * (`.csv`, `.jsonl`, `.ndjson`), as raw row objects for the model bundle.
 *
 * CSV: csv-parse through the pipeline's own reader (header names, ragged rows, BOM and UTF-8
 * errors are judged exactly as at training time); cells are trimmed and the texts training
 * reads as missing (`""`, `NA`, `NaN`, `null`) become `null`, so a value means the same thing
 * at predict time as it did in the training data. Every other cell stays text; the bundle
 * converts numeric columns.
 *
 * JSON Lines: one object per line, blank lines skipped, values passed through as they are.
 * A key absent from a line stays absent, so the bundle reports it as a missing column for
 * that row (send `null` for a missing value).
 *
 * Rows are numbered from 1 (the first data row), like every Orchard message.
 */
import { extname } from "node:path";
import { MISSING_TOKENS } from "../pipeline/data/cells.ts";
import { decodeUtf8 } from "../pipeline/data/decode-text.ts";
import { readCsv } from "../pipeline/data/read-csv.ts";
import { DataFormatError } from "../pipeline/errors.ts";
import type { RawRow } from "../pipeline/model/schema.ts";

export type RowFormat = "csv" | "jsonl";

const EXTENSIONS: Record<string, RowFormat> = {
  ".csv": "csv",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
};

/** The format a file name implies, or null when its extension is not one predict reads. */
export function rowFormatOf(path: string): RowFormat | null {
  return EXTENSIONS[extname(path).toLowerCase()] ?? null;
}

/** Parses `bytes` in `format`; `file` is what messages name. */
export function parseRows(bytes: Uint8Array, format: RowFormat, file: string): RawRow[] {
  return format === "csv" ? csvRows(bytes, file) : jsonlRows(bytes, file);
}

export function csvRows(bytes: Uint8Array, file: string): RawRow[] {
  const table = readCsv(bytes, file);
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
  if (rows.length === 0) {
    throw new DataFormatError(`${file}: the file has no rows; expected one JSON object per line.`, {
      file,
    });
  }
  return rows;
}

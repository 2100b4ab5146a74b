/**
 * The rows `orchard predict` scores, from a CSV or JSON Lines file chosen by extension
 * (`.csv`, `.jsonl`, `.ndjson`), as raw row objects for the model bundle; how values are read
 * is in pipeline/data/read-rows.ts. An input with no rows at all is an error here.
 */
import { extname } from "node:path";
import { csvRows, jsonlRows as jsonlObjects } from "../pipeline/data/read-rows.ts";
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

export { csvRows };

export function jsonlRows(bytes: Uint8Array, file: string): RawRow[] {
  const rows = jsonlObjects(bytes, file);
  if (rows.length === 0) {
    throw new DataFormatError(`${file}: the file has no rows; expected one JSON object per line.`, {
      file,
    });
  }
  return rows;
}

/**
 * The one entry point from bytes to a typed table. Pure: the caller reads the file or S3
 * object; this never touches the file system. See `cells.ts` for how values are read
 * (missing tokens, numbers, infinities) and `build-frame.ts` for typing (inference, declared
 * types, sorted category levels, type mismatches).
 */

import { DataFormatError } from "../errors.ts";
import type { ColumnKind, ColumnMismatches, TextInNumbers } from "./build-frame.ts";
import { buildFrame, type RawTable } from "./build-frame.ts";
import type { CellReading } from "./cells.ts";
import type { Frame } from "./frame.ts";
import { readCsv } from "./read-csv.ts";
import { readCsvColumns } from "./read-csv-columns.ts";
import { readJsonl } from "./read-jsonl.ts";
import { readParquet, readParquetColumns } from "./read-parquet.ts";

export type TableFormat = "csv" | "parquet" | "jsonl";

export interface ReadTableOptions {
  /** Shown in every error message; the caller's path or URI of the bytes. */
  file: string;
  format: TableFormat;
  /** CSV only. Default `","`. */
  delimiter?: string;
  /** Declared kinds that override inference (see `columnTypesForSpec`). */
  columnTypes?: Record<string, ColumnKind>;
  /** Extra missing tokens and the decimal mark (see `cellReadingOf`). Default: neither. */
  reading?: CellReading;
}

/**
 * A Frame plus the type mismatches met while typing it. It is a Frame, so it can be passed
 * anywhere one is expected; hand `mismatches` to `validateData`.
 */
export interface TableRead extends Frame {
  /** Per column: values that did not fit the column's numeric type (they were made missing). */
  mismatches: ColumnMismatches[];
  /** Columns inferred categorical that also hold numbers; hand them to `validateData`. */
  textInNumbers: TextInNumbers[];
}

/** The decoded cells before typing: for readers that judge cells themselves (`cells.ts`). */
export async function decodeTable(bytes: Uint8Array, options: ReadTableOptions): Promise<RawTable> {
  switch (options.format) {
    case "csv":
      return readCsv(bytes, options.file, options.delimiter ?? ",");
    case "jsonl":
      return readJsonl(bytes, options.file);
    case "parquet":
      return readParquet(bytes, options.file);
    default:
      throw new DataFormatError(
        `${options.file}: unsupported format "${String(options.format)}"; use csv, parquet or jsonl.`,
        { file: options.file },
      );
  }
}

/**
 * Reads a table. Throws DataFormatError when the bytes cannot be read as `format`, and
 * InsufficientDataError when they hold a header (or schema) but no rows.
 */
export async function readTable(bytes: Uint8Array, options: ReadTableOptions): Promise<TableRead> {
  const columnTypes = options.columnTypes ?? {};
  const reading = options.reading ?? {};
  if (options.format === "csv") {
    const delimiter = options.delimiter ?? ",";
    const typed = readCsvColumns(bytes, { file: options.file, delimiter, columnTypes, reading });
    if (typed) return typed;
  }
  if (options.format === "parquet") {
    return readParquetColumns(bytes, { file: options.file, columnTypes, reading });
  }
  const raw = await decodeTable(bytes, options);
  const { frame, mismatches, textInNumbers } = buildFrame(
    raw,
    options.columnTypes,
    options.reading,
  );
  return { ...frame, mismatches, textInNumbers };
}

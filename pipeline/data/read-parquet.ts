/**
 * Parquet bytes → a RawTable with hyparquet. Only flat files are supported: every top-level
 * column a primitive (numbers, strings, booleans, dates). INT64 values become JS numbers
 * (exact up to 2^53), dates and timestamps become ISO-8601 text (so they are categorical and
 * sort chronologically), decimals become numbers. A truncated or corrupt file, or a nested
 * column, is a DataFormatError; a file with no rows is an InsufficientDataError.
 */

import { parquetMetadata, parquetRead, parquetSchema } from "hyparquet";
import { DataFormatError, InsufficientDataError } from "../errors.ts";
import type { RawTable } from "./build-frame.ts";
import type { RawValue } from "./cells.ts";
import { checkHeader } from "./read-csv.ts";

function toRaw(value: unknown, file: string, column: string, row: number): RawValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return value;
    case "bigint":
      return Number(value);
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  throw new DataFormatError(
    `${file}: row ${row}, column "${column}" holds a nested or binary value; only flat columns of numbers, text, booleans and dates are supported.`,
    { file, row, column },
  );
}

function corrupt(file: string, cause: unknown): DataFormatError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new DataFormatError(
    `${file}: not a readable Parquet file (${why}); the file may be truncated or not Parquet at all — export or upload it again.`,
    { file },
    { cause },
  );
}

export async function readParquet(bytes: Uint8Array, file: string): Promise<RawTable> {
  const buffer = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength,
  ) as ArrayBuffer;
  let metadata: ReturnType<typeof parquetMetadata>;
  let tree: ReturnType<typeof parquetSchema>;
  try {
    metadata = parquetMetadata(buffer);
    tree = parquetSchema(metadata);
  } catch (cause) {
    throw corrupt(file, cause);
  }
  const nested = tree.children.find((child) => child.children.length > 0);
  if (nested) {
    throw new DataFormatError(
      `${file}: column "${nested.element.name}" is nested (a struct, list or map); flatten it before training.`,
      { file, column: nested.element.name },
    );
  }
  const stored = tree.children.map((child) => child.element.name);
  const names = checkHeader(stored, file);
  let rows: unknown[][] = [];
  try {
    await parquetRead({
      file: buffer,
      metadata,
      columns: stored,
      rowFormat: "array",
      onComplete: (data) => {
        rows = data;
      },
    });
  } catch (cause) {
    throw corrupt(file, cause);
  }
  if (rows.length === 0) {
    throw new InsufficientDataError(
      `${file}: the Parquet file has no rows; export it again with its data.`,
      { file },
    );
  }
  const columns = names.map((name, c) => rows.map((row, r) => toRaw(row[c], file, name, r + 1)));
  return { names, columns, rowCount: rows.length };
}

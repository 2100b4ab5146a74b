/**
 * Parquet bytes → a RawTable with hyparquet. Only flat files are supported: every top-level
 * column a primitive (numbers, strings, booleans, dates). INT64 values become JS numbers
 * (exact up to 2^53), dates and timestamps become ISO-8601 text (so they are categorical and
 * sort chronologically), decimals become numbers. A truncated or corrupt file, or a nested
 * column, is a DataFormatError; a file with no rows is an InsufficientDataError.
 */

import { parquetMetadata, parquetRead, parquetSchema } from "hyparquet";
import { DataFormatError, InsufficientDataError } from "../errors.ts";
import { buildFrame, columnBuilder, finishColumns, type RawTable } from "./build-frame.ts";
import { type CellReading, cellReader, type RawValue } from "./cells.ts";
import type { ColumnKind } from "./column-builder.ts";
import { checkHeader } from "./read-csv.ts";
import type { TableRead } from "./read-table.ts";

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

interface Opened {
  buffer: ArrayBuffer;
  metadata: ReturnType<typeof parquetMetadata>;
  /** Column names as stored, and as checked (trimmed). */
  stored: string[];
  names: string[];
}

/** The footer and the flat schema; the file's columns are not read yet. */
function open(bytes: Uint8Array, file: string): Opened {
  const buffer = (
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? bytes.buffer
      : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
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
  return { buffer, metadata, stored, names: checkHeader(stored, file) };
}

function noRows(file: string): InsufficientDataError {
  return new InsufficientDataError(
    `${file}: the Parquet file has no rows; export it again with its data.`,
    { file },
  );
}

/**
 * The typed table, one column at a time: each column is decoded, typed by its ColumnBuilder
 * and let go before the next, so the file's values are never all held as JS values at once.
 */
export async function readParquetColumns(
  bytes: Uint8Array,
  options: { file: string; columnTypes: Record<string, ColumnKind>; reading: CellReading },
): Promise<TableRead> {
  const { file } = options;
  const { buffer, metadata, stored, names } = open(bytes, file);
  if (names.length === 0) {
    const { frame, mismatches, textInNumbers } = buildFrame(
      await readParquet(bytes, file),
      options.columnTypes,
      options.reading,
    );
    return { ...frame, mismatches, textInNumbers };
  }
  const read = cellReader(options.reading);
  const builders = [];
  let rowCount = -1;
  for (let c = 0; c < names.length; c++) {
    let values: ArrayLike<unknown>;
    try {
      values = await readColumn(buffer, metadata, stored[c]);
    } catch (cause) {
      throw corrupt(file, cause);
    }
    if (rowCount < 0) rowCount = values.length;
    if (rowCount === 0) throw noRows(file);
    if (values.length !== rowCount) {
      throw corrupt(
        file,
        new Error(`column "${names[c]}" has ${values.length} values, not ${rowCount}`),
      );
    }
    const builder = columnBuilder(names[c], options.columnTypes, read, rowCount);
    for (let r = 0; r < rowCount; r++) builder.push(toRaw(values[r], file, names[c], r + 1), r);
    const again = builder.complete(rowCount);
    for (let r = 0; r < again; r++) builder.refill(toRaw(values[r], file, names[c], r + 1), r);
    builders.push(builder);
  }
  const { frame, mismatches, textInNumbers } = finishColumns(builders, rowCount);
  return { ...frame, mismatches, textInNumbers };
}

/** One column's values in row order, chunk by chunk (row groups) as hyparquet decodes them. */
async function readColumn(
  buffer: ArrayBuffer,
  metadata: ReturnType<typeof parquetMetadata>,
  name: string,
): Promise<ArrayLike<unknown>> {
  const chunks: { rowStart: number; data: ArrayLike<unknown> }[] = [];
  await parquetRead({
    file: buffer,
    metadata,
    columns: [name],
    onChunk: (chunk) => {
      chunks.push({ rowStart: chunk.rowStart, data: chunk.columnData });
    },
  });
  if (chunks.length === 1) return chunks[0].data;
  chunks.sort((a, b) => a.rowStart - b.rowStart);
  const values: unknown[] = [];
  for (const { data } of chunks) for (let i = 0; i < data.length; i++) values.push(data[i]);
  return values;
}

export async function readParquet(bytes: Uint8Array, file: string): Promise<RawTable> {
  const { buffer, metadata, stored, names } = open(bytes, file);
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
  if (rows.length === 0) throw noRows(file);
  const columns = names.map((name, c) => rows.map((row, r) => toRaw(row[c], file, name, r + 1)));
  return { names, columns, rowCount: rows.length };
}

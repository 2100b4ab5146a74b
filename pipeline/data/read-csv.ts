/**
 * CSV bytes → a RawTable of strings, with csv-parse over the decoded text. Quoted fields may
 * hold delimiters, quotes (`""`) and newlines; CRLF and LF both end a record; a BOM is
 * dropped; blank lines are skipped. The first record is the header: names are trimmed and
 * must be non-empty and unique. Every record must have as many fields as the header.
 *
 * Errors: DataFormatError (unreadable, malformed, ragged, bad header, empty file),
 * InsufficientDataError (a header and no data rows). Messages give the 1-based data row and
 * the file line where the record ends.
 */

import { CsvError } from "csv-parse";
import { parse } from "csv-parse/sync";
import { DataFormatError, InsufficientDataError } from "../errors.ts";
import type { RawTable } from "./build-frame.ts";
import { decodeUtf8 } from "./decode-text.ts";

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

function parseRecords(text: string, file: string, delimiter: string): ParsedRecord[] {
  try {
    return parse(text, {
      delimiter,
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as unknown as ParsedRecord[];
  } catch (cause) {
    const line =
      cause instanceof CsvError && typeof cause.lines === "number" ? cause.lines : undefined;
    const where = line === undefined ? file : `${file}, line ${line}`;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new DataFormatError(
      `${where}: malformed CSV (${why}); check the quoting and that the delimiter is "${delimiter}".`,
      { file },
      { cause },
    );
  }
}

/** Trimmed, non-empty, unique header names. */
export function checkHeader(names: string[], file: string, what = "column"): string[] {
  const trimmed = names.map((n) => n.trim());
  const seen = new Map<string, number>();
  trimmed.forEach((name, i) => {
    if (name === "") {
      throw new DataFormatError(
        `${file}: ${what} ${i + 1} of the header has no name; give every column a name.`,
        { file },
      );
    }
    const first = seen.get(name);
    if (first !== undefined) {
      throw new DataFormatError(
        `${file}: ${what}s ${first + 1} and ${i + 1} are both named "${name}"; column names must be unique.`,
        { file, column: name },
      );
    }
    seen.set(name, i);
  });
  return trimmed;
}

export function readCsv(bytes: Uint8Array, file: string, delimiter = ","): RawTable {
  const text = decodeUtf8(bytes, file);
  if (text.trim() === "") {
    throw new DataFormatError(`${file}: the file is empty; expected a header line and data rows.`, {
      file,
    });
  }
  const records = parseRecords(text, file, delimiter);
  const names = checkHeader(records[0].record, file);
  if (records.length === 1) {
    throw new InsufficientDataError(
      `${file}: has a header but no data rows; add data rows below the header.`,
      { file },
    );
  }
  const columns: string[][] = names.map(() => new Array<string>(records.length - 1));
  for (let r = 1; r < records.length; r++) {
    const { record, info } = records[r];
    if (record.length !== names.length) {
      throw new DataFormatError(
        `${file}: row ${r} (line ${info.lines}) has ${record.length} fields but the header has ${names.length}; ` +
          `quote values that contain "${delimiter}" and check for missing or extra delimiters.`,
        { file, row: r },
      );
    }
    for (let c = 0; c < names.length; c++) columns[c][r - 1] = record[c];
  }
  return { names, columns, rowCount: records.length - 1 };
}

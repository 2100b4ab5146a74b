/**
 * CSV bytes → a RawTable of strings, with csv-parse over the decoded text. Quoted fields may
 * hold delimiters, quotes (`""`) and newlines; CRLF and LF both end a record; a BOM is
 * dropped; blank lines, whitespace-only ones included, are skipped. The first record is the
 * header: names are trimmed and must be non-empty and unique. Every record must have as many
 * fields as the header. When the records do not fit the delimiter, messages name the likely
 * one (`source.delimiter: ";"`).
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
      `${where}: malformed CSV (${why}); check the quoting and that the delimiter is "${delimiter}".${delimiterHint(text, delimiter)}`,
      { file },
      { cause },
    );
  }
}

const CANDIDATE_DELIMITERS = [",", ";", "\t", "|"];

/**
 * The delimiter the first line most likely uses, when it is not `current`: the candidate that
 * occurs most often outside quotes, provided `current` occurs less. Null when `current` fits.
 */
export function likelyDelimiter(text: string, current: string): string | null {
  const line =
    text
      .replace(/^\uFEFF/, "")
      .split(/\r?\n/)
      .find((l) => l.trim() !== "") ?? "";
  const unquoted = line.replace(/"[^"]*"/g, "");
  const count = (d: string) => (d === "" ? 0 : unquoted.split(d).length - 1);
  let best: string | null = null;
  for (const d of CANDIDATE_DELIMITERS) {
    if (
      d !== current &&
      count(d) > 0 &&
      count(d) > count(current) &&
      (!best || count(d) > count(best))
    ) {
      best = d;
    }
  }
  return best;
}

/** " The header looks ;-separated: set source.delimiter: ";"." or "". */
export function delimiterHint(text: string, current: string): string {
  const likely = likelyDelimiter(text, current);
  if (likely === null) return "";
  const shown = JSON.stringify(likely);
  return ` The header looks separated by ${shown}, not ${JSON.stringify(current)}: set source.delimiter: ${shown} in the spec.`;
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
  // A whitespace-only line is a blank line (csv-parse skips only empty ones); a whitespace
  // field of a one-column file is one too.
  const records = parseRecords(text, file, delimiter).filter(
    ({ record }) => !(record.length === 1 && record[0].trim() === ""),
  );
  if (records.length === 0) {
    throw new DataFormatError(`${file}: the file is empty; expected a header line and data rows.`, {
      file,
    });
  }
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
          `quote values that contain "${delimiter}" and check for missing or extra delimiters.${delimiterHint(text, delimiter)}`,
        { file, row: r },
      );
    }
    for (let c = 0; c < names.length; c++) columns[c][r - 1] = record[c];
  }
  return { names, columns, rowCount: records.length - 1 };
}

/**
 * CSV bytes straight into typed columns: one pass over the bytes, each field decoded, read by
 * the one cell reader (`cells.ts`) and typed by a `ColumnBuilder`, then dropped. No string per
 * cell is kept and the file is never decoded into one string (a 1 GB CSV cannot be: V8 caps a
 * string at about 512 M characters).
 *
 * This is the fast path of `readTable` for well-formed files, and it reads them exactly as
 * `readCsv` (csv-parse) + `buildFrame` do. Whatever it does not handle it declines (returns
 * null), and the caller reads the file the old way, which then gives the same result or the
 * same error as before: invalid UTF-8, a NUL byte or a UTF-16 mark, a multi-character or
 * non-ASCII delimiter, a bare CR or mixed line endings, a quote inside an unquoted field or a
 * character after a closing quote, an unterminated quote, a ragged row, a bad header, no data.
 */

import { isUtf8 } from "node:buffer";
import { columnBuilder, finishColumns } from "./build-frame.ts";
import { type CellReading, cellReader } from "./cells.ts";
import type { ColumnBuilder, ColumnKind } from "./column-builder.ts";
import { checkHeader } from "./read-csv.ts";
import type { TableRead } from "./read-table.ts";

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Field `field` of data row `row` (-1: the header) has the text `text`; false stops the scan. */
type Visit = (field: number, row: number, text: string) => boolean;
/** Data row `row` (-1: the header) ended after `fields` fields; false stops the scan. */
type EndRecord = (fields: number, row: number) => boolean;

/**
 * Walks the records. Blank records (one field, whitespace only, as csv-parse's
 * skip_empty_lines plus readCsv's filter drop them) are skipped and not numbered. Returns
 * false when the bytes are outside what this scanner reads exactly (see the file comment).
 */
function scan(bytes: Uint8Array, delimiter: number, visit: Visit, endRecord: EndRecord): boolean {
  // Buffer's latin1Slice/utf8Slice (what toString calls after checking its arguments) are
  // public at run time but not in @types/node.
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as Buffer & {
    latin1Slice(from: number, to: number): string;
    utf8Slice(from: number, to: number): string;
  };
  const n = bytes.length;
  const text = (from: number, to: number, ascii: boolean) =>
    ascii ? buf.latin1Slice(from, to) : buf.utf8Slice(from, to);
  let i = n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  /** 0: not seen yet, 1: LF, 2: CRLF. */
  let eol = 0;
  /** Non-blank records so far: the header is record 0, data row r is record r + 1. */
  let records = 0;
  while (i < n) {
    let field = 0;
    // The first field waits: a record of one blank field is a blank line, not a row.
    let first = "";
    for (;;) {
      let value: string;
      if (i < n && bytes[i] === QUOTE) {
        value = "";
        let from = i + 1;
        for (;;) {
          const q = bytes.indexOf(QUOTE, from);
          if (q < 0) return false;
          if (bytes[q + 1] === QUOTE) {
            value += buf.utf8Slice(from, q + 1);
            from = q + 2;
            continue;
          }
          value += buf.utf8Slice(from, q);
          i = q + 1;
          break;
        }
        if (i < n && bytes[i] !== delimiter && bytes[i] !== LF && bytes[i] !== CR) return false;
      } else {
        const from = i;
        let high = 0;
        while (i < n) {
          const b = bytes[i];
          if (b === delimiter || b === LF || b === CR) break;
          if (b === QUOTE) return false;
          high |= b;
          i++;
        }
        value = text(from, i, high < 0x80);
      }
      if (field === 0) first = value;
      else {
        if (field === 1 && !visit(0, records - 1, first)) return false;
        if (!visit(field, records - 1, value)) return false;
      }
      if (i < n && bytes[i] === delimiter) {
        i++;
        field++;
        continue;
      }
      if (i < n) {
        if (bytes[i] === LF) {
          if (eol === 2) return false;
          eol = 1;
          i++;
        } else {
          if (bytes[i + 1] !== LF || eol === 1) return false;
          eol = 2;
          i += 2;
        }
      }
      break;
    }
    if (field === 0) {
      if (first.trim() === "") continue;
      if (!visit(0, records - 1, first)) return false;
    }
    if (!endRecord(field + 1, records - 1)) return false;
    records++;
  }
  return true;
}

/** An upper bound of the data rows: the line count (quoted newlines only make it larger). */
function maxRows(bytes: Uint8Array): number {
  let lines = 1;
  for (let at = bytes.indexOf(LF); at >= 0; at = bytes.indexOf(LF, at + 1)) lines++;
  return lines;
}

export interface CsvColumnsOptions {
  file: string;
  delimiter: string;
  columnTypes: Record<string, ColumnKind>;
  reading: CellReading;
}

/**
 * The typed table of a well-formed CSV file, or null when the file needs csv-parse's reading
 * (see the file comment): then `readCsv` + `buildFrame` read it, or say what is wrong with it.
 */
export function readCsvColumns(bytes: Uint8Array, options: CsvColumnsOptions): TableRead | null {
  const { delimiter } = options;
  const d = delimiter.length === 1 ? delimiter.charCodeAt(0) : -1;
  if (d < 0 || d >= 0x80 || d === QUOTE || d === LF || d === CR) return null;
  if (bytes[0] === 0xff || bytes[0] === 0xfe || bytes.indexOf(0) >= 0 || !isUtf8(bytes)) {
    return null;
  }
  const read = cellReader(options.reading);
  const capacity = maxRows(bytes);
  const header: string[] = [];
  let builders: ColumnBuilder[] = [];
  let rows = 0;
  const ok = scan(
    bytes,
    d,
    (field, row, text) => {
      if (row < 0) {
        header.push(text);
        return true;
      }
      if (field >= builders.length) return false;
      builders[field].push(text, row);
      return true;
    },
    (fields, row) => {
      if (row >= 0) {
        rows = row + 1;
        return fields === builders.length;
      }
      let names: string[];
      try {
        names = checkHeader(header, options.file);
      } catch {
        return false;
      }
      builders = names.map((name) =>
        columnBuilder(name, options.columnTypes, read, Math.max(1, capacity - 1)),
      );
      return true;
    },
  );
  if (!ok || rows === 0) return null;
  const again = builders.map((b) => b.complete(rows));
  if (again.some((k) => k > 0)) {
    scan(
      bytes,
      d,
      (field, row, text) => {
        if (row >= 0 && row < again[field]) builders[field].refill(text, row);
        return true;
      },
      () => true,
    );
  }
  const { frame, mismatches, textInNumbers } = finishColumns(builders, rows);
  return { ...frame, mismatches, textInNumbers };
}

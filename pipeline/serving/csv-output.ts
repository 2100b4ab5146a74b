/**
 * CSV written for people to open in a spreadsheet: RFC 4180 quoting, and formula injection
 * neutralized. A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return would
 * run as a formula in Excel, LibreOffice or Google Sheets (OWASP "CSV Injection"); such a cell
 * is prefixed with a single quote, which spreadsheets show as text. Numbers are written as
 * numbers, so a negative prediction stays `-3.5`.
 */

const FORMULA_START = /^[=+\-@\t\r]/;

/** The cell as text that no spreadsheet evaluates. */
export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

function quote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export type CsvCell = string | number | boolean | null | undefined;

export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  if (typeof value === "boolean") return String(value);
  return quote(neutralizeFormula(value));
}

/** A CSV document: header then rows, LF line ends, a final newline. */
export function toCsv(header: string[], rows: CsvCell[][]): string {
  const lines = [header.map((h) => csvCell(h)).join(",")];
  for (const row of rows) lines.push(row.map(csvCell).join(","));
  return `${lines.join("\n")}\n`;
}

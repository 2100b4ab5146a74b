/**
 * How one raw cell is read, the same for every format, so a value means the same thing in a
 * CSV, a JSON Lines file and a Parquet file:
 *
 * - Text is trimmed of surrounding whitespace.
 * - Missing: null/absent values, NaN, and the texts in MISSING_TOKENS (exact, case-sensitive).
 * - A number: a finite JS number, or text in plain decimal/scientific notation
 *   (`12`, `-0.5`, `.5`, `1e-3`); not hex, not `1,000`, not empty.
 * - Infinity: ±Infinity numbers and the texts `inf`, `infinity` (any case, optional sign).
 *   Infinity is never a valid number here: in a numeric column it is a type mismatch.
 * - Booleans become the text `true` / `false` (so they are categorical).
 * - Anything else is text.
 */

/** Texts read as a missing value (after trimming). The empty string covers empty CSV fields. */
export const MISSING_TOKENS: ReadonlySet<string> = new Set(["", "NA", "NaN", "null"]);

/** A cell as a format decoder hands it over: already JSON-like. */
export type RawValue = string | number | boolean | null | undefined;

export type Cell =
  | { kind: "missing" }
  | { kind: "number"; value: number; text: string }
  | { kind: "infinity"; text: string }
  | { kind: "text"; text: string };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INFINITY = /^[+-]?inf(inity)?$/i;
const MISSING: Cell = { kind: "missing" };

/** Classifies one raw value (see the file comment for the rules). */
export function readCell(raw: RawValue): Cell {
  if (raw === null || raw === undefined) return MISSING;
  if (typeof raw === "number") {
    if (Number.isNaN(raw)) return MISSING;
    if (!Number.isFinite(raw)) return { kind: "infinity", text: String(raw) };
    return { kind: "number", value: raw, text: String(raw) };
  }
  if (typeof raw === "boolean") return { kind: "text", text: raw ? "true" : "false" };
  const text = raw.trim();
  if (MISSING_TOKENS.has(text)) return MISSING;
  if (NUMBER.test(text)) {
    const value = Number(text);
    // Text like 1e999 overflows to Infinity: out of range, so not a usable number.
    return Number.isFinite(value) ? { kind: "number", value, text } : { kind: "infinity", text };
  }
  if (INFINITY.test(text)) return { kind: "infinity", text };
  return { kind: "text", text };
}

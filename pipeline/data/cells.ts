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
 *
 * The spec may widen two rules (`CellReading`): `source.missing` adds missing tokens, and
 * `source.decimal: ","` reads `3,5` as 3.5 (then `3.5` is text). Training records the reading
 * in the model bundle, so every door that scores rows reads cells exactly as training did.
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

/** How cells are read beyond the fixed rules: the spec's `source.missing` and `source.decimal`. */
export interface CellReading {
  /** Extra texts read as missing (after trimming, exact). Default none. */
  missing?: readonly string[];
  /** The decimal mark of text numbers. Default `"."`. */
  decimal?: "." | ",";
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const COMMA_NUMBER = /^[+-]?(\d+,?\d*|,\d+)([eE][+-]?\d+)?$/;
/** `3,5`, `-0,25`: what a decimal comma looks like when the reading expects a point. */
export const DECIMAL_COMMA = /^[+-]?\d*,\d+$/;
const INFINITY = /^[+-]?inf(inity)?$/i;
const MISSING: Cell = { kind: "missing" };

/** A reader of cells under `reading`; build it once per column or request, not per cell. */
export function cellReader(reading: CellReading = {}): (raw: RawValue) => Cell {
  const extra = reading.missing ?? [];
  const missing = extra.length === 0 ? MISSING_TOKENS : new Set([...MISSING_TOKENS, ...extra]);
  const comma = reading.decimal === ",";
  return (raw) => {
    if (raw === null || raw === undefined) return MISSING;
    if (typeof raw === "number") {
      if (Number.isNaN(raw)) return MISSING;
      if (!Number.isFinite(raw)) return { kind: "infinity", text: String(raw) };
      return { kind: "number", value: raw, text: String(raw) };
    }
    if (typeof raw === "boolean") return { kind: "text", text: raw ? "true" : "false" };
    const text = raw.trim();
    if (missing.has(text)) return MISSING;
    if (comma ? COMMA_NUMBER.test(text) : NUMBER.test(text)) {
      const value = Number(comma ? text.replace(",", ".") : text);
      // Text like 1e999 overflows to Infinity: out of range, so not a usable number.
      return Number.isFinite(value) ? { kind: "number", value, text } : { kind: "infinity", text };
    }
    if (INFINITY.test(text)) return { kind: "infinity", text };
    return { kind: "text", text };
  };
}

/** Classifies one raw value under the default reading (see the file comment for the rules). */
export const readCell: (raw: RawValue) => Cell = cellReader();

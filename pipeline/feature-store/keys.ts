/**
 * Entity keys and event times, read from raw cells with the one cell reader
 * (`pipeline/data/cells.ts`), so a source file, a training row and a serving request that
 * carry the same value give the same key: `"01"`, `1` and `" 1 "` are all the key `1`.
 */

import { type CellReading, cellReader, type RawValue } from "../data/cells.ts";

/** Escapes the separator so that ("a|b", "c") and ("a", "b|c") stay different keys. */
function escapePart(part: string): string {
  return part.replaceAll("%", "%25").replaceAll("|", "%7C");
}

/** The entity key of a row: its join keys' texts in the view's order, joined by `|`. */
export function entityKey(parts: readonly string[]): string {
  return parts.length === 1 ? escapePart(parts[0]) : parts.map(escapePart).join("|");
}

/** A reader of one join key's text under a view's cell reading; undefined when missing. */
export function keyReader(reading: CellReading = {}): (raw: RawValue) => string | undefined {
  const read = cellReader(reading);
  return (raw) => {
    const cell = read(raw);
    if (cell.kind === "number") return String(cell.value);
    if (cell.kind === "text") return cell.text;
    return undefined;
  };
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Epoch milliseconds of an event time: ISO-8601 text (`2024-05-01`, `2024-05-01T12:30:00Z`,
 * with an offset or without one, read as UTC), as written in CSV or JSON Lines, or as a
 * Parquet timestamp reads. Undefined for anything else: numbers are refused because epoch
 * seconds and milliseconds cannot be told apart.
 */
export function parseEventTime(raw: RawValue): number | undefined {
  if (typeof raw !== "string") return undefined;
  const text = raw.trim();
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone] = m;
  const base = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}`;
  const ms = Date.parse(
    `${base}${zone === undefined ? "Z" : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`,
  );
  return Number.isFinite(ms) ? ms : undefined;
}

/** ISO-8601 UTC text of epoch milliseconds. */
export function formatEventTime(ms: number): string {
  return new Date(ms).toISOString();
}

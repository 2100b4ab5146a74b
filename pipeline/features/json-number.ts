/**
 * Numbers in fitted state survive JSON exactly: finite doubles are written as JSON numbers
 * (which round-trip bit for bit), and the values JSON cannot hold — NaN, ±Infinity and -0 —
 * as the strings below.
 */

export type JsonNumber = number | "NaN" | "Infinity" | "-Infinity" | "-0";

export function encodeNumber(value: number): JsonNumber {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Infinity";
  if (value === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (Object.is(value, -0)) return "-0";
  return value;
}

export function decodeNumber(value: JsonNumber): number {
  switch (value) {
    case "NaN":
      return Number.NaN;
    case "Infinity":
      return Number.POSITIVE_INFINITY;
    case "-Infinity":
      return Number.NEGATIVE_INFINITY;
    case "-0":
      return -0;
    default:
      return value;
  }
}

/**
 * Durations as feature views write them: a whole number and a unit, `90s`, `15m`, `12h`, `7d`,
 * `2w`. Days are 24 hours of UTC time (no calendar or daylight-saving arithmetic), so a window
 * means the same span wherever it is computed.
 */

export const DURATION_PATTERN = /^([1-9]\d{0,5})(s|m|h|d|w)$/;

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Milliseconds of a duration text; undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  const m = DURATION_PATTERN.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2]];
}

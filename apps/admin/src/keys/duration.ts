const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
/** Ten years: longer is almost certainly a unit mistake. */
export const MAX_DURATION_SECONDS = 10 * 365 * 86_400;

/**
 * Parses a key lifetime: "30d", "12h", "15m", "45s", or a number of seconds (number or digits).
 * Returns seconds, or undefined when the value is not a valid positive duration.
 */
export function parseDurationSeconds(value: string | number): number | undefined {
  let seconds: number;
  if (typeof value === 'number') {
    seconds = value;
  } else {
    const m = /^\s*(\d{1,10})\s*([smhd]?)\s*$/.exec(value);
    if (!m) return undefined;
    seconds = Number(m[1]) * UNIT_SECONDS[m[2] || 's']!;
  }
  if (!Number.isInteger(seconds) || seconds <= 0 || seconds > MAX_DURATION_SECONDS) return undefined;
  return seconds;
}

/**
 * The remaining time a request carries (H.timeoutMs), in ms: a non-negative finite number, else `fallback`.
 * Remaining time rather than a wall-clock deadline, so hosts whose clocks disagree still agree on it.
 */
export function readTimeoutMs(header: string, fallback: number): number {
  if (header === '') return fallback;
  const n = Number(header);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

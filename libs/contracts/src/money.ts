/**
 * Money is an integer number of nano-dollars (1e-9 USD) everywhere it is stored or summed.
 * Floats appear only at the edges: prices in the catalogue file and amounts in API responses.
 */
export const NANOS_PER_USD = 1_000_000_000;

export function usdToNanos(usd: number): bigint {
  if (!Number.isFinite(usd)) throw new Error(`Not a finite dollar amount: ${usd}`);
  return BigInt(Math.round(usd * NANOS_PER_USD));
}

export function nanosToUsd(nanos: bigint | number | string): number {
  return Number(BigInt(nanos)) / NANOS_PER_USD;
}

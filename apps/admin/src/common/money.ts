import { z } from 'zod';
import { nanosToUsd, usdToNanos } from '@switchyard/contracts';

/** Budgets are taken in USD at the edge and stored as integer nanos; one billion dollars is plenty. */
export const UsdAmountSchema = z.number().min(0, 'must be ≥ 0 (USD)').max(1e9, 'must be at most 1e9 USD');

export function budgetToNanos(usd: number | null | undefined): bigint | null {
  return usd === null || usd === undefined ? null : usdToNanos(usd);
}

export function nanosToUsdOrNull(nanos: bigint | null): number | null {
  return nanos === null ? null : nanosToUsd(nanos);
}

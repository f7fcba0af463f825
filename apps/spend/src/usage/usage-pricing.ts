import type { UsageRecordedEvent } from '@switchyard/contracts';
import { costOf, priceKnown } from '@switchyard/pricing';

export interface PricedUsage {
  costNanos: bigint;
  /** The catalogue name the cost was computed from, or null when neither model has a price. */
  pricedAs: string | null;
}

/** pricedAs of a cost the provider reported itself (OpenRouter's `usage.cost`). */
export const PROVIDER_REPORTED = 'provider-reported';

/**
 * Prices an event: the cost the provider reported when it reported one; else by the model the upstream was
 * asked for; when that model is not in the catalogue (a deployment alias, a fake upstream) the requested
 * model's price is used, and when neither is known the cost is 0 and pricedAs is null so the caller can say so.
 */
export function priceUsageEvent(e: UsageRecordedEvent): PricedUsage {
  if (typeof e.providerCostNanos === 'number')
    return { costNanos: BigInt(e.providerCostNanos), pricedAs: PROVIDER_REPORTED };
  const usage = { promptTokens: e.promptTokens, completionTokens: e.completionTokens, cachedTokens: e.cachedTokens };
  for (const model of [e.upstreamModel, e.requestedModel]) {
    if (model && priceKnown(model)) return { costNanos: costOf(model, usage), pricedAs: model };
  }
  return { costNanos: 0n, pricedAs: null };
}

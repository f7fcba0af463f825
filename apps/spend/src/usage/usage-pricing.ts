import type { UsageRecordedEvent } from '@switchyard/contracts';
import { costOf, priceKnown } from '@switchyard/pricing';

export interface PricedUsage {
  costNanos: bigint;
  /** The catalogue name the cost was computed from, or null when neither model has a price. */
  pricedAs: string | null;
}

/**
 * Prices an event by the model the upstream was asked for; when that model is not in the catalogue (a
 * deployment alias, a fake upstream) the requested model's price is used, and when neither is known the
 * cost is 0 and pricedAs is null so the caller can say so.
 */
export function priceUsageEvent(e: UsageRecordedEvent): PricedUsage {
  const usage = { promptTokens: e.promptTokens, completionTokens: e.completionTokens, cachedTokens: e.cachedTokens };
  for (const model of [e.upstreamModel, e.requestedModel]) {
    if (model && priceKnown(model)) return { costNanos: costOf(model, usage), pricedAs: model };
  }
  return { costNanos: 0n, pricedAs: null };
}

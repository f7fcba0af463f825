import { costBreakdown, type CostBreakdown, type CostUsage } from './cost';
import { resolvePrice, type PriceOverrides, type PriceSource } from './price-overrides';

/** What decides a call's price: the model sent upstream, the deployment's base_model and its own prices. */
export interface PriceTarget {
  /** The model the upstream was asked for. */
  upstreamModel?: string | null;
  /** The deployment's model_info.base_model: when set, the price key instead of the upstream model. */
  baseModel?: string | null;
  /** The deployment's own prices (model_info.input_cost_per_token, ...). */
  overrides?: PriceOverrides;
}

export interface PricedCall {
  breakdown: CostBreakdown;
  /** Where the price came from; null when the call had usage and no price was found (it is unpriced). */
  source: PriceSource | null;
  /** The model name the price was looked up by (base_model or upstream model). */
  pricedAs: string | null;
  /** The call reported usage but no price is known for it: its cost of 0 is not a real cost. */
  unpriced: boolean;
}

const ZERO: Omit<CostBreakdown, 'totalNanos'> = {
  inputNanos: 0n,
  cachedNanos: 0n,
  cacheWriteNanos: 0n,
  outputNanos: 0n,
  reasoningNanos: 0n,
  requestNanos: 0n,
  imageNanos: 0n,
  longContext: false,
};

/**
 * Prices one upstream call. The cost the provider reported (OpenRouter's `usage.cost`) wins, whole (its parts
 * are unknown, so they stay 0). Else the price key is the deployment's base_model when set, else the
 * upstream model, never the model the client asked for (an alias named `gpt-4o` in front of a self-hosted
 * model must not take OpenAI's price); the deployment's own prices apply over the catalogue's. With no price
 * and some usage the call is flagged unpriced, never silently costed at 0.
 */
export function priceCall(
  target: PriceTarget,
  usage: CostUsage,
  providerCostNanos?: number | bigint | null,
): PricedCall {
  const key = target.baseModel || target.upstreamModel || null;
  if (providerCostNanos !== undefined && providerCostNanos !== null) {
    const total = BigInt(providerCostNanos);
    return { breakdown: { ...ZERO, totalNanos: total }, source: 'provider', pricedAs: key, unpriced: false };
  }
  const price = resolvePrice(key, target.overrides);
  if (price)
    return { breakdown: costBreakdown(price.sheet, usage), source: price.source, pricedAs: key, unpriced: false };
  const hasUsage = usage.promptTokens > 0 || usage.completionTokens > 0 || (usage.images ?? 0) > 0;
  return { breakdown: { ...ZERO, totalNanos: 0n }, source: null, pricedAs: key, unpriced: hasUsage };
}

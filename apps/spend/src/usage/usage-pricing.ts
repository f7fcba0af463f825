import type { UsageRecordedEvent } from '@switchyard/contracts';
import {
  CATALOGUE_VERSION,
  priceCall,
  type CostBreakdown,
  type PriceOverrides,
  type PriceSource,
  type PriceTarget,
} from '@switchyard/pricing';

/** What pricing needs of a deployment (a routing-view Deployment fits). */
export interface DeploymentPricing {
  /** Model sent upstream; "*" and the like for wildcard deployments (the event says which model then). */
  model: string;
  baseModel?: string;
  pricing?: PriceOverrides;
}

export interface PricedUsage {
  /** Everything the request cost: its final attempt plus earlier attempts a provider billed. */
  costNanos: bigint;
  /** The final attempt's cost by part. */
  parts: CostBreakdown;
  /** What earlier attempts (failed over, timed out, retried) cost: they reported usage, so a provider billed them. */
  retryCostNanos: bigint;
  /** Earlier attempts that reported usage. */
  billedAttempts: number;
  /** Where the final attempt's price came from; null when it had none. */
  source: PriceSource | null;
  /** The model name the final attempt was priced by (base_model, else the upstream model). */
  pricedAs: string | null;
  /** Some attempt reported usage that no price is known for: the cost is short by that much. */
  unpriced: boolean;
  catalogueVersion: string;
}

/** pricedAs of a cost the provider reported itself (OpenRouter's `usage.cost`). Kept for log lines. */
export const PROVIDER_REPORTED = 'provider-reported';

function target(d: DeploymentPricing | undefined, upstreamModel: string | null | undefined): PriceTarget {
  // A wildcard deployment's own model is a pattern, not a model: the upstream model of the call names it.
  const model = upstreamModel ?? (d && !d.model.includes('*') ? d.model : null);
  return { upstreamModel: model, baseModel: d?.baseModel, overrides: d?.pricing };
}

const hasTokens = (u: { promptTokens: number; completionTokens: number }) => u.promptTokens + u.completionTokens > 0;

/**
 * Prices an event: its final attempt from the event's usage, and every earlier attempt of its route trail
 * that reported usage (a provider billed it even though the request went elsewhere), each at its own
 * deployment's price. The trail's last entry is the final attempt, already in the event's usage; it is
 * priced from the trail only when the event carries no usage of its own (the router gave up after it).
 */
export function priceUsageEvent(
  e: UsageRecordedEvent,
  deployments: ReadonlyMap<string, DeploymentPricing> = new Map(),
): PricedUsage {
  const final = priceCall(
    target(e.deploymentId ? deployments.get(e.deploymentId) : undefined, e.upstreamModel),
    {
      promptTokens: e.promptTokens,
      completionTokens: e.completionTokens,
      cachedTokens: e.cachedTokens,
      cacheWriteTokens: e.cacheWriteTokens,
      reasoningTokens: e.reasoningTokens,
    },
    e.providerCostNanos,
  );
  const earlier = hasTokens(e) ? e.attempts.slice(0, -1) : e.attempts;
  let retryCostNanos = 0n;
  let billedAttempts = 0;
  let unpriced = final.unpriced;
  for (const a of earlier) {
    if (!a.usage || !hasTokens(a.usage)) continue;
    const d = deployments.get(a.deploymentId);
    const sameDeployment = a.deploymentId === e.deploymentId;
    const priced = priceCall(target(d, sameDeployment ? e.upstreamModel : null), a.usage, a.usage.costNanos);
    retryCostNanos += priced.breakdown.totalNanos;
    billedAttempts++;
    if (priced.unpriced) unpriced = true;
  }
  return {
    costNanos: final.breakdown.totalNanos + retryCostNanos,
    parts: final.breakdown,
    retryCostNanos,
    billedAttempts,
    source: final.source,
    pricedAs: final.source === 'provider' ? PROVIDER_REPORTED : final.source ? final.pricedAs : null,
    unpriced,
    catalogueVersion: CATALOGUE_VERSION,
  };
}

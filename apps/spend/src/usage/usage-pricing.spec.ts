import { UsageRecordedEventSchema, type UsageRecordedEventInput } from '@switchyard/contracts';
import { CATALOGUE_VERSION } from '@switchyard/pricing';
import { describe, expect, it } from 'vitest';
import { priceUsageEvent, type DeploymentPricing } from './usage-pricing';

const event = (over: Partial<UsageRecordedEventInput> = {}) =>
  UsageRecordedEventSchema.parse({
    requestId: 'r1',
    ts: 1_700_000_000_000,
    keyId: 'k',
    teamId: 't',
    requestedModel: 'gpt-4o',
    deploymentId: 'd',
    provider: 'openai',
    upstreamModel: 'gpt-4o',
    status: 200,
    promptTokens: 1000,
    completionTokens: 500,
    latencyMs: 3,
    stream: false,
    ...over,
  });

const deployments = (entries: Record<string, DeploymentPricing>) => new Map(Object.entries(entries));

describe('priceUsageEvent', () => {
  it('prices by the upstream model, each part apart (gpt-4o: $2.50 in, $1.25 cached, $10 out per 1M)', () => {
    const p = priceUsageEvent(event({ cachedTokens: 200, reasoningTokens: 100, requestedModel: 'my-alias' }));
    // 800 × 2500 = 2_000_000; 200 × 1250 = 250_000; 400 × 10000 = 4_000_000; 100 × 10000 = 1_000_000
    expect(p.parts).toMatchObject({
      inputNanos: 2_000_000n,
      cachedNanos: 250_000n,
      cacheWriteNanos: 0n,
      outputNanos: 4_000_000n,
      reasoningNanos: 1_000_000n,
    });
    expect(p).toMatchObject({
      costNanos: 7_250_000n,
      source: 'catalogue',
      pricedAs: 'gpt-4o',
      unpriced: false,
      catalogueVersion: CATALOGUE_VERSION,
    });
  });

  it("never takes the requested model's price: an unknown upstream model is unpriced, not billed as the alias", () => {
    const p = priceUsageEvent(event({ upstreamModel: 'my-llama-70b', requestedModel: 'gpt-4o' }));
    expect(p).toMatchObject({ costNanos: 0n, unpriced: true, source: null, pricedAs: null });
    // No usage to price: nothing is missing.
    expect(priceUsageEvent(event({ upstreamModel: 'x', promptTokens: 0, completionTokens: 0 })).unpriced).toBe(false);
  });

  it("prices by the deployment's base_model when it is set", () => {
    const d = deployments({ d: { model: 'my-ft-deployment', baseModel: 'gpt-4o-mini' } });
    const p = priceUsageEvent(event({ upstreamModel: 'my-ft-deployment' }), d);
    // 1000 × 150 + 500 × 600
    expect(p).toMatchObject({ costNanos: 450_000n, pricedAs: 'gpt-4o-mini', source: 'catalogue' });
  });

  it("applies the deployment's own prices over the catalogue's", () => {
    const d = deployments({
      d: { model: 'gpt-4o', pricing: { inputNanosPerMTok: 1_000_000_000n, outputNanosPerMTok: 2_000_000_000n } },
    });
    const p = priceUsageEvent(event({ cachedTokens: 100 }), d);
    // Input overridden to $1: the cached price ($1.25 in the catalogue) stays the catalogue's discount.
    // 900 × 1000 + 100 × 1250 + 500 × 2000
    expect(p).toMatchObject({ costNanos: 900_000n + 125_000n + 1_000_000n, source: 'override' });
  });

  it('takes the cost the provider reported over any catalogue price, and marks it', () => {
    const p = priceUsageEvent(event({ providerCostNanos: 421_000 }));
    expect(p).toMatchObject({
      costNanos: 421_000n,
      source: 'provider',
      pricedAs: 'provider-reported',
      unpriced: false,
    });
  });

  it('adds the earlier attempts a provider billed, each at its own deployment price', () => {
    const d = deployments({ a: { model: 'gpt-4o-mini' }, b: { model: 'gpt-4o' }, c: { model: 'self-hosted' } });
    const p = priceUsageEvent(
      event({
        deploymentId: 'b',
        attempts: [
          { attempt: 1, deploymentId: 'a', status: 504, usage: { promptTokens: 1000, completionTokens: 100 } },
          { attempt: 2, deploymentId: 'a', status: 503 },
          { attempt: 3, deploymentId: 'b', status: 200, usage: { promptTokens: 1000, completionTokens: 500 } },
        ],
      }),
      d,
    );
    // final (b, gpt-4o): 1000 × 2500 + 500 × 10000 = 7_500_000; attempt 1 (a, gpt-4o-mini): 1000 × 150 + 100 × 600
    expect(p).toMatchObject({ costNanos: 7_500_000n + 210_000n, retryCostNanos: 210_000n, billedAttempts: 1 });
    const withUnpriced = priceUsageEvent(
      event({
        deploymentId: 'b',
        attempts: [
          { attempt: 1, deploymentId: 'c', status: 504, usage: { promptTokens: 10, completionTokens: 1 } },
          { attempt: 2, deploymentId: 'b', status: 200, usage: { promptTokens: 1000, completionTokens: 500 } },
        ],
      }),
      d,
    );
    expect(withUnpriced).toMatchObject({ costNanos: 7_500_000n, unpriced: true, source: 'catalogue' });
  });

  it('prices the last attempt from the trail when the event has no usage of its own (the router gave up)', () => {
    const d = deployments({ a: { model: 'gpt-4o-mini' } });
    const p = priceUsageEvent(
      event({
        status: 504,
        promptTokens: 0,
        completionTokens: 0,
        deploymentId: null,
        upstreamModel: null,
        attempts: [{ attempt: 1, deploymentId: 'a', status: 504, usage: { promptTokens: 1000, completionTokens: 0 } }],
      }),
      d,
    );
    expect(p).toMatchObject({ costNanos: 150_000n, retryCostNanos: 150_000n, billedAttempts: 1 });
  });
});

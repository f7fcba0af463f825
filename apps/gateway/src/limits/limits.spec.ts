import { describe, expect, it } from 'vitest';
import { formatReset, rateLimitHeaders } from './rate-limit-headers';
import { usd } from './limits.check';
import { worstCaseCost } from './worst-case-cost';

describe('formatReset', () => {
  it('writes durations as OpenAI does', () => {
    expect(formatReset(20)).toBe('20ms');
    expect(formatReset(6000)).toBe('6s');
    expect(formatReset(5001)).toBe('6s');
    expect(formatReset(60_000)).toBe('1m0s');
    expect(formatReset(3_723_000)).toBe('1h2m3s');
  });
  it('names both windows', () => {
    expect(rateLimitHeaders({ limit: 100, remaining: 99, resetMs: 60_000 }, undefined)).toEqual({
      'x-ratelimit-limit-requests': '100',
      'x-ratelimit-remaining-requests': '99',
      'x-ratelimit-reset-requests': '1m0s',
    });
  });
});

describe('worstCaseCost', () => {
  const cap = 5_000_000_000n;
  it('prices the prompt estimate plus max_tokens at the dearest deployment', () => {
    // gpt-4o-mini: $0.15 in / $0.60 out per 1M; gpt-4o: $2.50 / $10.
    const mini = worstCaseCost({ model: 'm', promptChars: 4000, maxTokens: 100 }, [{ model: 'gpt-4o-mini' }], cap);
    expect(mini).toEqual({ costNanos: 1000n * 150n + 100n * 600n, tokens: 1100 });
    const both = worstCaseCost(
      { model: 'm', promptChars: 4000, maxTokens: 100 },
      [{ model: 'gpt-4o-mini' }, { model: 'gpt-4o' }],
      cap,
    );
    expect(both.costNanos).toBe(1000n * 2500n + 100n * 10_000n);
  });
  it("takes the model's maximum output without max_tokens, times n, and caps", () => {
    const r = worstCaseCost({ model: 'm', promptChars: 0, n: 2 }, [{ model: 'gpt-4o' }], cap);
    expect(r.costNanos).toBe(16_384n * 2n * 10_000n);
    expect(worstCaseCost({ model: 'm', promptChars: 0 }, [{ model: 'gpt-4o' }], 1000n).costNanos).toBe(1000n);
  });
  it('reserves nothing for a model without a price', () => {
    expect(worstCaseCost({ model: 'nope', promptChars: 40 }, [{ model: 'nope-x' }], cap)).toEqual({
      costNanos: 0n,
      tokens: 10,
    });
  });
});

describe('usd', () => {
  it('writes nano-USD exactly', () => {
    expect(usd(487_500n)).toBe('$0.0004875');
    expect(usd(12_500_000_000n)).toBe('$12.50');
    expect(usd(0n)).toBe('$0.00');
  });
});

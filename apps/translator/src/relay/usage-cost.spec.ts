import { describe, expect, it } from 'vitest';
import { usdText, withUsageCost } from './usage-cost';

describe('withUsageCost', () => {
  it('adds cost to the usage object of a completion, nested objects and tricky strings included', () => {
    const body =
      '{"id":"x","choices":[{"message":{"content":"a \\"usage\\":{ } } {"}}],"usage":{"prompt_tokens":3,"prompt_tokens_details":{"cached_tokens":0}}}';
    const out = withUsageCost(body, '0.00725');
    expect(JSON.parse(out)).toEqual({
      ...JSON.parse(body),
      usage: { prompt_tokens: 3, prompt_tokens_details: { cached_tokens: 0 }, cost: 0.00725 },
    });
  });

  it('adds it to each SSE chunk carrying usage, not to `usage: null`, and keeps a provider cost', () => {
    const sse =
      'data: {"choices":[{"delta":{"content":"hi"}}],"usage":null}\n\n' +
      'data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}\n\n';
    const out = withUsageCost(sse, '1.5');
    const chunks = out
      .split('\n\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l.slice(6)));
    expect(chunks[0].usage).toBeNull();
    expect(chunks[1].usage).toEqual({ prompt_tokens: 1, completion_tokens: 2, cost: 1.5 });
    const reported = '{"usage":{"prompt_tokens":1,"cost":0.25}}';
    expect(withUsageCost(reported, '9')).toBe(reported);
    expect(JSON.parse(withUsageCost('{"usage" : { }}', '0'))).toEqual({ usage: { cost: 0 } });
  });

  it('writes nano-USD as an exact decimal', () => {
    expect(usdText(7_250_000n)).toBe('0.00725');
    expect(usdText(1_000_000_000n)).toBe('1');
    expect(usdText(1n)).toBe('0.000000001');
    expect(usdText(0n)).toBe('0');
  });
});

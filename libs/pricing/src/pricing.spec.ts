import { describe, expect, it } from 'vitest';
import { costOf, costWith, listModels, lookupModel, priceKnown, usdDecimalToNanos } from './index';

describe('usdDecimalToNanos', () => {
  it('converts decimals digit by digit', () => {
    expect(usdDecimalToNanos(2.5)).toBe(2_500_000_000n);
    expect(usdDecimalToNanos(0.075)).toBe(75_000_000n);
    expect(usdDecimalToNanos(0.01875)).toBe(18_750_000n);
    expect(usdDecimalToNanos('0.000000001')).toBe(1n);
    expect(usdDecimalToNanos(0)).toBe(0n);
  });
  it('rejects what it cannot represent exactly', () => {
    expect(() => usdDecimalToNanos('1e-7')).toThrow(/plain decimal/);
    expect(() => usdDecimalToNanos('0.0000000001')).toThrow();
    expect(() => usdDecimalToNanos(-1)).toThrow();
  });
});

describe('catalogue', () => {
  it('loads every entry with sane limits', () => {
    const models = listModels();
    expect(models.length).toBeGreaterThan(40);
    for (const m of models) {
      expect(m.contextWindow).toBeGreaterThan(0);
      expect(m.inputNanosPerMTok).toBeGreaterThan(0n);
      expect(m.cachedInputNanosPerMTok).toBeLessThanOrEqual(m.inputNanosPerMTok);
      if (m.mode === 'chat') expect(m.maxOutputTokens).toBeGreaterThan(0);
    }
  });
  it('covers the common models', () => {
    for (const name of [
      'gpt-4o',
      'gpt-4o-mini',
      'gpt-4.1',
      'gpt-4.1-mini',
      'gpt-4.1-nano',
      'o1',
      'o3',
      'o3-mini',
      'o4-mini',
      'gpt-3.5-turbo',
      'gpt-5',
      'gpt-5-mini',
      'gpt-5-nano',
      'text-embedding-3-small',
      'text-embedding-3-large',
      'claude-3-5-haiku',
      'claude-3-5-sonnet',
      'claude-3-7-sonnet',
      'claude-sonnet-4',
      'claude-opus-4',
      'claude-opus-4-1',
      'claude-3-haiku',
      'gemini-1.5-pro',
      'gemini-1.5-flash',
      'gemini-2.0-flash',
      'gemini-2.5-pro',
      'gemini-2.5-flash',
      'mistral-large',
      'deepseek-chat',
      'llama-3.3-70b-versatile',
      'command-r-plus',
    ]) {
      expect(lookupModel(name)?.name, name).toBe(name);
    }
  });
});

describe('lookupModel', () => {
  it.each([
    ['gpt-4o', 'gpt-4o'],
    ['openai/gpt-4o', 'gpt-4o'],
    ['azure/gpt-4o', 'gpt-4o'],
    ['openrouter/openai/gpt-4o-mini', 'gpt-4o-mini'],
    ['gpt-4o-2024-08-06', 'gpt-4o'],
    ['GPT-4o-2024-11-20', 'gpt-4o'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['gpt-4.1-nano-2025-04-14', 'gpt-4.1-nano'],
    ['o3-mini-2025-01-31', 'o3-mini'],
    ['gpt-3.5-turbo-0125', 'gpt-3.5-turbo'],
    ['gpt-5-mini-2025-08-07', 'gpt-5-mini'],
    ['claude-3-5-sonnet-20241022', 'claude-3-5-sonnet'],
    ['anthropic/claude-3-7-sonnet-latest', 'claude-3-7-sonnet'],
    ['claude-sonnet-4-20250514', 'claude-sonnet-4'],
    ['claude-sonnet-4-0', 'claude-sonnet-4'],
    ['claude-opus-4-1-20250805', 'claude-opus-4-1'],
    ['claude-opus-4-20250514', 'claude-opus-4'],
    ['claude-3-haiku-20240307', 'claude-3-haiku'],
    ['bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0', 'claude-3-5-sonnet'],
    ['bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0', 'claude-sonnet-4'],
    ['bedrock/eu.anthropic.claude-3-7-sonnet-20250219-v1:0', 'claude-3-7-sonnet'],
    ['vertex_ai/claude-3-5-sonnet-v2@20241022', 'claude-3-5-sonnet'],
    ['vertex_ai/claude-opus-4-1@20250805', 'claude-opus-4-1'],
    ['vertex_ai/gemini-1.5-pro@002', 'gemini-1.5-pro'],
    ['gemini/gemini-1.5-pro-002', 'gemini-1.5-pro'],
    ['vertex_ai/gemini-2.5-flash', 'gemini-2.5-flash'],
    ['gemini-2.5-flash-preview-05-20', 'gemini-2.5-flash'],
    ['mistral/mistral-large-latest', 'mistral-large'],
    ['mistral-large-2411', 'mistral-large'],
    ['deepseek/deepseek-reasoner', 'deepseek-reasoner'],
    ['groq/llama-3.3-70b-versatile', 'llama-3.3-70b-versatile'],
    ['groq/llama3-70b-8192', 'llama3-70b-8192'],
    ['groq/meta-llama/llama-4-scout-17b-16e-instruct', 'meta-llama/llama-4-scout-17b-16e-instruct'],
    ['cohere/command-r-plus-08-2024', 'command-r-plus'],
    ['command-a-03-2025', 'command-a-03-2025'],
  ])('%s → %s', (input, name) => {
    expect(lookupModel(input)?.name).toBe(name);
  });

  it('is undefined for unknown models and prefers an exact listing', () => {
    expect(lookupModel('my-fine-tune')).toBeUndefined();
    expect(lookupModel('')).toBeUndefined();
    expect(lookupModel('gpt-4o-mini')?.name).toBe('gpt-4o-mini');
    expect(lookupModel('gpt-4.1-mini')?.name).toBe('gpt-4.1-mini');
    expect(priceKnown('gpt-4o')).toBe(true);
    expect(priceKnown('fake-model')).toBe(false);
  });

  it('reports limits and mode', () => {
    expect(lookupModel('gpt-4o')).toMatchObject({
      provider: 'openai',
      contextWindow: 128000,
      maxOutputTokens: 16384,
      mode: 'chat',
    });
    expect(lookupModel('text-embedding-3-small')).toMatchObject({ mode: 'embedding', outputNanosPerMTok: 0n });
  });
});

describe('costOf', () => {
  it('prices prompt, cached and completion tokens exactly (gpt-4o: $2.50 / $1.25 / $10 per 1M)', () => {
    // 800 × 2500 + 200 × 1250 + 500 × 10000 nanos
    expect(costOf('gpt-4o', { promptTokens: 1000, completionTokens: 500, cachedTokens: 200 })).toBe(7_250_000n);
    expect(costOf('gpt-4o', { promptTokens: 1000, completionTokens: 500 })).toBe(7_500_000n);
    expect(costOf('openai/gpt-4o-2024-08-06', { promptTokens: 1, completionTokens: 1, cachedTokens: 0 })).toBe(12_500n);
  });

  it('keeps sub-nano prices exact until one final rounding', () => {
    // gpt-4o-mini input $0.15/1M = 150 nanos/token, cached $0.075/1M = 75 nanos/token, output $0.60/1M = 600
    expect(costOf('gpt-4o-mini', { promptTokens: 3, completionTokens: 0, cachedTokens: 3 })).toBe(225n);
    // gpt-5-nano cached $0.005/1M = 5 nanos/token; gemini-1.5-flash cached $0.01875/1M = 18.75 nanos/token
    expect(costOf('gemini-1.5-flash', { promptTokens: 1, completionTokens: 0, cachedTokens: 1 })).toBe(19n); // 18.75 → 19
    expect(costOf('gemini-1.5-flash', { promptTokens: 4, completionTokens: 0, cachedTokens: 4 })).toBe(75n);
    expect(costOf('gemini-1.5-flash-8b', { promptTokens: 1, completionTokens: 0 })).toBe(38n); // 37.5 → 38 (half up)
    // 1000 tokens of the same summed at once are not 1000 × the rounded one-token cost
    expect(costOf('gemini-1.5-flash-8b', { promptTokens: 1000, completionTokens: 0 })).toBe(37_500n);
  });

  it('prices big requests without overflow or float drift', () => {
    // claude-opus-4: 1M prompt (100k cached) and 32k completion: 900000×15000 + 100000×1500 + 32000×75000
    expect(
      costOf('anthropic/claude-opus-4-20250514', {
        promptTokens: 1_000_000,
        completionTokens: 32_000,
        cachedTokens: 100_000,
      }),
    ).toBe(13_500_000_000n + 150_000_000n + 2_400_000_000n);
    expect(costOf('gpt-4.1', { promptTokens: 2_000_000_000, completionTokens: 0 })).toBe(4_000_000_000_000n);
  });

  it('prices embeddings by input only', () => {
    expect(costOf('text-embedding-3-small', { promptTokens: 10_000, completionTokens: 0 })).toBe(200_000n);
  });

  it('caps cached tokens at the prompt and rejects nonsense counts', () => {
    expect(costOf('gpt-4o', { promptTokens: 10, completionTokens: 0, cachedTokens: 50 })).toBe(12_500n);
    expect(() => costOf('gpt-4o', { promptTokens: -1, completionTokens: 0 })).toThrow(RangeError);
    expect(() => costOf('gpt-4o', { promptTokens: 1.5, completionTokens: 0 })).toThrow(RangeError);
  });

  it('is 0n for an unknown model', () => {
    expect(costOf('no-such-model', { promptTokens: 1000, completionTokens: 1000, cachedTokens: 0 })).toBe(0n);
  });

  it('costWith prices against a given entry', () => {
    const info = lookupModel('deepseek-chat')!;
    // 0.27 → 270 nanos/token, cached 0.07 → 70, output 1.10 → 1100
    expect(costWith(info, { promptTokens: 100, completionTokens: 10, cachedTokens: 50 })).toBe(
      50n * 270n + 50n * 70n + 10n * 1100n,
    );
  });
});

describe('well-known snapshots priced apart from their family', () => {
  const usage = { promptTokens: 1_000_000, completionTokens: 1_000_000, cachedTokens: 0 };
  it.each([
    // GPT-4 Turbo previews: $10 in / $30 out per 1M, not gpt-4's $30 / $60.
    ['gpt-4-1106-preview', 'gpt-4-turbo-preview', 10_000_000_000n, 30_000_000_000n],
    ['gpt-4-0125-preview', 'gpt-4-turbo-preview', 10_000_000_000n, 30_000_000_000n],
    ['gpt-4-turbo-preview', 'gpt-4-turbo-preview', 10_000_000_000n, 30_000_000_000n],
    ['openai/gpt-4-1106-preview', 'gpt-4-turbo-preview', 10_000_000_000n, 30_000_000_000n],
    // The first GPT-4o snapshot and ChatGPT's: $5 / $15, not gpt-4o's $2.50 / $10.
    ['chatgpt-4o-latest', 'chatgpt-4o-latest', 5_000_000_000n, 15_000_000_000n],
    ['gpt-4o-2024-05-13', 'gpt-4o-2024-05-13', 5_000_000_000n, 15_000_000_000n],
    ['azure/gpt-4o-2024-05-13', 'gpt-4o-2024-05-13', 5_000_000_000n, 15_000_000_000n],
  ])('%s is priced as %s', (model, name, input, output) => {
    const info = lookupModel(model);
    expect(info?.name).toBe(name);
    expect(info?.inputNanosPerMTok).toBe(input);
    expect(info?.outputNanosPerMTok).toBe(output);
    expect(costOf(model, usage)).toBe(input + output);
  });

  it('prices a small request exactly in nanos', () => {
    // 1234 × 10_000 + 567 × 30_000 = 29_350_000 nanos
    expect(costOf('gpt-4-1106-preview', { promptTokens: 1234, completionTokens: 567 })).toBe(29_350_000n);
    // 1234 × 5_000 + 567 × 15_000 = 14_675_000 nanos; no cached discount on these
    expect(costOf('chatgpt-4o-latest', { promptTokens: 1234, completionTokens: 567, cachedTokens: 1000 })).toBe(
      14_675_000n,
    );
    expect(costOf('gpt-4o-2024-05-13', { promptTokens: 1234, completionTokens: 567 })).toBe(14_675_000n);
    // The later gpt-4o snapshots keep gpt-4o's price: 1234 × 2_500 + 567 × 10_000 = 8_755_000
    expect(costOf('gpt-4o-2024-08-06', { promptTokens: 1234, completionTokens: 567 })).toBe(8_755_000n);
    // gpt-4 itself is unchanged: 1234 × 30_000 + 567 × 60_000 = 71_040_000
    expect(costOf('gpt-4-0613', { promptTokens: 1234, completionTokens: 567 })).toBe(71_040_000n);
  });

  it('does not strip a snapshot number once a preview suffix is gone', () => {
    // An unknown GPT-4 preview snapshot is not priced as gpt-4 ($30 / $60): unknown beats wrong.
    expect(lookupModel('gpt-4-0613-preview')).toBeUndefined();
    expect(lookupModel('gpt-4-1106-vision-preview')?.name).not.toBe('gpt-4');
    // Preview suffixes that follow a family name still resolve.
    expect(lookupModel('gemini-2.5-flash-preview-05-20')?.name).toBe('gemini-2.5-flash');
    expect(lookupModel('gpt-4.1-preview')?.name).toBe('gpt-4.1');
  });
});

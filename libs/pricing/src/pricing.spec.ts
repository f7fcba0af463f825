import { describe, expect, it } from 'vitest';
import rawCatalogue from './catalogue.json';
import azureCatalogue from './catalogue/azure.json';
import bedrockCatalogue from './catalogue/bedrock.json';
import vertexCatalogue from './catalogue/vertex_ai.json';
import {
  buildCatalogue,
  costOf,
  costWith,
  listModels,
  lookupModel,
  priceKnown,
  usdDecimalToNanos,
  type ModelInfo,
} from './index';

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
    ['mistral/mistral-large-latest', 'mistral-large-2512'],
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
    // 0.28 → 280 nanos/token, cached 0.028 → 28, output 0.42 → 420
    expect(costWith(info, { promptTokens: 100, completionTokens: 10, cachedTokens: 50 })).toBe(
      50n * 280n + 50n * 28n + 10n * 420n,
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

/** What a catalogue entry lacks that its kind of model should have; empty when it is complete. */
function missingFacts(m: ModelInfo): string[] {
  const missing: string[] = [];
  if (m.inputNanosPerMTok <= 0n) missing.push('an input price');
  if (m.contextWindow <= 0) missing.push('a context window');
  if (m.mode === 'chat') {
    if (m.outputNanosPerMTok <= 0n) missing.push('an output price');
    if (m.maxOutputTokens <= 0) missing.push('a max output');
  }
  if (m.capabilities.includes('prompt_caching') && m.cachedInputNanosPerMTok >= m.inputNanosPerMTok)
    missing.push('a cached-input price below the input price (it lists prompt_caching)');
  if (m.provider === 'anthropic' && m.cacheWriteNanosPerMTok === undefined) missing.push('a cache-write price');
  const lc = m.longContext;
  if (lc && (lc.inputNanosPerMTok <= m.inputNanosPerMTok || lc.outputNanosPerMTok < m.outputNanosPerMTok))
    missing.push('a long-context tier priced above the base tier');
  return missing;
}

const FILES = [
  ['catalogue.json', rawCatalogue],
  ['catalogue/azure.json', azureCatalogue],
  ['catalogue/bedrock.json', bedrockCatalogue],
  ['catalogue/vertex_ai.json', vertexCatalogue],
] as const;

/** A one-file catalogue with one model, for the loader's validation. */
function catalogueWith(entry: Record<string, unknown>) {
  const base = {
    provider: 'acme',
    mode: 'chat',
    inputPerMTok: 1,
    outputPerMTok: 2,
    contextWindow: 1000,
    maxOutputTokens: 100,
    capabilities: ['tools'],
  };
  return () => buildCatalogue([['catalogue/acme.json', { models: { 'acme-1': { ...base, ...entry } } }]]);
}

describe('catalogue completeness', () => {
  it('gives every model the prices and limits its kind needs', () => {
    const problems = listModels()
      .map((m) => [m.name, missingFacts(m)] as const)
      .filter(([, missing]) => missing.length > 0)
      .map(([name, missing]) => `${name} lacks ${missing.join(', ')}`);
    expect(problems).toEqual([]);
  });

  it('lists capabilities on every model of every file', () => {
    for (const [file, doc] of FILES)
      for (const [name, raw] of Object.entries(doc.models as Record<string, { capabilities?: unknown }>))
        expect(Array.isArray(raw.capabilities), `${file} ${name}`).toBe(true);
  });

  it('the completeness check catches what an entry lacks', () => {
    const [bad] = buildCatalogue([
      [
        'catalogue/acme.json',
        {
          models: {
            'claude-acme': {
              provider: 'anthropic',
              mode: 'chat',
              inputPerMTok: 3,
              outputPerMTok: 0,
              contextWindow: 200000,
              maxOutputTokens: 0,
              capabilities: ['prompt_caching'],
              longContext: { aboveInputTokens: 200000, inputPerMTok: 3, outputPerMTok: 15 },
            },
          },
        },
      ],
    ]).list;
    expect(missingFacts(bad!)).toEqual([
      'an output price',
      'a max output',
      'a cached-input price below the input price (it lists prompt_caching)',
      'a cache-write price',
      'a long-context tier priced above the base tier',
    ]);
    expect(missingFacts(lookupModel('claude-opus-4-5')!)).toEqual([]);
  });

  it('prices Anthropic cache writes at 1.25x input (5-minute writes), Claude 3 Haiku at its listed $0.30', () => {
    const anthropic = listModels().filter((m) => m.provider === 'anthropic');
    expect(anthropic.length).toBeGreaterThanOrEqual(18);
    for (const m of anthropic) {
      if (m.name === 'claude-3-haiku') expect(m.cacheWriteNanosPerMTok).toBe(300_000_000n);
      else expect(m.cacheWriteNanosPerMTok! * 4n, m.name).toBe(m.inputNanosPerMTok * 5n);
    }
  });

  it('covers the current models of every provider', () => {
    const expected: Record<string, string[]> = {
      openai: [
        'gpt-5.1',
        'gpt-5.2',
        'gpt-5.4',
        'gpt-5.4-mini',
        'gpt-5.4-nano',
        'gpt-5.5',
        'gpt-5.6-sol',
        'gpt-4.1',
        'o3',
      ],
      anthropic: [
        'claude-opus-4-5',
        'claude-opus-4-6',
        'claude-opus-4-7',
        'claude-sonnet-4-5',
        'claude-sonnet-4-6',
        'claude-sonnet-5',
        'claude-haiku-4-5',
        'claude-3-7-sonnet',
      ],
      gemini: [
        'gemini-3-pro-preview',
        'gemini-3-flash-preview',
        'gemini-3.1-pro-preview',
        'gemini-3.5-flash',
        'gemini-2.5-pro',
        'gemini-2.5-flash-lite',
        'gemini-2.0-flash',
      ],
      cohere: [
        'command-a-03-2025',
        'command-a-reasoning-08-2025',
        'command-a-vision-07-2025',
        'command-r7b-12-2024',
        'command-r',
        'command-r-plus',
      ],
      mistral: ['mistral-large-2512', 'mistral-medium-2604', 'magistral-medium', 'devstral-2512', 'codestral'],
      deepseek: ['deepseek-chat', 'deepseek-reasoner', 'deepseek-v4-pro'],
      xai: ['grok-4', 'grok-4-1-fast-reasoning', 'grok-4.20-0309-reasoning', 'grok-code-fast-1', 'grok-3-mini'],
      groq: ['openai/gpt-oss-120b', 'moonshotai/kimi-k2-instruct-0905', 'qwen/qwen3-32b', 'llama-3.3-70b-versatile'],
      cerebras: ['gpt-oss-120b', 'llama3.1-8b', 'qwen-3-32b', 'zai-glm-4.7'],
      bedrock: [
        'amazon.nova-premier',
        'amazon.nova-pro',
        'amazon.nova-lite',
        'amazon.nova-micro',
        'meta.llama3-3-70b-instruct',
        'meta.llama4-maverick-17b-instruct',
        'mistral.mistral-large-2407',
        'deepseek.r1',
        'openai.gpt-oss-120b-1:0',
      ],
      azure: ['gpt-35-turbo'],
    };
    for (const [provider, names] of Object.entries(expected))
      for (const name of names) expect(lookupModel(name), name).toMatchObject({ name, provider, mode: 'chat' });
  });
});

describe('lookupModel: dated, regional and prefixed names of current models', () => {
  it.each([
    // dated snapshots
    ['claude-opus-4-5-20251101', 'claude-opus-4-5'],
    ['claude-haiku-4-5-20251001', 'claude-haiku-4-5'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['claude-opus-4-6-20260205', 'claude-opus-4-6'],
    ['gpt-5.1-2025-11-13', 'gpt-5.1'],
    ['gpt-5.4-mini-2026-03-17', 'gpt-5.4-mini'],
    ['gpt-5.5-2026-04-23', 'gpt-5.5'],
    ['o4-mini-2025-04-16', 'o4-mini'],
    ['gemini-2.5-flash-lite-preview-09-2025', 'gemini-2.5-flash-lite'],
    ['gemini-3.1-flash-lite-preview', 'gemini-3.1-flash-lite'],
    ['grok-4-0709', 'grok-4'],
    ['grok-code-fast-1-0825', 'grok-code-fast-1'],
    ['grok-4.3-latest', 'grok-4.3'],
    ['magistral-medium-2509', 'magistral-medium'],
    ['mistral-medium-2508', 'mistral-medium'],
    ['ministral-3-14b-2512', 'ministral-3-14b'],
    ['command-r-08-2024', 'command-r'],
    ['gpt-35-turbo-0125', 'gpt-35-turbo'],
    // Bedrock ids and cross-region inference profiles
    ['bedrock/us.anthropic.claude-opus-4-5-20251101-v1:0', 'claude-opus-4-5'],
    ['eu.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5'],
    ['apac.anthropic.claude-haiku-4-5-20251001-v1:0', 'claude-haiku-4-5'],
    ['global.anthropic.claude-opus-4-6-v1', 'claude-opus-4-6'],
    ['jp.anthropic.claude-sonnet-4-6', 'claude-sonnet-4-6'],
    ['anthropic.claude-3-haiku-20240307-v1:0', 'claude-3-haiku'],
    ['amazon.nova-pro-v1:0', 'amazon.nova-pro'],
    ['us.amazon.nova-premier-v1:0', 'amazon.nova-premier'],
    ['eu.amazon.nova-lite-v1:0', 'amazon.nova-lite'],
    ['apac.amazon.nova-micro-v1:0', 'amazon.nova-micro'],
    ['bedrock/converse/us.amazon.nova-2-lite-v1:0', 'amazon.nova-2-lite'],
    ['us.amazon.nova-2-pro-preview-20251202-v1:0', 'amazon.nova-2-pro-preview'],
    ['us.meta.llama4-maverick-17b-instruct-v1:0', 'meta.llama4-maverick-17b-instruct'],
    ['meta.llama3-1-405b-instruct-v1:0', 'meta.llama3-1-405b-instruct'],
    ['bedrock/mistral.mistral-large-2407-v1:0', 'mistral.mistral-large-2407'],
    ['mistral.mixtral-8x7b-instruct-v0:1', 'mistral.mixtral-8x7b-instruct'],
    ['eu.mistral.pixtral-large-2502-v1:0', 'mistral.pixtral-large-2502'],
    ['us.deepseek.r1-v1:0', 'deepseek.r1'],
    ['deepseek.v3-v1:0', 'deepseek.v3'],
    ['openai.gpt-oss-120b-1:0', 'openai.gpt-oss-120b-1:0'],
    ['bedrock/openai.gpt-oss-20b-1:0', 'openai.gpt-oss-20b-1:0'],
    // Vertex AI @versions
    ['vertex_ai/claude-opus-4-5@20251101', 'claude-opus-4-5'],
    ['vertex_ai/claude-sonnet-4-5@20250929', 'claude-sonnet-4-5'],
    ['claude-haiku-4-5@20251001', 'claude-haiku-4-5'],
    ['vertex_ai/gemini-2.5-pro@default', 'gemini-2.5-pro'],
    ['vertex_ai/gemini-3-pro-preview', 'gemini-3-pro-preview'],
    // provider prefixes
    ['anthropic/claude-sonnet-4-6', 'claude-sonnet-4-6'],
    ['gemini/gemini-3-flash-preview', 'gemini-3-flash-preview'],
    ['gemini/gemini-3.1-pro-preview-customtools', 'gemini-3.1-pro-preview'],
    ['openai/gpt-5.6-luna', 'gpt-5.6-luna'],
    ['azure/gpt-5.4', 'gpt-5.4'],
    ['azure/gpt-35-turbo', 'gpt-35-turbo'],
    ['xai/grok-4-1-fast-non-reasoning', 'grok-4-1-fast-non-reasoning'],
    ['deepseek/deepseek-v4-flash', 'deepseek-v4-flash'],
    ['mistral/mistral-medium-latest', 'mistral-medium-2604'],
    ['mistral/devstral-latest', 'devstral-2512'],
    ['cohere/command-a-reasoning-08-2025', 'command-a-reasoning-08-2025'],
    ['cohere_chat/command-a-vision', 'command-a-vision-07-2025'],
    ['cohere/command-r7b', 'command-r7b-12-2024'],
    // one open model, several hosts: each host's own id finds its own price
    ['groq/openai/gpt-oss-120b', 'openai/gpt-oss-120b'],
    ['cerebras/gpt-oss-120b', 'gpt-oss-120b'],
    ['groq/moonshotai/kimi-k2-instruct-0905', 'moonshotai/kimi-k2-instruct-0905'],
  ])('%s → %s', (input, name) => {
    expect(lookupModel(input)?.name).toBe(name);
  });

  it('prices each host of one open model at its own rate', () => {
    expect(lookupModel('groq/openai/gpt-oss-120b')).toMatchObject({
      provider: 'groq',
      inputNanosPerMTok: 150_000_000n,
    });
    expect(lookupModel('cerebras/gpt-oss-120b')).toMatchObject({
      provider: 'cerebras',
      inputNanosPerMTok: 350_000_000n,
    });
    expect(lookupModel('us.openai.gpt-oss-120b-1:0')).toMatchObject({
      provider: 'bedrock',
      inputNanosPerMTok: 150_000_000n,
    });
  });
});

describe('capabilities, cache writes and long-context tiers', () => {
  it('exposes capabilities', () => {
    expect(lookupModel('claude-opus-4-5')?.capabilities).toEqual([
      'tools',
      'vision',
      'json_schema',
      'reasoning',
      'prompt_caching',
    ]);
    expect(lookupModel('text-embedding-3-small')?.capabilities).toEqual(['embeddings']);
    expect(lookupModel('deepseek.r1')?.capabilities).toEqual(['reasoning']);
  });

  it('exposes cache-write prices where writes are billed apart', () => {
    expect(lookupModel('claude-sonnet-4-5')).toMatchObject({
      cacheWriteNanosPerMTok: 3_750_000_000n,
      usdPerMTok: { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 },
    });
    expect(lookupModel('bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0')?.cacheWriteNanosPerMTok).toBe(
      1_250_000_000n,
    );
    expect(lookupModel('gpt-5.6-terra')?.cacheWriteNanosPerMTok).toBe(3_125_000_000n);
    expect(lookupModel('gpt-4o')?.cacheWriteNanosPerMTok).toBeUndefined();
    expect(lookupModel('amazon.nova-pro')?.cacheWriteNanosPerMTok).toBeUndefined();
  });

  it('exposes the price above a context threshold', () => {
    expect(lookupModel('gemini-2.5-pro')?.longContext).toEqual({
      aboveInputTokens: 200_000,
      inputNanosPerMTok: 2_500_000_000n,
      outputNanosPerMTok: 15_000_000_000n,
      cachedInputNanosPerMTok: 250_000_000n,
      usdPerMTok: { input: 2.5, output: 15, cachedInput: 0.25 },
    });
    for (const name of ['claude-sonnet-4', 'claude-sonnet-4-5', 'anthropic/claude-sonnet-4-5-20250929'])
      expect(lookupModel(name)?.longContext, name).toMatchObject({
        aboveInputTokens: 200_000,
        inputNanosPerMTok: 6_000_000_000n,
        outputNanosPerMTok: 22_500_000_000n,
        cachedInputNanosPerMTok: 600_000_000n,
        cacheWriteNanosPerMTok: 7_500_000_000n,
      });
    expect(lookupModel('gemini-3-pro-preview')?.longContext).toMatchObject({
      aboveInputTokens: 200_000,
      inputNanosPerMTok: 4_000_000_000n,
    });
    expect(lookupModel('gpt-5.4')?.longContext).toMatchObject({
      aboveInputTokens: 272_000,
      inputNanosPerMTok: 5_000_000_000n,
    });
    expect(lookupModel('grok-4-0709')?.longContext).toMatchObject({
      aboveInputTokens: 128_000,
      cachedInputNanosPerMTok: 6_000_000_000n,
    });
    expect(lookupModel('claude-opus-4-5')?.longContext).toBeUndefined();
  });
});

describe('catalogue validation', () => {
  it('loads a valid entry', () => {
    const { list } = catalogueWith({
      capabilities: ['tools', 'prompt_caching'],
      cachedInputPerMTok: 0.1,
      cacheWritePerMTok: 1.25,
      longContext: { aboveInputTokens: 500, inputPerMTok: 2, outputPerMTok: 4, cachedInputPerMTok: 0.2 },
    })();
    expect(list[0]).toMatchObject({
      name: 'acme-1',
      capabilities: ['tools', 'prompt_caching'],
      cacheWriteNanosPerMTok: 1_250_000_000n,
      longContext: { aboveInputTokens: 500, cachedInputNanosPerMTok: 200_000_000n },
    });
  });

  it('rejects an unknown capability, naming the file and the model', () => {
    expect(catalogueWith({ capabilities: ['tools', 'telepathy'] })).toThrow(
      'libs/pricing/src/catalogue/acme.json models["acme-1"].capabilities: unknown capability "telepathy"; use one of tools, vision, json_schema, reasoning, prompt_caching, embeddings.',
    );
  });

  it.each([
    [{ capabilities: 'tools' }, /capabilities must be a list/],
    [{ capabilities: ['tools', 'tools'] }, /capabilities lists "tools" twice/],
    [{ capabilities: ['tools', 'embeddings'] }, /"embeddings" is for mode "embedding" models/],
    [{ mode: 'embedding', capabilities: ['tools'] }, /an embedding model lists "embeddings"/],
    [{ capabilites: ['tools'] }, /models\["acme-1"\] has an unknown field "capabilites"/],
    [{ cachedInputPerMTok: 1.5 }, /models\["acme-1"\]\.cachedInputPerMTok is above the input price/],
    [{ cacheWritePerMTok: '1e-3' }, /models\["acme-1"\]\.cacheWritePerMTok: "1e-3" is not a plain decimal/],
    [{ longContext: 2 }, /models\["acme-1"\]\.longContext must be an object/],
    [
      { longContext: { inputPerMTok: 2, outputPerMTok: 4 } },
      /longContext\.aboveInputTokens must be a positive integer/,
    ],
    [
      { longContext: { aboveInputTokens: 500, inputPerMTok: 2, outputPerMTok: 4, cachedInputPerMTok: 3 } },
      /longContext\.cachedInputPerMTok is above the input price/,
    ],
    [
      { longContext: { aboveInputTokens: 500, inputPerMTok: 2, outputPerMTok: 4, above: 1 } },
      /longContext has an unknown field "above"/,
    ],
    [{ aliases: 'acme' }, /models\["acme-1"\]\.aliases must be a list of model names/],
  ])('rejects %j', (entry, message) => {
    expect(catalogueWith(entry)).toThrow(message);
  });
});

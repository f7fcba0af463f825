import { describe, expect, it } from 'vitest';
import rawCatalogue from './catalogue.json';
import { costBreakdown, costOf, type PriceSheet } from './cost';
import { importLitellmPrices } from './litellm-import';
import { buildCatalogue, CATALOGUE_VERSION, lookupModel } from './model-catalogue';
import {
  applyPriceOverrides,
  litellmPriceOverrides,
  perTokenToNanosPerMTok,
  resolvePrice,
  shiftDecimal,
} from './price-overrides';
import { priceCall } from './usage-price';

const M = 1_000_000_000n; // $1 per 1M tokens, in nano-USD per 1M tokens

describe('costBreakdown: every part at its own rate, against hand-computed figures', () => {
  it('prices input, cached reads, cache writes, output and reasoning (claude-sonnet-4-5)', () => {
    // $3 in, $0.30 cached, $3.75 write, $15 out: 3000, 300, 3750, 15000 nano-USD per token.
    const b = costBreakdown(lookupModel('claude-sonnet-4-5')!, {
      promptTokens: 10_000,
      cachedTokens: 2_000,
      cacheWriteTokens: 3_000,
      completionTokens: 1_000,
      reasoningTokens: 400,
    });
    expect(b).toEqual({
      inputNanos: 5_000n * 3_000n,
      cachedNanos: 2_000n * 300n,
      cacheWriteNanos: 3_000n * 3_750n,
      outputNanos: 600n * 15_000n,
      reasoningNanos: 400n * 15_000n,
      requestNanos: 0n,
      imageNanos: 0n,
      totalNanos: 41_850_000n,
      longContext: false,
    });
  });

  it('bills the whole request at the long-context tier once the prompt is above the threshold', () => {
    const sonnet = lookupModel('claude-sonnet-4-5')!;
    // $6 in, $0.60 cached, $7.50 write, $22.50 out above 200k.
    const tiered = costBreakdown(sonnet, {
      promptTokens: 250_000,
      cachedTokens: 50_000,
      cacheWriteTokens: 20_000,
      completionTokens: 2_000,
    });
    expect(tiered).toMatchObject({
      inputNanos: 180_000n * 6_000n,
      cachedNanos: 50_000n * 600n,
      cacheWriteNanos: 20_000n * 7_500n,
      outputNanos: 2_000n * 22_500n,
      totalNanos: 1_305_000_000n,
      longContext: true,
    });
    // At the threshold exactly the base prices apply ("above 200k").
    expect(costBreakdown(sonnet, { promptTokens: 200_000, completionTokens: 0 })).toMatchObject({
      totalNanos: 600_000_000n,
      longContext: false,
    });
    // gemini-2.5-pro: $1.25/$10 up to 200k, $2.50/$15 above.
    expect(costOf('gemini-2.5-pro', { promptTokens: 200_001, completionTokens: 10 })).toBe(
      200_001n * 2_500n + 10n * 15_000n,
    );
    expect(costOf('gemini-2.5-pro', { promptTokens: 200_000, completionTokens: 10 })).toBe(
      200_000n * 1_250n + 10n * 10_000n,
    );
    // A tier without its own cache-write price bills writes at the tier's input price (gpt-5.4: $5 above 272k).
    expect(
      costBreakdown(lookupModel('gpt-5.4')!, { promptTokens: 300_000, cacheWriteTokens: 1_000, completionTokens: 0 }),
    ).toMatchObject({ cacheWriteNanos: 1_000n * 5_000n, inputNanos: 299_000n * 5_000n });
  });

  it('prices reasoning apart, per request and per image when a sheet says so', () => {
    const sheet: PriceSheet = {
      inputNanosPerMTok: 1n * M,
      outputNanosPerMTok: 2n * M,
      cachedInputNanosPerMTok: 1n * M,
      reasoningNanosPerMTok: 4n * M,
      requestNanos: 5_000_000n,
      imageNanos: 1_000_000n,
    };
    expect(
      costBreakdown(sheet, { promptTokens: 100, completionTokens: 50, reasoningTokens: 20, images: 3 }),
    ).toMatchObject({
      inputNanos: 100_000n,
      outputNanos: 60_000n,
      reasoningNanos: 80_000n,
      requestNanos: 5_000_000n,
      imageNanos: 3_000_000n,
      totalNanos: 8_240_000n,
    });
  });

  it('bills cache writes at the input price where the provider does not bill them apart (gpt-4o)', () => {
    expect(
      costBreakdown(lookupModel('gpt-4o')!, { promptTokens: 100, cacheWriteTokens: 40, completionTokens: 0 }),
    ).toMatchObject({ inputNanos: 60n * 2_500n, cacheWriteNanos: 40n * 2_500n, totalNanos: 250_000n });
  });

  it('rounds each part half-up once, and the total is the sum of the parts', () => {
    // gemini-1.5-flash-8b: $0.0375 in = 37.5 nanos per token; cached $0.01 = 10.
    const b = costBreakdown(lookupModel('gemini-1.5-flash-8b')!, {
      promptTokens: 3,
      completionTokens: 0,
      cachedTokens: 1,
    });
    expect(b).toMatchObject({ inputNanos: 75n, cachedNanos: 10n, totalNanos: 85n });
  });

  it('never lets a part go negative when a provider reports more of a part than its whole', () => {
    const b = costBreakdown(lookupModel('gpt-4o')!, {
      promptTokens: 10,
      cachedTokens: 8,
      cacheWriteTokens: 8,
      completionTokens: 5,
      reasoningTokens: 9,
    });
    expect(b).toMatchObject({
      inputNanos: 0n,
      cachedNanos: 8n * 1_250n,
      cacheWriteNanos: 2n * 2_500n,
      outputNanos: 0n,
    });
    expect(b.reasoningNanos).toBe(5n * 10_000n);
  });
});

describe('LiteLLM price fields', () => {
  it('converts USD per token to nano-USD per 1M tokens on the digits', () => {
    expect(perTokenToNanosPerMTok(2.5e-6)).toBe(2_500_000_000n);
    expect(perTokenToNanosPerMTok(0.00000015)).toBe(150_000_000n);
    expect(perTokenToNanosPerMTok('1e-7')).toBe(100_000_000n);
    expect(perTokenToNanosPerMTok(3.75e-6)).toBe(3_750_000_000n);
    expect(shiftDecimal('3.3333333333333335e-7', 15)).toBe(333_333_333n);
    expect(shiftDecimal(0.1, 9)).toBe(100_000_000n);
    expect(() => perTokenToNanosPerMTok(-1)).toThrow(/non-negative/);
    expect(() => perTokenToNanosPerMTok('cheap')).toThrow(/non-negative/);
  });

  it("reads a deployment's model_info prices, the long-context tier included", () => {
    expect(
      litellmPriceOverrides(
        {
          id: 'x',
          base_model: 'gpt-4o',
          input_cost_per_token: 2.5e-6,
          output_cost_per_token: 0.00001,
          cache_read_input_token_cost: 1.25e-7,
          cache_creation_input_token_cost: 3.125e-6,
          output_cost_per_reasoning_token: 0.00002,
          input_cost_per_request: 0.005,
          input_cost_per_token_above_200k_tokens: 5e-6,
          output_cost_per_token_above_200k_tokens: 0.000015,
        },
        'model_info',
      ),
    ).toEqual({
      inputNanosPerMTok: 2_500_000_000n,
      outputNanosPerMTok: 10_000_000_000n,
      cachedInputNanosPerMTok: 125_000_000n,
      cacheWriteNanosPerMTok: 3_125_000_000n,
      reasoningNanosPerMTok: 20_000_000_000n,
      requestNanos: 5_000_000n,
      longContext: {
        aboveInputTokens: 200_000,
        inputNanosPerMTok: 5_000_000_000n,
        outputNanosPerMTok: 15_000_000_000n,
      },
    });
    expect(litellmPriceOverrides({ id: 'x', mode: 'chat' }, 'model_info')).toBeUndefined();
  });

  it('refuses a price it cannot apply, a value that is not a price, and two thresholds', () => {
    expect(() => litellmPriceOverrides({ input_cost_per_audio_token: 1e-6 }, 'm')).toThrow(
      /m\.input_cost_per_audio_token is a price Switchyard cannot apply/,
    );
    // Image counts are not reported yet: a per-image price would never apply.
    expect(() => litellmPriceOverrides({ input_cost_per_image: 0.001 }, 'm')).toThrow(/cannot apply/);
    expect(() => litellmPriceOverrides({ input_cost_per_token: 'free' }, 'm')).toThrow(/m\.input_cost_per_token/);
    expect(() => litellmPriceOverrides({ input_cost_per_token: { usd: 1 } }, 'm')).toThrow(/must be a number/);
    expect(() =>
      litellmPriceOverrides(
        { input_cost_per_token_above_128k_tokens: 1e-6, input_cost_per_token_above_200k_tokens: 2e-6 },
        'm',
      ),
    ).toThrow(/one long-context threshold/);
  });

  it('applies overrides over the catalogue, and prices a model the catalogue lacks', () => {
    const gpt4o = lookupModel('gpt-4o')!;
    expect(applyPriceOverrides(gpt4o, { outputNanosPerMTok: 20n * M })).toMatchObject({
      inputNanosPerMTok: 2_500_000_000n,
      cachedInputNanosPerMTok: 1_250_000_000n,
      outputNanosPerMTok: 20n * M,
    });
    expect(applyPriceOverrides(undefined, { inputNanosPerMTok: 1n * M })).toEqual({
      inputNanosPerMTok: 1n * M,
      outputNanosPerMTok: 0n,
      cachedInputNanosPerMTok: 1n * M,
    });
    expect(applyPriceOverrides(undefined, { outputNanosPerMTok: 1n * M })).toBeUndefined();
    // A base price overridden drops the catalogue's tier (it was priced against the catalogue's base).
    expect(
      applyPriceOverrides(lookupModel('gemini-2.5-pro')!, { inputNanosPerMTok: 1n * M })?.longContext,
    ).toBeUndefined();
    expect(resolvePrice('no-such-model')).toBeUndefined();
    expect(resolvePrice('no-such-model', { inputNanosPerMTok: M })?.source).toBe('override');
  });
});

describe('priceCall', () => {
  it('prefers base_model to the upstream model, and flags a call it cannot price', () => {
    expect(
      priceCall({ upstreamModel: 'ft:my-model', baseModel: 'gpt-4o-mini' }, { promptTokens: 10, completionTokens: 0 }),
    ).toMatchObject({
      pricedAs: 'gpt-4o-mini',
      source: 'catalogue',
      unpriced: false,
      breakdown: { totalNanos: 1_500n },
    });
    expect(priceCall({ upstreamModel: 'ft:my-model' }, { promptTokens: 10, completionTokens: 0 })).toMatchObject({
      source: null,
      unpriced: true,
      breakdown: { totalNanos: 0n },
    });
    expect(priceCall({ upstreamModel: 'gpt-4o' }, { promptTokens: 10, completionTokens: 0 }, 7)).toMatchObject({
      source: 'provider',
      breakdown: { totalNanos: 7n, inputNanos: 0n },
    });
  });
});

describe('LiteLLM price map import', () => {
  const doc = {
    sample_spec: { input_cost_per_token: 0 },
    'acme/chat-pro': {
      litellm_provider: 'acme',
      mode: 'chat',
      max_input_tokens: 1_000_000,
      max_output_tokens: 65_536,
      input_cost_per_token: 1.25e-6,
      output_cost_per_token: 0.00001,
      cache_read_input_token_cost: 1.25e-7,
      input_cost_per_token_above_200k_tokens: 2.5e-6,
      output_cost_per_token_above_200k_tokens: 0.000015,
      input_cost_per_audio_token: 1e-6,
      supports_function_calling: true,
      supports_vision: true,
      supports_reasoning: true,
    },
    'acme/embed': { litellm_provider: 'acme', mode: 'embedding', max_input_tokens: 8192, input_cost_per_token: 2e-8 },
    'acme/paint': { litellm_provider: 'acme', mode: 'image_generation', output_cost_per_image: 0.04 },
    'acme/free': { litellm_provider: 'acme', mode: 'chat', max_input_tokens: 10 },
  };

  it('converts entries exactly and says what it left out', () => {
    const out = importLitellmPrices(doc);
    expect(out.models['acme/chat-pro']).toEqual({
      provider: 'acme',
      mode: 'chat',
      inputPerMTok: 1.25,
      outputPerMTok: 10,
      cachedInputPerMTok: 0.125,
      longContext: { aboveInputTokens: 200_000, inputPerMTok: 2.5, outputPerMTok: 15 },
      contextWindow: 1_000_000,
      maxOutputTokens: 65_536,
      capabilities: ['tools', 'vision', 'reasoning'],
    });
    expect(out.models['acme/embed']).toMatchObject({
      mode: 'embedding',
      inputPerMTok: 0.02,
      capabilities: ['embeddings'],
    });
    expect(out.skipped.map((s) => s.name).sort()).toEqual(['acme/free', 'acme/paint']);
    expect(out.ignoredFields).toEqual({ input_cost_per_audio_token: 1 });
  });

  it('loads into the catalogue, replacing a built-in entry of the same name, and prices as LiteLLM would', () => {
    const imported = importLitellmPrices({
      ...doc,
      'gpt-4o': {
        litellm_provider: 'openai',
        max_input_tokens: 128_000,
        input_cost_per_token: 1e-6,
        output_cost_per_token: 2e-6,
      },
    });
    const { byName, list } = buildCatalogue(
      [['catalogue.json', rawCatalogue]],
      [['catalogue/imported.json', imported]],
    );
    expect(byName.get('gpt-4o')?.inputNanosPerMTok).toBe(1n * M);
    expect(list.filter((m) => m.name === 'gpt-4o')).toHaveLength(1);
    const pro = byName.get('acme/chat-pro')!;
    // 300k prompt above the 200k tier: 300_000 × 2500 + 1_000 × 15000
    expect(costBreakdown(pro, { promptTokens: 300_000, completionTokens: 1_000 }).totalNanos).toBe(765_000_000n);
  });

  it('refuses a document that is not a price map', () => {
    expect(() => importLitellmPrices([])).toThrow(/JSON object keyed by model name/);
  });
});

describe('catalogue version', () => {
  it('is a short content hash', () => {
    expect(CATALOGUE_VERSION).toMatch(/^[0-9a-f]{12}$/);
  });
});

import { describe, expect, it } from 'vitest';
import { costOf } from './cost';
import { lookupModel } from './model-catalogue';

describe('catalogue: embedding and completion models', () => {
  it.each([
    ['text-embedding-3-small', 'embedding', 20_000_000n],
    ['amazon.titan-embed-text-v2:0', 'embedding', 20_000_000n],
    ['amazon.titan-embed-text-v1', 'embedding', 100_000_000n],
    ['cohere.embed-english-v3', 'embedding', 100_000_000n],
    ['cohere.embed-v4:0', 'embedding', 120_000_000n],
    ['text-embedding-005', 'embedding', 100_000_000n],
    ['embed-v4.0', 'embedding', 120_000_000n],
    ['gpt-3.5-turbo-instruct', 'completion', 1_500_000_000n],
  ])('%s is a %s model priced by input tokens', (model, mode, nanosPerMTok) => {
    const info = lookupModel(model);
    expect(info?.mode).toBe(mode);
    expect(info?.inputNanosPerMTok).toBe(nanosPerMTok);
    expect(costOf(model, { promptTokens: 1_000_000, completionTokens: 0 })).toBe(nanosPerMTok);
  });
});

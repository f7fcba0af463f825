import { describe, expect, it } from 'vitest';
import { unsupportedParams } from './param-support';

describe('unsupportedParams (require_parameters)', () => {
  it("reads each adapter's parameter map", () => {
    expect(unsupportedParams({ provider: 'openai', model: 'gpt-4o' }, ['logprobs', 'seed', 'whatever'])).toEqual([]);
    expect(unsupportedParams({ provider: 'groq', model: 'llama' }, ['logprobs', 'temperature'])).toEqual(['logprobs']);
    expect(unsupportedParams({ provider: 'anthropic', model: 'claude-sonnet-4' }, ['temperature', 'seed'])).toEqual([
      'seed',
    ]);
    // Bedrock's map refuses fields it does not name.
    expect(unsupportedParams({ provider: 'bedrock', model: 'anthropic.claude' }, ['made_up'])).toEqual(['made_up']);
    expect(unsupportedParams({ provider: 'vertex_ai', model: 'gemini-2.5-pro' }, ['temperature'])).toEqual([]);
  });
});

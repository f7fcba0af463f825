import { describe, expect, it } from 'vitest';
import { validateChatRequest } from './openai-chat.validator';

const ok = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };

describe('validateChatRequest', () => {
  it('accepts a minimal request and reads the fields the gateway needs', () => {
    const r = validateChatRequest({
      ...ok,
      stream: true,
      stream_options: { include_usage: true },
      user: 'u1',
      metadata: { tags: ['a', 1] },
    });
    expect(r).toEqual({
      ok: true,
      value: {
        model: 'gpt-4o',
        stream: true,
        includeUsage: true,
        user: 'u1',
        tags: ['a'],
        promptChars: 2,
        strip: [],
        streamOptions: { include_usage: true },
        metadataNeedsEdit: true,
      },
    });
  });

  it('summarises what routing and billing need: prompt size, max tokens, routing hints, members to strip', () => {
    const r = validateChatRequest({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Hello' }] },
        {
          role: 'assistant',
          tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
        },
      ],
      max_completion_tokens: 300,
      models: ['claude-sonnet-4', 'gpt-4o-mini'],
      fallbacks: ['local'],
      provider: { order: ['anthropic'], allow_fallbacks: false },
      route: 'fallback',
    });
    expect(r.ok && r.value).toMatchObject({
      promptChars: 'Be brief.'.length + 'Hello'.length + '{"a":1}'.length,
      maxTokens: 300,
      models: ['claude-sonnet-4', 'gpt-4o-mini', 'local'],
      provider: { order: ['anthropic'], allow_fallbacks: false },
      strip: ['models', 'provider', 'route', 'fallbacks'],
    });
  });

  it('refuses routing hints of the wrong shape with OpenAI-style 400s naming the parameter', () => {
    const err = (extra: Record<string, unknown>) => {
      const r = validateChatRequest({ ...ok, ...extra });
      return r.ok ? undefined : { param: r.error.param, code: r.error.code, status: r.error.status };
    };
    expect(err({ models: 'gpt-4o' })).toEqual({ param: 'models', code: 'invalid_type', status: 400 });
    expect(err({ models: ['gpt-4o', 3] })).toEqual({ param: 'models', code: 'invalid_type', status: 400 });
    expect(err({ fallbacks: [''] })).toEqual({ param: 'fallbacks', code: 'invalid_type', status: 400 });
    expect(err({ models: Array.from({ length: 17 }, (_, i) => `m${i}`) })).toEqual({
      param: 'models',
      code: 'invalid_value',
      status: 400,
    });
    expect(err({ provider: ['openai'] })).toEqual({ param: 'provider', code: 'invalid_type', status: 400 });
    expect(err({ models: ['a'], provider: { sort: 'price' } })).toBeUndefined();
    expect(err({ provider: { order: 'openai' } })).toEqual({
      param: 'provider.order',
      code: 'invalid_type',
      status: 400,
    });
    expect(err({ provider: { sort: 'fastest' } })).toEqual({
      param: 'provider.sort',
      code: 'invalid_value',
      status: 400,
    });
    expect(err({ provider: { max_price: { prompt: 'cheap' } } })).toEqual({
      param: 'provider.max_price.prompt',
      code: 'invalid_value',
      status: 400,
    });
    expect(err({ provider: { allow_fallback: false } })).toEqual({
      param: 'provider.allow_fallback',
      code: 'unknown_parameter',
      status: 400,
    });
    expect(err({ num_retries: -1 })).toEqual({ param: 'num_retries', code: 'invalid_value', status: 400 });
    expect(err({ num_retries: 11 })).toEqual({ param: 'num_retries', code: 'invalid_value', status: 400 });
    expect(err({ disable_fallbacks: 'yes' })).toEqual({
      param: 'disable_fallbacks',
      code: 'invalid_type',
      status: 400,
    });
  });

  it("carries LiteLLM's num_retries and disable_fallbacks in the summary, stripped from the body", () => {
    const r = validateChatRequest({ ...ok, num_retries: 2, disable_fallbacks: true });
    expect(r.ok && r.value).toMatchObject({
      numRetries: 2,
      disableFallbacks: true,
      strip: ['num_retries', 'disable_fallbacks'],
    });
  });

  it('carries what the request needs of a model, and its parameters when require_parameters asks', () => {
    const r = validateChatRequest({
      ...ok,
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:,' } }] }],
      tools: [{ type: 'function', function: { name: 'f' } }],
      response_format: { type: 'json_schema', json_schema: { name: 's', schema: {} } },
      reasoning_effort: 'low',
      temperature: 0.2,
      logprobs: null,
      provider: { require_parameters: true },
    });
    expect(r.ok && r.value.needs).toEqual(['tools', 'vision', 'json_schema', 'reasoning']);
    expect(r.ok && r.value.params).toEqual(['tools', 'response_format', 'reasoning_effort', 'temperature']);
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`x${i}`, 1]));
    const refused = validateChatRequest({ ...ok, ...many, provider: { require_parameters: true } });
    expect(!refused.ok && refused.error.param).toBe('provider.require_parameters');
    const plain = validateChatRequest({ ...ok, temperature: 0.2, response_format: { type: 'json_object' } });
    expect(plain.ok && plain.value.needs).toBeUndefined();
    expect(plain.ok && plain.value.params).toBeUndefined();
  });

  it.each([
    [[], null, 'JSON object'],
    [{ messages: ok.messages }, 'model', "Missing required parameter: 'model'"],
    [{ ...ok, model: 3 }, 'model', 'expected a non-empty string'],
    [{ model: 'x' }, 'messages', "Missing required parameter: 'messages'"],
    [{ model: 'x', messages: 'hi' }, 'messages', 'expected an array'],
    [{ model: 'x', messages: [] }, 'messages', 'empty array'],
    [{ model: 'x', messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role', 'expected one of'],
    [{ model: 'x', messages: [5] }, 'messages[0]', 'expected an object'],
    [{ model: 'x', messages: [{ role: 'user', content: 5 }] }, 'messages[0].content', 'string or an array'],
    [{ ...ok, stream: 'yes' }, 'stream', 'expected a boolean'],
    [{ ...ok, stream_options: { include_usage: true } }, 'stream_options', "only allowed when 'stream'"],
    [{ ...ok, temperature: 3 }, 'temperature', 'between 0 and 2'],
    [{ ...ok, temperature: '1' }, 'temperature', 'expected a number'],
    [{ ...ok, max_tokens: 1.5 }, 'max_tokens', 'expected an integer'],
    [{ ...ok, n: 0 }, 'n', 'between 1 and 128'],
    [{ ...ok, stop: [1] }, 'stop', 'array of strings'],
  ])('rejects %j with param %s', (body, param, message) => {
    const r = validateChatRequest(body);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.status).toBe(400);
      expect(r.error.type).toBe('invalid_request_error');
      expect(r.error.param).toBe(param);
      expect(r.error.message).toContain(message);
    }
  });
});

import type { ProviderDeployment } from '../provider-deployment';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { staticRequestContext } from '../credentials/credentials.types';
import { describe, expect, it, vi } from 'vitest';
import type { ChatCompletionRequest } from '../openai-types';
import { ProviderError, type ChatInput } from '../provider-adapter';
import { chatInput } from '../chat-input';
import { adapterFor, UnsupportedProviderError } from '../provider.registry';
import { SseParser } from '../sse/sse.parser';
import { transportError } from '../upstream-errors';
import { openAIAdapter } from './openai.adapter';
import { normaliseOpenAIError } from './openai.errors';
import { parseOpenAIResponse } from './openai.response';

const fx = (name: string): string => readFileSync(join(__dirname, '__fixtures__', name), 'utf8');
const enc = new TextEncoder();

const dep = (over: Partial<ProviderDeployment> = {}): ProviderDeployment => ({
  id: 'dep-1',
  modelName: 'gpt-4o-mini',
  provider: 'openai',
  model: 'gpt-4o-mini',
  apiKey: 'sk-test-secret-123456',
  apiKeyEnv: 'OPENAI_API_KEY',
  ...over,
});

function input(body: ChatCompletionRequest): ChatInput {
  return chatInput(enc.encode(JSON.stringify(body)));
}

function bodyOf(b: string | Uint8Array): ChatCompletionRequest {
  return JSON.parse(typeof b === 'string' ? b : new TextDecoder().decode(b)) as ChatCompletionRequest;
}

function translate(sse: string, includeUsage: boolean) {
  const parser = new SseParser();
  const tr = openAIAdapter.chat.createStreamTranslator({ includeUsage });
  let out = '';
  for (const ev of [...parser.push(enc.encode(sse)), ...parser.end()]) out += tr.push(ev);
  tr.end();
  return { out, state: tr.state };
}

describe('openai request mapping', () => {
  it('forwards the client bytes untouched when model already matches and no stream', () => {
    const i = input(JSON.parse(fx('chat-request.json')));
    const req = openAIAdapter.chat.buildRequest(i, dep(), staticRequestContext(dep()));
    expect(req.body).toBe(i.raw);
    expect(req.url).toBe('https://api.openai.com/v1/chat/completions');
    expect(req.method).toBe('POST');
    expect(req.headers['authorization']).toBe('Bearer sk-test-secret-123456');
    expect(req.headers['content-type']).toBe('application/json');
  });

  it('sets model to the deployment model and keeps every other field', () => {
    const i = input({ ...JSON.parse(fx('chat-request.json')), model: 'my-alias', seed: 7 });
    const req = openAIAdapter.chat.buildRequest(
      i,
      dep({ apiBase: 'http://127.0.0.1:9999/v1', organization: 'org-1' }),
      staticRequestContext(dep({ apiBase: 'http://127.0.0.1:9999/v1', organization: 'org-1' })),
    );
    expect(req.url).toBe('http://127.0.0.1:9999/v1/chat/completions');
    expect(req.headers['openai-organization']).toBe('org-1');
    const b = bodyOf(req.body);
    expect(b.model).toBe('gpt-4o-mini');
    expect(b['seed']).toBe(7);
    expect(b.max_completion_tokens).toBe(64);
    expect(b.messages).toEqual(i.body.messages);
  });

  it('always asks upstream for usage on streams, keeping other stream options', () => {
    const i = input({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_obfuscation: false },
    });
    const req = openAIAdapter.chat.buildRequest(i, dep(), staticRequestContext(dep()));
    expect(req.headers['accept']).toBe('text/event-stream');
    expect(bodyOf(req.body).stream_options).toEqual({ include_obfuscation: false, include_usage: true });
    const already = input({
      model: 'gpt-4o-mini',
      messages: [],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(openAIAdapter.chat.buildRequest(already, dep(), staticRequestContext(dep())).body).toBe(already.raw);
  });

  it('edits only model and stream_options in the client bytes, re-serialising nothing else', () => {
    const raw =
      '{ "model" : "my-alias", "messages": [{"role":"user","content":"x  \\u00e9 \\"model\\": 1"}], "stream": true }';
    const i: ChatInput = chatInput(enc.encode(raw));
    const out = new TextDecoder().decode(
      openAIAdapter.chat.buildRequest(i, dep(), staticRequestContext(dep())).body as Uint8Array,
    );
    expect(out).toBe(
      '{"stream_options":{"include_usage":true}, "model" : "gpt-4o-mini", "messages": [{"role":"user","content":"x  \\u00e9 \\"model\\": 1"}], "stream": true }',
    );
    // Duplicate keys cannot be edited safely: the body is re-serialised from the parse (last key wins).
    const dup = '{"model":"gpt-4o-mini","messages":[],"model":"expensive"}';
    const d: ChatInput = chatInput(enc.encode(dup));
    expect(bodyOf(openAIAdapter.chat.buildRequest(d, dep(), staticRequestContext(dep())).body)).toEqual({
      model: 'gpt-4o-mini',
      messages: [],
    });
  });

  it('applies litellm_params request defaults the client left out, and extra_headers', () => {
    const d = dep({
      requestDefaults: { temperature: 0.1, max_tokens: 256, seed: 7 },
      params: { family: 'openai', model: 'openai/gpt-4o-mini', extra_headers: { 'X-Tenant': 'acme' } },
    } as Partial<ProviderDeployment>);
    const req = openAIAdapter.chat.buildRequest(
      chatInput(enc.encode('{"model":"gpt-4o-mini","messages":[],"temperature":0.9,"seed":null}')),
      d,
      staticRequestContext(d),
    );
    expect(bodyOf(req.body)).toEqual({
      model: 'gpt-4o-mini',
      messages: [],
      temperature: 0.9,
      max_tokens: 256,
      seed: 7,
    });
    expect(req.headers['x-tenant']).toBe('acme');
    expect(req.headers['authorization']).toBe('Bearer sk-test-secret-123456');
  });

  it('removes the members only the gateway reads (routing hints) and edits nothing else', () => {
    const raw =
      '{"model":"gpt-4o-mini","models":["a","b"],"messages":[{"role":"user","content":"hi"}],"provider":{"order":["x"]},"temperature":0.2}';
    const out = new TextDecoder().decode(
      openAIAdapter.chat.buildRequest(chatInput(enc.encode(raw)), dep(), staticRequestContext(dep()))
        .body as Uint8Array,
    );
    expect(JSON.parse(out)).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.2,
    });
    expect(out).toContain('"messages":[{"role":"user","content":"hi"}]');
  });

  it('builds the upstream body from the gateway summary without parsing the body again', () => {
    const raw = enc.encode('{"model":"alias","messages":[{"role":"user","content":"hi"}],"stream":true}');
    const i = chatInput(raw, {
      model: 'alias',
      stream: true,
      includeUsage: false,
      tags: [],
      promptChars: 2,
      strip: [],
    });
    const spy = vi.spyOn(JSON, 'parse');
    const out = new TextDecoder().decode(
      openAIAdapter.chat.buildRequest(i, dep(), staticRequestContext(dep())).body as Uint8Array,
    );
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    expect(JSON.parse(out)).toMatchObject({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('drops metadata values that are not strings (LiteLLM tags), keeping string ones', () => {
    const base = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
    const mixed = input({ ...base, metadata: { user: 'u-1', tags: ['a', 'b'], n: 3, nested: { a: 'b' }, ok: '' } });
    expect(bodyOf(openAIAdapter.chat.buildRequest(mixed, dep(), staticRequestContext(dep())).body)).toEqual({
      ...base,
      metadata: { user: 'u-1', ok: '' },
    });
    const onlyTags = input({ ...base, metadata: { tags: ['a'] } });
    expect(bodyOf(openAIAdapter.chat.buildRequest(onlyTags, dep(), staticRequestContext(dep())).body)).toEqual(base);
    const strings = input({ ...base, metadata: { user: 'u-1' } });
    expect(openAIAdapter.chat.buildRequest(strings, dep(), staticRequestContext(dep())).body).toBe(strings.raw);
  });

  it('sends no Authorization header for a deployment without a key', () => {
    const req = openAIAdapter.chat.buildRequest(
      input({ model: 'x', messages: [] }),
      dep({ apiKey: undefined }),
      staticRequestContext(dep({ apiKey: undefined })),
    );
    expect(req.headers['authorization']).toBeUndefined();
  });
});

describe('openai response and usage', () => {
  it('extracts usage with cached and reasoning tokens and forwards bytes unchanged', () => {
    expect(parseOpenAIResponse(fx('chat-completion.json'))).toEqual({
      body: null,
      usage: { promptTokens: 2019, completionTokens: 11, cachedTokens: 1920, cacheWriteTokens: 0, reasoningTokens: 3 },
    });
  });

  it("reads OpenRouter's usage.cost (USD) as the provider's own figure in nano-USD, ignoring implausible ones", () => {
    const withCost = (cost: unknown) =>
      parseOpenAIResponse(
        JSON.stringify({
          id: 'gen-1',
          object: 'chat.completion',
          created: 1,
          model: 'openai/gpt-4o',
          choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12, cost },
        }),
      ).usage;
    expect(withCost(0.000421)?.costNanos).toBe(421_000);
    expect(withCost(0)?.costNanos).toBe(0);
    for (const bad of [-1, 'x', 1e12, null]) expect(withCost(bad)).not.toHaveProperty('costNanos');
  });

  it('reports no usage, and the generated characters to estimate from, when the upstream omits it', () => {
    const answer = {
      id: 'x',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hello "you"', refusal: null }, finish_reason: 'stop' },
        {
          index: 1,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [{ function: { name: 'f', arguments: '{"q":1}' } }],
          },
        },
      ],
    };
    expect(parseOpenAIResponse(JSON.stringify(answer))).toEqual({
      body: null,
      usage: undefined,
      generatedChars: 11 + 7,
    });
    expect(parseOpenAIResponse(JSON.stringify({ ...answer, usage: null })).usage).toBeUndefined();
  });

  it('reads usage from the end of the body, not from content that mentions it', () => {
    const usage = { prompt_tokens: 10, completion_tokens: 4, completion_tokens_details: { reasoning_tokens: 1 } };
    const expected = {
      promptTokens: 10,
      completionTokens: 4,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 1,
    };
    const message = (content: string) => ({ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' });
    const trap = 'The field "usage": {"prompt_tokens": 999, "completion_tokens": 999} is what you pay for';
    const bodies = [
      { id: 'a', choices: [message(trap)], usage },
      // usage before the choices, and the bare word as content after it: located by the full parse
      { id: 'b', usage, choices: [message(trap), message('usage')] },
      // a nested "usage" after the real one
      { id: 'c', choices: [message(trap)], usage, x_provider: { usage: { prompt_tokens: 999 } } },
    ];
    for (const body of bodies) {
      for (const text of [JSON.stringify(body), JSON.stringify(body, null, 2)]) {
        expect(parseOpenAIResponse(text).usage).toEqual(expected);
        expect(parseOpenAIResponse(enc.encode(text)).usage).toEqual(expected);
      }
    }
  });

  it('rejects a body that is not a chat completion with a retryable 502', () => {
    for (const bad of ['<html>oops</html>', '{"hello":1}']) {
      try {
        parseOpenAIResponse(bad);
        expect.fail('should throw');
      } catch (e) {
        expect(e).toBeInstanceOf(ProviderError);
        expect((e as ProviderError).gatewayError).toMatchObject({ status: 502, retryable: true });
      }
    }
  });
});

describe('openai stream translation', () => {
  const sse = fx('chat-stream-with-usage.sse');

  it('forwards content chunks, records usage, drops the usage chunk and usage:null when not asked', () => {
    const { out, state } = translate(sse, false);
    expect(state).toMatchObject({ contentSeen: true, finished: true, done: true, error: undefined });
    expect(state.usage).toEqual({
      promptTokens: 19,
      completionTokens: 10,
      cachedTokens: 8,
      cacheWriteTokens: 0,
      reasoningTokens: 2,
    });
    const events = out.split('\n\n').filter(Boolean);
    expect(events).toHaveLength(5);
    for (const e of events) {
      expect(e.startsWith('data: {')).toBe(true);
      const chunk = JSON.parse(e.slice(6));
      expect(chunk.object).toBe('chat.completion.chunk');
      expect('usage' in chunk).toBe(false);
    }
    expect(out).not.toContain('[DONE]');
    expect(JSON.parse(events[2]!.slice(6)).choices[0].delta.content).toBe(' wörld 🌍, "usage":{ not a key');
  });

  it('forwards the usage-only chunk (choices: []) when the client asked for it', () => {
    const { out, state } = translate(sse, true);
    const events = out.split('\n\n').filter(Boolean);
    expect(events).toHaveLength(6);
    const last = JSON.parse(events[5]!.slice(6));
    expect(last.choices).toEqual([]);
    expect(last.usage.total_tokens).toBe(29);
    expect(JSON.parse(events[0]!.slice(6)).usage).toBeNull();
    expect(state.done).toBe(true);
  });

  it('counts the first content chunk, not the role chunk, as first token', () => {
    const parser = new SseParser();
    const tr = openAIAdapter.chat.createStreamTranslator({ includeUsage: false });
    const [role, first] = parser.push(enc.encode(sse));
    tr.push(role!);
    expect(tr.state.contentSeen).toBe(false);
    tr.push(first!);
    expect(tr.state.contentSeen).toBe(true);
  });

  it('turns an error event inside the stream into a retryable error and stops forwarding', () => {
    const withError =
      'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\n' +
      'data: {"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}\n\n' +
      'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"b"},"finish_reason":null}]}\n\n';
    const { out, state } = translate(withError, false);
    expect(out.split('\n\n').filter(Boolean)).toHaveLength(1);
    expect(state.error).toMatchObject({
      status: 502,
      type: 'server_error',
      message: 'The server had an error',
      retryable: true,
    });
  });

  it('reports a stream that ends without finishing as truncated', () => {
    const cut = sse.split('\n\n').slice(0, 3).join('\n\n') + '\n\n';
    expect(translate(cut, false).state.error).toMatchObject({ status: 502, code: 'upstream_stream_truncated' });
  });

  it('accepts a finished stream that closes without [DONE]', () => {
    const noDone = sse.replace('data: [DONE]\n\n', '');
    const { state } = translate(noDone, false);
    expect(state.error).toBeUndefined();
    expect(state.done).toBe(true);
  });
});

describe('openai error mapping', () => {
  const h = {};
  it('passes 400/404/409/413/422 through with the upstream error', () => {
    expect(normaliseOpenAIError({ status: 400, body: fx('error-400.json'), headers: h }, dep())).toEqual({
      kind: 'bad_request',
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_value',
      param: 'temperature',
      message: "Invalid value for 'temperature': expected a number between 0 and 2.",
      retryable: false,
    });
    expect(normaliseOpenAIError({ status: 404, body: fx('error-404.json'), headers: h }, dep())).toMatchObject({
      kind: 'not_found',
      status: 404,
      code: 'model_not_found',
    });
    for (const status of [409, 413, 422]) {
      expect(normaliseOpenAIError({ status, body: fx('error-400.json'), headers: h }, dep()).status).toBe(status);
    }
  });

  it("maps 402 and a 404 that is not the API's to a retryable 502 for the operator, echoing nothing", () => {
    const d = dep();
    const credit = normaliseOpenAIError(
      {
        status: 402,
        body: '{"error":{"message":"Insufficient balance for sk-live-abcdef123456","type":"billing"}}',
        headers: h,
      },
      d,
    );
    expect(credit).toMatchObject({ status: 502, type: 'api_error', code: 'upstream_error', retryable: true });
    expect(credit.message).toContain("check that deployment's provider account");
    expect(credit.message).toContain("model 'gpt-4o-mini'");
    expect(credit.message).not.toContain('dep-1');
    const html = '<html><body><h1>404 Not Found</h1><p>nginx sk-test-secret-123456</p></body></html>';
    for (const body of [html, '', '{"detail":"Not Found"}']) {
      const e = normaliseOpenAIError({ status: 404, body, headers: h }, d);
      expect(e).toMatchObject({ status: 502, type: 'api_error', code: 'upstream_error', retryable: true });
      expect(e.message).toContain('check its api_base');
      expect(e.message).not.toContain('nginx');
    }
    for (const e of [credit, normaliseOpenAIError({ status: 404, body: html, headers: h }, d)]) {
      expect(e.message).not.toContain('sk-');
    }
  });

  it('wraps a body that is not OpenAI-shaped', () => {
    const e = normaliseOpenAIError({ status: 422, body: '{"detail":"field required"}', headers: h }, dep());
    expect(e).toMatchObject({ status: 422, type: 'invalid_request_error', retryable: false });
    expect(e.message).toContain('field required');
    // A proxy's page is summarised: its text names internal hosts, not the request's fault.
    const page = normaliseOpenAIError(
      { status: 400, body: '<html>bad gateway at 10.0.0.7 internal-lb</html>', headers: h },
      dep(),
    );
    expect(page).toMatchObject({ status: 400, type: 'invalid_request_error' });
    expect(page.message).not.toMatch(/html|10\.0\.0\.7|internal-lb/);
    expect(page.message).toContain('HTTP 400');
  });

  it('maps 429 to rate_limit_error with retryAfter from retry-after, an HTTP date, or retry-after-ms', () => {
    const e = normaliseOpenAIError(
      { status: 429, body: fx('error-429.json'), headers: { 'retry-after': '20' } },
      dep(),
    );
    expect(e).toMatchObject({
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      retryAfter: 20,
      retryable: true,
    });
    expect(e.message).not.toContain('org-AbCdEf123456');
    const date = new Date(Date.now() + 30_000).toUTCString();
    const d = normaliseOpenAIError({ status: 429, body: '', headers: { 'retry-after': date } }, dep()).retryAfter!;
    expect(d).toBeGreaterThanOrEqual(28);
    expect(d).toBeLessThanOrEqual(31);
    expect(
      normaliseOpenAIError({ status: 429, body: '', headers: { 'retry-after-ms': '1500', 'retry-after': '9' } }, dep())
        .retryAfter,
    ).toBe(1.5);
  });

  it('maps 401/403 to 502 for the operator, naming neither deployment nor environment variable, never echoing the key', () => {
    for (const status of [401, 403]) {
      const e = normaliseOpenAIError({ status, body: fx('error-401.json'), headers: h }, dep());
      expect(e).toMatchObject({ status: 502, type: 'api_error', code: 'upstream_auth_failed', retryable: true });
      expect(e.message).not.toContain('dep-1');
      expect(e.message).toContain('api_key');
      expect(e.message).not.toContain('OPENAI_API_KEY');
      expect(e.message).not.toContain('sk-');
    }
  });

  it('maps 5xx to a retryable 502', () => {
    const e = normaliseOpenAIError(
      {
        status: 503,
        body: '{"error":{"message":"overloaded","type":"server_error","param":null,"code":null}}',
        headers: { 'retry-after': '2' },
      },
      dep(),
    );
    expect(e).toMatchObject({ status: 502, type: 'api_error', code: 'upstream_error', retryable: true, retryAfter: 2 });
    expect(e.message).toContain('HTTP 503');
    // A server error's text is the provider's insides: summarised, never relayed.
    const inside = normaliseOpenAIError(
      { status: 500, body: '{"error":{"message":"upstream connect error to 10.2.3.4:8443 pod llm-7f9"}}', headers: h },
      dep(),
    );
    expect(inside.message).not.toMatch(/10\.2\.3\.4|llm-7f9/);
  });

  it('maps transport failures: refused/reset → 502 retryable, timeouts → 504', () => {
    const ctx = { deploymentId: 'dep-1', provider: 'openai', origin: 'http://127.0.0.1:1' };
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    expect(transportError(refused, ctx)).toMatchObject({ status: 502, retryable: true });
    expect(transportError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), ctx).message).toContain(
      'ECONNRESET',
    );
    expect(transportError(Object.assign(new Error('t'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), ctx)).toMatchObject({
      status: 504,
      code: 'timeout',
    });
    expect(transportError(Object.assign(new Error('aborted'), { name: 'AbortError' }), ctx, true)).toMatchObject({
      status: 504,
    });
  });
});

describe('adapterFor', () => {
  it('returns the OpenAI-compatible adapter for openai, named providers and any api_base', () => {
    expect(adapterFor({ provider: 'openai' }).provider).toBe('openai');
    expect(adapterFor({ provider: 'groq' }).provider).toBe('groq');
    const custom = adapterFor({ provider: 'my_vllm', apiBase: 'http://gpu:8000/v1' });
    expect(custom.provider).toBe('my_vllm');
    expect(custom.streamFraming).toBe('sse');
    // The fake is HTTP-shaped too: it speaks OpenAI's API at its own origin, which the translator serves in process.
    expect(adapterFor({ provider: 'fake' }).api).toBe('openai.chat');
    expect(adapterFor({ provider: 'fake' }).chat.buildRequest).toBeTypeOf('function');
  });

  it('names what is supported for an unknown provider', () => {
    expect(() => adapterFor({ provider: 'sagemaker' })).toThrow(UnsupportedProviderError);
    expect(() => adapterFor({ provider: 'x' })).toThrow(
      "provider 'x' is not supported yet; supported: openai, fake, or any OpenAI-compatible server via api_base",
    );
    expect(() => adapterFor({ provider: 'azure', apiBase: 'https://r.example/' })).toThrow(/azure/);
  });

  it('asks for api_base when a self-hosted provider has none', () => {
    expect(() =>
      adapterFor({ provider: 'hosted_vllm' }).chat.buildRequest(
        input({ model: 'm', messages: [] }),
        dep({ provider: 'hosted_vllm' }),
        staticRequestContext(dep({ provider: 'hosted_vllm' })),
      ),
    ).toThrow(/api_base/);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { splitAtRandom } from '../__fixtures__/split-at-random';
import { chatInput } from '../chat-input';
import { staticRequestContext } from '../credentials/credentials.types';
import { ProviderError, type StreamState } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { adapterFor } from '../provider.registry';
import { SseParser } from '../sse/sse.parser';
import { cohereAdapter } from './cohere.adapter';
import { normaliseCohereError } from './cohere.errors';
import { cohereChatUrl } from './cohere.request';

const fx = (name: string): string => readFileSync(join(__dirname, '__fixtures__', name), 'utf8');
const fxJson = <T = unknown>(name: string): T => JSON.parse(fx(name)) as T;
const enc = new TextEncoder();

/** 2023-11-14T22:13:20Z: every answer written in these tests is dated by it. */
const NOW = 1_700_000_000_000;

beforeAll(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterAll(() => {
  vi.useRealTimers();
});

const dep = (over: Partial<ProviderDeployment> = {}): ProviderDeployment => ({
  id: 'dep-cohere',
  modelName: 'command-a',
  provider: 'cohere',
  model: 'command-a-03-2025',
  apiKey: 'co-test-secret-0123456789',
  ...over,
});

const input = (body: Record<string, unknown>) => chatInput(enc.encode(JSON.stringify(body)));
const base = { model: 'command-a', messages: [{ role: 'user', content: 'hi' }] };

function wire(body: Record<string, unknown>, d = dep()): Record<string, unknown> {
  const req = cohereAdapter.chat.buildRequest(input(body), d, staticRequestContext(d));
  return JSON.parse(req.body as string) as Record<string, unknown>;
}

function rejection(run: () => unknown): ProviderError {
  try {
    run();
  } catch (e) {
    if (e instanceof ProviderError) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

/** Feeds `body` (split into `pieces` when given) through the SSE parser and the adapter's stream translator. */
function stream(
  body: string,
  includeUsage: boolean,
  pieces?: Uint8Array[],
): { out: string; end: string; state: StreamState } {
  const parser = new SseParser();
  const tr = cohereAdapter.chat.createStreamTranslator({
    includeUsage,
    request: { id: 'chatcmpl-req1', model: 'command-a', n: 1 },
  });
  let out = '';
  for (const piece of pieces ?? [enc.encode(body)]) for (const ev of parser.push(piece)) out += tr.push(ev);
  for (const ev of parser.end()) out += tr.push(ev);
  const end = tr.end();
  return { out: out + end, end, state: tr.state as StreamState };
}

/** The JSON of each `data:` of an SSE text. */
function chunks(sse: string): unknown[] {
  const p = new SseParser();
  return [...p.push(sse), ...p.end()].map((e) => JSON.parse(e.data) as unknown);
}

describe('cohere request', () => {
  it('translates a full OpenAI request to the Cohere v2 body (golden)', () => {
    const d = dep();
    const req = cohereAdapter.chat.buildRequest(input(fxJson('chat-request.openai.json')), d, staticRequestContext(d));
    expect(req.url).toBe('https://api.cohere.com/v2/chat');
    expect(req.method).toBe('POST');
    expect(req.headers).toMatchObject({
      authorization: 'Bearer co-test-secret-0123456789',
      'content-type': 'application/json',
      accept: 'text/event-stream',
    });
    expect(JSON.parse(req.body as string)).toEqual(fxJson('chat-request.cohere.json'));
  });

  it('is registered for cohere/ and cohere_chat/, speaking its own API', () => {
    expect(adapterFor({ provider: 'cohere' })).toBe(cohereAdapter);
    expect(adapterFor({ provider: 'cohere_chat' }).provider).toBe('cohere_chat');
    expect(cohereAdapter.api).toBe('native');
    expect(cohereAdapter.streamFraming).toBe('sse');
  });

  it('builds the URL from api_base, also when written as LiteLLM full URLs', () => {
    expect(cohereChatUrl(dep())).toBe('https://api.cohere.com/v2/chat');
    expect(cohereChatUrl(dep({ apiBase: 'http://127.0.0.1:9/' }))).toBe('http://127.0.0.1:9/v2/chat');
    expect(cohereChatUrl(dep({ apiBase: 'https://api.cohere.ai/v1/chat' }))).toBe('https://api.cohere.ai/v2/chat');
    expect(cohereChatUrl(dep({ apiBase: 'https://proxy.example/cohere/v2' }))).toBe(
      'https://proxy.example/cohere/v2/chat',
    );
    expect(cohereChatUrl(dep({ apiBase: 'https://proxy.example/cohere/v2/chat' }))).toBe(
      'https://proxy.example/cohere/v2/chat',
    );
  });

  it('sends a plain request with only what was asked, and no stream field unless streaming', () => {
    expect(wire(base)).toEqual({ model: 'command-a-03-2025', messages: [{ role: 'user', content: 'hi' }] });
    const req = cohereAdapter.chat.buildRequest(input(base), dep(), staticRequestContext(dep()));
    expect(req.headers['accept']).toBe('application/json');
  });

  it('maps tool_choice: auto omitted, none, required, a named function as REQUIRED over that tool only', () => {
    const tool = (name: string) => ({ type: 'function', function: { name, parameters: { type: 'object' } } });
    const tools = [tool('a'), tool('b')];
    expect(wire({ ...base, tools, tool_choice: 'auto' })).not.toHaveProperty('tool_choice');
    expect(wire({ ...base, tools, tool_choice: 'none' })['tool_choice']).toBe('NONE');
    expect(wire({ ...base, tools, tool_choice: 'required' })['tool_choice']).toBe('REQUIRED');
    const named = wire({ ...base, tools, tool_choice: { type: 'function', function: { name: 'b' } } });
    expect(named['tool_choice']).toBe('REQUIRED');
    expect(named['tools']).toEqual([{ type: 'function', function: { name: 'b', parameters: { type: 'object' } } }]);
    const allowed = wire({
      ...base,
      tools,
      tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [tool('a')] } },
    });
    expect(allowed).not.toHaveProperty('tool_choice');
    expect((allowed['tools'] as unknown[]).length).toBe(1);
    // A tool without parameters gets an empty object schema (Cohere requires one); strict asks for strict_tools.
    expect(wire({ ...base, tools: [{ type: 'function', function: { name: 'c', strict: true } }] })).toMatchObject({
      tools: [{ type: 'function', function: { name: 'c', parameters: { type: 'object', properties: {} } } }],
      strict_tools: true,
    });
    expect(
      rejection(() => wire({ ...base, tools, tool_choice: { type: 'function', function: { name: 'zz' } } }))
        .gatewayError,
    ).toMatchObject({ status: 400, param: 'tool_choice', code: 'invalid_value' });
    expect(rejection(() => wire({ ...base, tool_choice: 'required' })).gatewayError.param).toBe('tool_choice');
    expect(
      rejection(() => wire({ ...base, tools: [{ type: 'custom', custom: { name: 'x' } }] })).gatewayError.message,
    ).toContain('function tools only');
  });

  it('maps response_format json_object and json_schema to Cohere json_object', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    expect(wire({ ...base, response_format: { type: 'json_object' } })['response_format']).toEqual({
      type: 'json_object',
    });
    expect(
      wire({ ...base, response_format: { type: 'json_schema', json_schema: { name: 'x', schema, strict: true } } })[
        'response_format'
      ],
    ).toEqual({ type: 'json_object', json_schema: schema });
    expect(wire({ ...base, response_format: { type: 'text' } })['response_format']).toEqual({ type: 'text' });
    expect(
      rejection(() => wire({ ...base, response_format: { type: 'json_schema', json_schema: { name: 'x' } } }))
        .gatewayError.param,
    ).toBe('response_format');
  });

  it('maps reasoning_effort to a thinking budget, none to disabled', () => {
    expect(wire({ ...base, reasoning_effort: 'none' })['thinking']).toEqual({ type: 'disabled' });
    expect(wire({ ...base, reasoning_effort: 'minimal' })['thinking']).toEqual({ type: 'enabled', token_budget: 128 });
    expect(wire({ ...base, reasoning_effort: 'medium' })['thinking']).toEqual({ type: 'enabled', token_budget: 2048 });
    expect(wire({ ...base, reasoning_effort: 'high' })['thinking']).toEqual({ type: 'enabled', token_budget: 4096 });
    expect(rejection(() => wire({ ...base, reasoning_effort: 'xhigh' })).gatewayError.param).toBe('reasoning_effort');
  });

  it('refuses what Cohere cannot hold in messages, naming the message', () => {
    const bad = (messages: unknown[]) => rejection(() => wire({ model: 'm', messages })).gatewayError;
    expect(bad([{ role: 'function', name: 'f', content: 'x' }])).toMatchObject({ status: 400, param: 'messages' });
    expect(bad([{ role: 'tool', content: 'x' }]).message).toContain('tool_call_id');
    expect(
      bad([{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }]).message,
    ).toBe('messages[0] content part 0 has type "input_audio"; cohere takes text and image_url parts.');
    expect(bad([{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'x' } }] }]).message).toContain(
      'messages[0]',
    );
  });

  it('fills request defaults, adds extra_body, strips gateway-only members, passes Cohere parameters through', () => {
    const d = dep({
      requestDefaults: { temperature: 0.1, max_tokens: 64 },
      params: { family: 'cohere', model: 'x', extra_body: { safety_mode: 'STRICT' } } as never,
    });
    const w = wire({ ...base, temperature: 0.9, drop_params: true, fallbacks: ['x'], k: 3, documents: ['d'] }, d);
    expect(w).toEqual({
      model: 'command-a-03-2025',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.9,
      max_tokens: 64,
      k: 3,
      documents: ['d'],
      safety_mode: 'STRICT',
    });
    expect(rejection(() => wire({ ...base, top_p: 0.5, p: 0.6 })).gatewayError).toMatchObject({
      param: 'p',
      code: 'conflicting_parameters',
    });
  });
});

/**
 * The parameter table of the report, as a test: each OpenAI parameter with a value Cohere takes (→ the wire
 * field it becomes) or refuses (→ 400 naming it unless drop_params drops it).
 */
describe('cohere parameter table', () => {
  const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
  const supported: Array<[string, unknown, Record<string, unknown>]> = [
    ['temperature', 0.7, { temperature: 0.7 }],
    ['top_p', 0.5, { p: 0.5 }],
    ['max_tokens', 100, { max_tokens: 100 }],
    ['max_completion_tokens', 100, { max_tokens: 100 }],
    ['stop', ['a', 'b'], { stop_sequences: ['a', 'b'] }],
    ['seed', 7, { seed: 7 }],
    ['frequency_penalty', 0.5, { frequency_penalty: 0.5 }],
    ['presence_penalty', 0.5, { presence_penalty: 0.5 }],
    ['logprobs', true, { logprobs: true }],
    ['top_logprobs', 0, {}],
    ['n', 1, {}],
    ['user', 'u-1', {}],
    ['safety_identifier', 'u-1', {}],
    ['metadata', { tag: 'x' }, {}],
    ['store', false, {}],
    ['modalities', ['text'], {}],
    ['parallel_tool_calls', true, {}],
    ['reasoning_effort', 'low', { thinking: { type: 'enabled', token_budget: 1024 } }],
    ['stream_options', { include_usage: true }, {}],
  ];
  it.each(supported)('takes %s', (param, value, expected) => {
    const w = wire({ ...base, [param]: value });
    const { model: _m, messages: _ms, ...rest } = w;
    expect(rest).toEqual(expected);
  });

  const refused: Array<[string, unknown]> = [
    ['n', 2],
    ['top_p', 1],
    ['temperature', -0.5],
    ['presence_penalty', 1.5],
    ['frequency_penalty', -1],
    ['stop', ['1', '2', '3', '4', '5', '6']],
    ['top_logprobs', 5],
    ['parallel_tool_calls', false],
    ['store', true],
    ['modalities', ['text', 'audio']],
    ['logit_bias', { '42': 1 }],
    ['audio', { voice: 'alloy', format: 'wav' }],
    ['prediction', { type: 'content', content: 'x' }],
    ['service_tier', 'flex'],
    ['web_search_options', {}],
    ['verbosity', 'low'],
    ['prompt_cache_key', 'k'],
    ['functions', [{ name: 'f' }]],
    ['function_call', 'auto'],
    ['max_tokens', 0],
    ['seed', 1.5],
  ];
  it.each(refused)('refuses %s=%j with a 400 naming it, and drops it with drop_params', (param, value) => {
    const e = rejection(() => wire({ ...base, tools, [param]: value })).gatewayError;
    expect(e).toMatchObject({ status: 400, type: 'invalid_request_error', param, kind: 'bad_request' });
    expect(e.message).toContain('cohere');
    const dropped = wire({ ...base, [param]: value, drop_params: true });
    expect(Object.keys(dropped).sort()).toEqual(['messages', 'model']);
    const req = cohereAdapter.chat.buildRequest(
      input({ ...base, [param]: value, drop_params: true }),
      dep(),
      staticRequestContext(dep()),
    );
    expect(req.dropped?.map((d) => d.param)).toEqual([param]);
    const byDeployment = wire(
      { ...base, [param]: value },
      dep({ params: { family: 'cohere', drop_params: true } as never }),
    );
    expect(Object.keys(byDeployment).sort()).toEqual(['messages', 'model']);
  });

  it('drops what additional_drop_params lists, supported or not', () => {
    const w = wire({ ...base, temperature: 0.2, seed: 3, additional_drop_params: ['temperature'] });
    expect(w).toMatchObject({ seed: 3 });
    expect(w).not.toHaveProperty('temperature');
  });
});

describe('cohere response', () => {
  const parse = (name: string, model = 'command-a') =>
    cohereAdapter.chat.parseResponse(fx(name), input({ ...base, model }));

  it('turns a text answer into a chat.completion with usage, cached tokens and logprobs', () => {
    const r = parse('chat-response-text.json');
    expect(r.usage).toEqual({
      promptTokens: 71,
      completionTokens: 14,
      cachedTokens: 64,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
    expect(JSON.parse(r.body!)).toEqual({
      id: 'chatcmpl-c14c80c3-18eb-4519-9460-6c92edd8cfb4',
      object: 'chat.completion',
      created: NOW / 1000,
      model: 'command-a',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'LLMs stand for Large Language Models — trained on vast text. 🌍',
            refusal: null,
            annotations: [],
          },
          logprobs: {
            content: [
              { token: 'LLMs', logprob: -0.75, bytes: [76, 76, 77, 115], top_logprobs: [] },
              { token: ' stand', logprob: -0.125, bytes: [32, 115, 116, 97, 110, 100], top_logprobs: [] },
            ],
            refusal: null,
          },
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 71,
        completion_tokens: 14,
        total_tokens: 85,
        prompt_tokens_details: { cached_tokens: 64 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    });
  });

  it('turns tool calls into OpenAI tool_calls, with the tool plan as reasoning_content', () => {
    const doc = JSON.parse(parse('chat-response-tools.json').body!);
    expect(doc.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        reasoning_content:
          "I will find the sales summary for 29th September 2023 and the products in the 'Electronics' category.",
        tool_calls: [
          {
            id: 'query_daily_sales_report_8kh6vpzxt4r4',
            type: 'function',
            function: { name: 'query_daily_sales_report', arguments: '{"day":"2023-09-29"}' },
          },
          {
            id: 'query_product_catalog_7gzkcx3xgfp7',
            type: 'function',
            function: { name: 'query_product_catalog', arguments: '{"category":"Electronics"}' },
          },
        ],
        annotations: [],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    });
    expect(doc.usage.prompt_tokens).toBe(1032);
  });

  it('returns thinking as reasoning_content, and usage from billed_units when tokens are absent', () => {
    const r = parse('chat-response-thinking.json');
    const doc = JSON.parse(r.body!);
    expect(doc.choices[0].message.reasoning_content).toBe('The user is asking for 2+2. That is 4.');
    expect(doc.choices[0].message.content).toBe('2 + 2 = 4');
    expect(r.usage).toMatchObject({ promptTokens: 8, completionTokens: 50 });
  });

  it('maps finish reasons, and ERROR / TIMEOUT to errors', () => {
    const doc = fxJson<Record<string, unknown>>('chat-response-thinking.json');
    const finish = (finish_reason: string) =>
      JSON.parse(cohereAdapter.chat.parseResponse(JSON.stringify({ ...doc, finish_reason }), input(base)).body!)
        .choices[0].finish_reason;
    expect(finish('STOP_SEQUENCE')).toBe('stop');
    expect(finish('MAX_TOKENS')).toBe('length');
    expect(finish('TOOL_CALL')).toBe('tool_calls');
    const fail = (finish_reason: string) =>
      rejection(() => cohereAdapter.chat.parseResponse(JSON.stringify({ ...doc, finish_reason }), input(base)))
        .gatewayError;
    expect(fail('ERROR')).toMatchObject({ status: 502, kind: 'upstream_5xx', retryable: true });
    expect(fail('TIMEOUT')).toMatchObject({ status: 504, kind: 'timeout', code: 'timeout' });
  });

  it('refuses a body that is not a Cohere answer with a retryable 502', () => {
    expect(rejection(() => cohereAdapter.chat.parseResponse('<html>', input(base))).gatewayError).toMatchObject({
      status: 502,
      code: 'upstream_bad_response',
    });
    expect(
      rejection(() => cohereAdapter.chat.parseResponse('{"choices":[]}', input(base))).gatewayError.message,
    ).toContain('not a Cohere chat answer');
  });

  it('estimates from the text when Cohere reports no usage', () => {
    const doc = { ...fxJson<Record<string, unknown>>('chat-response-thinking.json'), usage: undefined };
    const r = cohereAdapter.chat.parseResponse(JSON.stringify(doc), input(base));
    expect(r.usage).toBeUndefined();
    expect(r.generatedChars).toBe('2 + 2 = 4'.length + 'The user is asking for 2+2. That is 4.'.length);
  });
});

describe('cohere stream', () => {
  const golden = ['chat-stream-text', 'chat-stream-tools', 'chat-stream-thinking'] as const;

  it.each(golden)('writes %s as the golden OpenAI chunks, with and without include_usage', (name) => {
    for (const includeUsage of [true, false]) {
      const { out, state } = stream(fx(`${name}.sse`), includeUsage);
      expect(out).toBe(fx(`${name}.openai${includeUsage ? '-usage' : ''}.sse`));
      expect(state).toMatchObject({ done: true, finished: true, contentSeen: true, error: undefined });
    }
  });

  it.each(golden)('gives the same output for %s split at any byte boundary', (name) => {
    const bytes = enc.encode(fx(`${name}.sse`));
    const whole = stream(fx(`${name}.sse`), true).out;
    for (let seed = 1; seed <= 40; seed++) {
      expect(stream('', true, splitAtRandom(bytes, seed, 1 + (seed % 23))).out).toBe(whole);
    }
  });

  it('reads the OpenAI SDK way: role first, tool calls with index/id/name first, then arguments', () => {
    const parsed = chunks(stream(fx('chat-stream-tools.sse'), true).out) as Array<{
      choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }>;
      usage?: unknown;
    }>;
    expect(parsed[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    const calls = parsed.flatMap((c) => (c.choices[0]?.delta['tool_calls'] as unknown[] | undefined) ?? []);
    expect(calls[0]).toEqual({
      index: 0,
      id: 'get_weather_nsz5zm3w56q3',
      type: 'function',
      function: { name: 'get_weather', arguments: '' },
    });
    const args = (i: number) =>
      calls
        .filter((c) => (c as { index: number }).index === i)
        .map((c) => (c as { function: { arguments: string } }).function.arguments)
        .join('');
    expect(JSON.parse(args(0))).toEqual({ location: 'Paris, France' });
    expect(JSON.parse(args(1))).toEqual({ tz: 'Europe/Zurich', label: 'Zürich → 東京' });
    expect(parsed.at(-2)!.choices[0]!.finish_reason).toBe('tool_calls');
    expect(parsed.at(-1)!.usage).toEqual({
      prompt_tokens: 793,
      completion_tokens: 61,
      total_tokens: 854,
      prompt_tokens_details: { cached_tokens: 176 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it('records usage in the state whether or not the client asked for it', () => {
    const { state } = stream(fx('chat-stream-text.sse'), false);
    expect(state.usage).toEqual({
      promptTokens: 71,
      completionTokens: 4,
      cachedTokens: 32,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
  });

  it('reports a stream cut before message-end as truncated, never as a finish', () => {
    const text = fx('chat-stream-text.sse');
    const cut = text.slice(0, text.indexOf('event: content-end'));
    const { out, state } = stream(cut, true);
    expect(state.error).toMatchObject({ code: 'upstream_stream_truncated', status: 502, retryable: true });
    expect(state.finished).toBe(false);
    expect(out).not.toContain('finish_reason":"stop');
    expect(out).not.toContain('[DONE]');
  });

  it('turns an ERROR finish and an error event into stream errors, keeping the message without keys', () => {
    const start =
      'event: message-start\ndata: {"id":"x","type":"message-start","delta":{"message":{"role":"assistant"}}}\n\n' +
      'event: content-delta\ndata: {"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"Hi"}}}}\n\n';
    const ended = stream(
      `${start}event: message-end\ndata: {"type":"message-end","delta":{"finish_reason":"ERROR","error":"inference failed for key sk-abcdefghijklmnop","usage":{"tokens":{"input_tokens":3,"output_tokens":1}}}}\n\n`,
      true,
    );
    expect(ended.state.error).toMatchObject({ status: 502, kind: 'upstream_5xx', code: 'upstream_stream_error' });
    expect(ended.state.error!.message).toContain('inference failed');
    expect(ended.state.error!.message).not.toContain('abcdefghijklmnop');
    expect(ended.state.usage).toMatchObject({ promptTokens: 3, completionTokens: 1 });
    const event = stream(`${start}event: error\ndata: {"message":"too many tokens: size limit exceeded"}\n\n`, true);
    expect(event.state.error).toMatchObject({ kind: 'context_window', code: 'context_length_exceeded' });
    expect(stream(`${start}data: <html>\n\n`, true).state.error).toMatchObject({ code: 'upstream_stream_error' });
    const orphan = stream(
      `${start}event: tool-call-delta\ndata: {"type":"tool-call-delta","delta":{"message":{"tool_calls":{"function":{"arguments":"{}"}}}}}\n\n`,
      true,
    );
    expect(orphan.state.error!.message).toContain('tool-call arguments before any tool call');
  });

  it('commits only at content: message-start alone makes no content', () => {
    const { state } = stream(
      'event: message-start\ndata: {"id":"x","type":"message-start","delta":{"message":{"role":"assistant"}}}\n\n',
      true,
    );
    expect(state.contentSeen).toBe(false);
  });
});

describe('cohere errors', () => {
  const err = (status: number, body: string, headers: Record<string, string> = {}) =>
    normaliseCohereError({ status, body, headers }, dep());

  it('recognises context-length errors from "too many tokens"', () => {
    expect(err(400, fx('error-400-too-many-tokens.json'))).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      kind: 'context_window',
      code: 'context_length_exceeded',
      retryable: false,
      message: expect.stringContaining('too many tokens: total number of tokens') as unknown as string,
    });
  });

  it('maps a refused key (401, 403, 498) to a retryable 502 for the operator', () => {
    for (const status of [401, 403, 498]) {
      expect(err(status, fx('error-401.json'))).toMatchObject({
        status: 502,
        kind: 'auth',
        code: 'upstream_auth_failed',
        retryable: true,
      });
    }
  });

  it('keeps 429 with retry-after, and Cohere message', () => {
    const e = err(429, fx('error-429.json'), { 'retry-after': '12' });
    expect(e).toMatchObject({ status: 429, kind: 'rate_limited', type: 'rate_limit_error', retryAfter: 12 });
    expect(e.message).toContain('Trial key');
  });

  it('maps 404, 422, 402, 408, 413, 499 and 5xx', () => {
    expect(err(404, fx('error-404.json'))).toMatchObject({ status: 404, kind: 'not_found', code: 'model_not_found' });
    expect(err(404, '<html>nginx</html>')).toMatchObject({ status: 502, kind: 'unavailable', retryable: true });
    expect(err(422, '{"message":"invalid request: message must not be empty in a turn"}')).toMatchObject({
      status: 400,
      kind: 'bad_request',
      message: 'invalid request: message must not be empty in a turn',
    });
    expect(err(402, '{"message":"no credit"}')).toMatchObject({ status: 502, kind: 'unavailable' });
    expect(err(408, '')).toMatchObject({ status: 504, kind: 'timeout' });
    expect(err(504, '')).toMatchObject({ status: 504, kind: 'timeout' });
    expect(err(413, '{"message":"request entity too large"}')).toMatchObject({ status: 413, kind: 'too_large' });
    expect(err(499, '{"message":"request cancelled"}')).toMatchObject({ status: 502, retryable: true });
    expect(err(500, '{"message":"internal server error at host 10.0.0.1"}')).toMatchObject({
      status: 502,
      kind: 'upstream_5xx',
      code: 'upstream_error',
    });
    expect(err(500, '{"message":"internal server error at host 10.0.0.1"}').message).not.toContain('10.0.0.1');
    expect(err(503, '{"message":"service overloaded"}', { 'retry-after': '3' })).toMatchObject({
      status: 502,
      kind: 'overloaded',
      retryAfter: 3,
    });
  });

  it('never passes the configured key or any key shape to the client', () => {
    const e = err(400, '{"message":"bad request with key co-test-secret-0123456789 and Bearer abcdefghijk"}');
    expect(e.message).not.toContain('co-test-secret-0123456789');
    expect(e.message).not.toContain('abcdefghijk');
  });
});

describe('canonical chunks a native adapter writes', () => {
  it('are read by the OpenAI SDK (chat.completion.chunk, logprobs on text deltas)', () => {
    const parsed = chunks(stream(fx('chat-stream-text.sse'), false).out) as Array<{
      object: string;
      id: string;
      model: string;
      choices: Array<{ logprobs: unknown }>;
    }>;
    expect(parsed.every((c) => c.object === 'chat.completion.chunk' && c.model === 'command-a')).toBe(true);
    expect(parsed[0]!.id).toBe('chatcmpl-29f14a5a-11de-4cae-9800-25e4747408ea');
    expect(parsed[1]!.choices[0]!.logprobs).toEqual({
      content: [{ token: 'Héllo', logprob: -0.75, bytes: [72, 195, 169, 108, 108, 111], top_logprobs: [] }],
      refusal: null,
    });
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { splitAtRandom } from '../__fixtures__/split-at-random';
import { chatInput } from '../chat-input';
import { staticRequestContext } from '../credentials/credentials.types';
import { ProviderError, type StreamTranslator } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { adapterFor } from '../provider.registry';
import { SseParser, type SseEvent } from '../sse/sse.parser';
import { anthropicAdapter } from './anthropic.adapter';
import { vertexAnthropicAdapter, vertexAnthropicUrl, VERTEX_ANTHROPIC_API } from './anthropic-vertex.adapter';
import { anthropicStreamError, normaliseAnthropicError } from './anthropic.errors';
import {
  ANTHROPIC_API,
  buildAnthropicBody,
  buildAnthropicRequest,
  defaultMaxTokens,
  JSON_TOOL_NAME,
  STRUCTURED_OUTPUTS_BETA,
} from './anthropic.request';
import { anthropicFinish, anthropicTokenUsage, parseAnthropicResponse } from './anthropic.response';
import { createAnthropicStreamTranslator } from './anthropic.stream';
import type { AnthropicMessagesRequest } from './anthropic.types';

const fixture = (name: string): string => readFileSync(join(__dirname, '__fixtures__', name), 'utf8');
const json = <T = Record<string, unknown>>(name: string): T => JSON.parse(fixture(name)) as T;

const NOW = 1_750_000_000_000;
const KEY = 'sk-ant-api03-deployment-secret-0123456789';

function dep(over: Partial<ProviderDeployment> = {}): ProviderDeployment {
  return {
    id: 'dep-claude',
    modelName: 'claude-sonnet',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5-20250929',
    apiKey: KEY,
    ...over,
  };
}

function input(body: Record<string, unknown>) {
  return chatInput(Buffer.from(JSON.stringify({ model: 'claude-sonnet', ...body }), 'utf8'));
}

const user = (content: unknown = 'hi') => [{ role: 'user', content }];

function body(req: Record<string, unknown>, d: ProviderDeployment = dep()): AnthropicMessagesRequest {
  return buildAnthropicBody(input({ messages: user(), ...req }), d).body;
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

describe('request translation', () => {
  it('turns the golden OpenAI request into the golden Anthropic request', () => {
    const req = buildAnthropicRequest(
      ANTHROPIC_API,
      input(json('chat-request.json')),
      dep(),
      staticRequestContext(dep()),
    );
    expect(JSON.parse(req.body as string)).toEqual(json('anthropic-request.json'));
    expect(req.url).toBe('https://api.anthropic.com/v1/messages');
    expect(req.method).toBe('POST');
    expect(req.headers).toEqual({
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'anthropic-version': '2023-06-01',
      'x-api-key': KEY,
    });
  });

  it('takes api_base with or without /v1, and merges anthropic-beta from extra_headers with what it needs', () => {
    const url = (apiBase: string) =>
      buildAnthropicRequest(ANTHROPIC_API, input({ messages: user() }), dep({ apiBase }), staticRequestContext(dep()))
        .url;
    expect(url('http://127.0.0.1:9000')).toBe('http://127.0.0.1:9000/v1/messages');
    expect(url('http://proxy/anthropic/v1/')).toBe('http://proxy/anthropic/v1/messages');
    expect(url('http://proxy/v1/messages')).toBe('http://proxy/v1/messages');

    const d = dep({
      params: {
        family: 'anthropic',
        extra_headers: {
          'Anthropic-Beta': 'prompt-caching-2024-07-31, interleaved-thinking-2025-05-14',
          'X-Team': 'a',
        },
      },
    });
    const strict = {
      messages: user(),
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' }, strict: true } }],
    };
    const req = buildAnthropicRequest(ANTHROPIC_API, input(strict), d, staticRequestContext(d));
    expect(req.headers['anthropic-beta']).toBe(
      `prompt-caching-2024-07-31,interleaved-thinking-2025-05-14,${STRUCTURED_OUTPUTS_BETA}`,
    );
    expect(req.headers['x-team']).toBe('a');
    expect(JSON.parse(req.body as string).tools[0].strict).toBe(true);
    expect(req.headers['accept']).toBe('application/json');
  });

  it('fills max_tokens from the catalogue, else 4096, and raises it above the thinking budget', () => {
    expect(body({}).max_tokens).toBe(64000);
    expect(body({}, dep({ model: 'claude-3-haiku-20240307' })).max_tokens).toBe(4096);
    expect(body({}, dep({ model: 'claude-unknown-model' })).max_tokens).toBe(4096);
    expect(defaultMaxTokens('claude-3-haiku-20240307', 4096)).toBe(8192);
    expect(body({ reasoning_effort: 'high' }, dep({ model: 'claude-3-haiku-20240307' }))).toMatchObject({
      max_tokens: 8192,
      thinking: { type: 'enabled', budget_tokens: 4096 },
    });
    expect(body({ max_tokens: 300 }).max_tokens).toBe(300);
    expect(body({ max_completion_tokens: 200 }).max_tokens).toBe(200);
  });

  it('fills what the client left out from the deployment request defaults and extra_body', () => {
    const d = dep({
      requestDefaults: { temperature: 0.7, max_tokens: 99 },
      params: { family: 'anthropic', extra_body: { top_k: 5, temperature: 0.1 } },
    });
    expect(body({ temperature: 0.3 }, d)).toMatchObject({ temperature: 0.3, max_tokens: 99, top_k: 5 });
    expect(body({}, d)).toMatchObject({ temperature: 0.7 });
  });

  it('maps reasoning_effort to a thinking budget (as LiteLLM), passes Anthropic thinking through', () => {
    expect(body({ reasoning_effort: 'low' }).thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(body({ reasoning_effort: 'medium' }).thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(body({ reasoning_effort: 'high' }).thinking).toEqual({ type: 'enabled', budget_tokens: 4096 });
    expect(body({ reasoning_effort: 'minimal' })).not.toHaveProperty('thinking');
    expect(body({ reasoning_effort: 'none' })).not.toHaveProperty('thinking');
    expect(body({ thinking: { type: 'enabled', budget_tokens: 3000 } }).thinking).toEqual({
      type: 'enabled',
      budget_tokens: 3000,
    });
    expect(rejection(() => body({ reasoning_effort: 'extreme' })).gatewayError).toMatchObject({
      status: 400,
      param: 'reasoning_effort',
    });
    expect(
      rejection(() => body({ reasoning_effort: 'low', thinking: { type: 'enabled', budget_tokens: 2000 } }))
        .gatewayError,
    ).toMatchObject({ code: 'conflicting_parameters' });
  });

  it('keeps thinking valid: temperature 1 only, no forced tools, max_tokens above the budget (or dropped by drop_params)', () => {
    expect(body({ reasoning_effort: 'low', temperature: 1 }).temperature).toBe(1);
    const hot = rejection(() => body({ reasoning_effort: 'low', temperature: 0.5 })).gatewayError;
    expect(hot).toMatchObject({ status: 400, param: 'temperature', code: 'invalid_value' });
    expect(hot.message).toContain('thinking');
    expect(body({ reasoning_effort: 'low', temperature: 0.5, drop_params: true })).not.toHaveProperty('temperature');

    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
    expect(
      rejection(() => body({ reasoning_effort: 'low', tools, tool_choice: 'required' })).gatewayError,
    ).toMatchObject({ param: 'tool_choice' });
    expect(rejection(() => body({ reasoning_effort: 'low', top_k: 5 })).gatewayError.param).toBe('top_k');
    expect(rejection(() => body({ reasoning_effort: 'low', top_p: 0.5 })).gatewayError.param).toBe('top_p');
    expect(body({ reasoning_effort: 'low', top_p: 0.97 }).top_p).toBe(0.97);

    const small = rejection(() => body({ reasoning_effort: 'high', max_tokens: 2000 })).gatewayError;
    expect(small).toMatchObject({ status: 400, param: 'max_tokens' });
    expect(small.message).toContain('thinking budget (4096 tokens)');
    const dropped = buildAnthropicBody(
      input({ messages: user(), reasoning_effort: 'high', max_tokens: 2000, drop_params: true }),
      dep({ model: 'claude-3-haiku-20240307' }),
    );
    expect(dropped.body.max_tokens).toBe(8192);
    expect(dropped.dropped).toEqual([
      { param: 'max_tokens', reason: 'invalid_value', detail: expect.stringContaining('thinking budget') },
    ]);
  });

  it('maps tool_choice and parallel_tool_calls, and leaves a no-op tool_choice out when there are no tools', () => {
    const tools = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } },
    ];
    expect(body({ tools, tool_choice: 'none' }).tool_choice).toEqual({ type: 'none' });
    expect(body({ tools, tool_choice: 'required' }).tool_choice).toEqual({ type: 'any' });
    expect(body({ tools, tool_choice: { type: 'function', function: { name: 'get_weather' } } }).tool_choice).toEqual({
      type: 'tool',
      name: 'get_weather',
    });
    expect(body({ tools, parallel_tool_calls: false }).tool_choice).toEqual({
      type: 'auto',
      disable_parallel_tool_use: true,
    });
    expect(body({ tools, tool_choice: 'required', parallel_tool_calls: false }).tool_choice).toEqual({
      type: 'any',
      disable_parallel_tool_use: true,
    });
    expect(body({ tools })).not.toHaveProperty('tool_choice');
    expect(body({ tool_choice: 'auto' })).not.toHaveProperty('tool_choice');
    expect(body({ tools: [{ type: 'custom', custom: { name: 'x' } }], drop_params: true })).not.toHaveProperty('tools');
    expect(rejection(() => body({ tools: [{ type: 'custom', custom: { name: 'x' } }] })).gatewayError).toMatchObject({
      param: 'tools',
      status: 400,
    });
    expect(
      rejection(() => body({ tools: [{ type: 'function', function: { name: JSON_TOOL_NAME } }] })).gatewayError.message,
    ).toContain('reserved');
  });

  it('translates response_format into a forced json tool (strict kept), offered unforced while thinking', () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const strict = buildAnthropicBody(
      input({
        messages: user(),
        response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } },
      }),
      dep(),
    );
    expect(strict.body.tools).toEqual([
      {
        name: JSON_TOOL_NAME,
        description: 'Respond with the answer as a JSON object in this tool call.',
        input_schema: schema,
        strict: true,
      },
    ]);
    expect(strict.body.tool_choice).toEqual({ type: 'tool', name: JSON_TOOL_NAME });
    expect(strict.betas).toEqual([STRUCTURED_OUTPUTS_BETA]);

    const open = body({ response_format: { type: 'json_object' } });
    expect(open.tools![0]!.input_schema).toEqual({ type: 'object', additionalProperties: true });
    expect(body({ response_format: { type: 'text' } })).not.toHaveProperty('tools');
    const thinking = body({ response_format: { type: 'json_object' }, reasoning_effort: 'low' });
    expect(thinking.tools![0]!.name).toBe(JSON_TOOL_NAME);
    expect(thinking).not.toHaveProperty('tool_choice');
    expect(
      rejection(() => body({ response_format: { type: 'json_schema', json_schema: { schema: { type: 'array' } } } }))
        .gatewayError.param,
    ).toBe('response_format');
  });

  it('translates messages: system anywhere, merged tool results first, thinking blocks with signatures, images', () => {
    const signature = 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds';
    const b = body({
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          reasoning_content: 'I should call the tool.',
          thinking_blocks: [
            { type: 'thinking', thinking: 'I should call the tool.', signature },
            { type: 'redacted_thinking', data: 'EmwKAhgB' },
            { type: 'thinking', thinking: 'unsigned, from another provider', signature: null },
          ],
          tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'w', arguments: '' } }],
        },
        { role: 'user', content: 'and quickly please', cache_control: { type: 'ephemeral' } },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
        { role: 'system', content: 'Late system message.' },
      ],
      tools: [{ type: 'function', function: { name: 'w', parameters: { type: 'object' } } }],
    });
    expect(b.system).toEqual([{ type: 'text', text: 'Late system message.' }]);
    expect(b.messages).toEqual([
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'I should call the tool.', signature },
          { type: 'redacted_thinking', data: 'EmwKAhgB' },
          { type: 'tool_use', id: 'toolu_1', name: 'w', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
          { type: 'text', text: 'and quickly please', cache_control: { type: 'ephemeral' } },
        ],
      },
    ]);
  });

  it('refuses what Anthropic cannot take in messages with a 400 naming the message', () => {
    const call = (args: string) => ({
      role: 'assistant',
      tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: args } }],
    });
    const notJson = rejection(() => body({ messages: [...user(), call('{"a": ')] })).gatewayError;
    expect(notJson).toMatchObject({
      status: 400,
      param: 'messages[1].tool_calls[0].function.arguments',
      kind: 'bad_request',
    });
    expect(notJson.message).toContain('messages[1].tool_calls[0].function.arguments is not valid JSON');
    expect(rejection(() => body({ messages: [...user(), call('[1]')] })).gatewayError.message).toContain('JSON object');
    const gif = rejection(() =>
      body({ messages: user([{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,Qk0=' } }]) }),
    ).gatewayError;
    expect(gif).toMatchObject({ param: 'messages[0].content[0]' });
    expect(
      rejection(() => body({ messages: user([{ type: 'input_audio', input_audio: {} }]) })).gatewayError.message,
    ).toContain('input_audio');
    expect(
      rejection(() => body({ messages: [{ role: 'system', content: 'only a system prompt' }] })).gatewayError.param,
    ).toBe('messages');
    expect(
      rejection(() => body({ messages: [{ role: 'function', name: 'f', content: 'x' }] })).gatewayError.param,
    ).toBe('messages[0].role');
  });

  it('takes a base64 PDF file part as a document', () => {
    expect(
      body({ messages: user([{ type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=' } }]) })
        .messages,
    ).toEqual([
      {
        role: 'user',
        content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }],
      },
    ]);
  });
});

/**
 * The parameter table of the report, as a test: every OpenAI chat parameter is supported (on the wire),
 * external (read by the translation or the gateway), or refused with a 400 naming it and the provider —
 * and then dropped, reported, when drop_params is set.
 */
describe('parameter table', () => {
  const supported: Array<[string, unknown, Partial<AnthropicMessagesRequest>]> = [
    ['max_tokens', 10, { max_tokens: 10 }],
    ['max_completion_tokens', 10, { max_tokens: 10 }],
    ['temperature', 0.4, { temperature: 0.4 }],
    ['top_p', 0.8, { top_p: 0.8 }],
    ['top_k', 20, { top_k: 20 }],
    ['stop', ['a', 'b'], { stop_sequences: ['a', 'b'] }],
    ['user', 'u-1', { metadata: { user_id: 'u-1' } }],
    ['safety_identifier', 'h-1', { metadata: { user_id: 'h-1' } }],
    ['reasoning_effort', 'medium', { thinking: { type: 'enabled', budget_tokens: 2048 } }],
    ['thinking', { type: 'adaptive' }, { thinking: { type: 'adaptive' } }],
    ['stream', true, { stream: true }],
  ];
  for (const [param, value, wire] of supported) {
    it(`supports ${param}`, () => expect(body({ [param]: value })).toMatchObject(wire));
  }

  const accepted: Array<[string, unknown]> = [
    ['n', 1],
    ['stream_options', { include_usage: true }],
    ['metadata', { tags: ['x'] }],
    ['parallel_tool_calls', true],
    ['logprobs', false],
    ['top_logprobs', 0],
    ['presence_penalty', 0],
    ['frequency_penalty', 0],
    ['store', false],
    ['modalities', ['text']],
  ];
  for (const [param, value] of accepted) {
    it(`accepts ${param} without a wire field of its own`, () => {
      const r = buildAnthropicBody(input({ messages: user(), stream: true, [param]: value }), dep());
      expect(r.dropped).toEqual([]);
      expect(r.body).not.toHaveProperty(param);
    });
  }

  const refused: Array<[string, unknown]> = [
    ['n', 2],
    ['temperature', 1.5],
    ['stop', ['  ']],
    ['seed', 7],
    ['presence_penalty', 0.5],
    ['frequency_penalty', 0.5],
    ['logit_bias', { '50256': -100 }],
    ['logprobs', true],
    ['top_logprobs', 3],
    ['modalities', ['text', 'audio']],
    ['audio', { voice: 'alloy', format: 'wav' }],
    ['prediction', { type: 'content', content: 'x' }],
    ['store', true],
    ['service_tier', 'flex'],
    ['verbosity', 'low'],
    ['web_search_options', {}],
    ['prompt_cache_key', 'k'],
    ['functions', [{ name: 'f' }]],
    ['function_call', 'auto'],
    ['response_format', { type: 'xml' }],
    ['tool_choice', { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } }],
    ['some_unknown_field', 1],
  ];
  for (const [param, value] of refused) {
    it(`refuses ${param}=${JSON.stringify(value)} with a 400 naming it, drops it with drop_params`, () => {
      const e = rejection(() => body({ [param]: value })).gatewayError;
      expect(e).toMatchObject({ status: 400, type: 'invalid_request_error', param, kind: 'bad_request' });
      expect(e.message).toContain('anthropic');
      const r = buildAnthropicBody(input({ messages: user(), [param]: value, drop_params: true }), dep());
      expect(r.dropped.map((d) => d.param)).toEqual([param]);
      const d = dep({ params: { family: 'anthropic', additional_drop_params: [param] } });
      expect(buildAnthropicBody(input({ messages: user(), [param]: value }), d).dropped).toEqual([
        { param, reason: 'additional_drop_params' },
      ]);
    });
  }
});

describe('non-streamed answers', () => {
  const parse = (name: string) =>
    parseAnthropicResponse(fixture(name), { now: () => NOW }) as { body: string; usage: unknown };

  it('turns a text message into a chat.completion', () => {
    const r = parse('message-text.json');
    expect(JSON.parse(r.body)).toEqual({
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      object: 'chat.completion',
      created: NOW / 1000,
      model: 'claude-sonnet-4-5-20250929',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hi! My name is Claude.', refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 2095,
        completion_tokens: 503,
        total_tokens: 2598,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    });
  });

  it('turns tool_use into tool_calls (ids kept) and counts cache reads and writes into the prompt', () => {
    const r = parse('message-tool-use.json');
    const c = JSON.parse(r.body);
    expect(c.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: "I'll check the current weather in San Francisco for you.",
        tool_calls: [
          {
            id: 'toolu_01A09q90qw90lq917835lq9',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"location":"San Francisco, CA","unit":"celsius"}' },
          },
        ],
      },
    });
    expect(c.usage).toEqual({
      prompt_tokens: 50 + 1024 + 2048,
      completion_tokens: 70,
      total_tokens: 50 + 1024 + 2048 + 70,
      prompt_tokens_details: { cached_tokens: 2048 },
      completion_tokens_details: { reasoning_tokens: 0 },
      cache_creation_input_tokens: 1024,
    });
    expect(r.usage).toEqual({
      promptTokens: 3122,
      completionTokens: 70,
      cachedTokens: 2048,
      cacheWriteTokens: 1024,
      reasoningTokens: 0,
    });
  });

  it('returns thinking as reasoning_content and thinking_blocks (signatures and redacted data kept)', () => {
    const r = parse('message-thinking.json');
    const m = JSON.parse(r.body).choices[0].message;
    expect(m.content).toBe('Based on my analysis...');
    expect(m.reasoning_content).toBe('Let me analyze this step by step...');
    expect(m.thinking_blocks).toEqual(json<{ content: unknown[] }>('message-thinking.json').content.slice(0, 2));
    expect(r.usage).toMatchObject({ completionTokens: 120, reasoningTokens: 90 });
  });

  it('turns the json tool back into content with finish_reason stop', () => {
    const msg = {
      ...json('message-tool-use.json'),
      content: [{ type: 'tool_use', id: 'toolu_x', name: JSON_TOOL_NAME, input: { city: 'Paris' } }],
    };
    const c = JSON.parse(parseAnthropicResponse(JSON.stringify(msg)).body!);
    expect(c.choices[0].message).toMatchObject({ content: '{"city":"Paris"}' });
    expect(c.choices[0].message).not.toHaveProperty('tool_calls');
    expect(c.choices[0].finish_reason).toBe('stop');
  });

  it('maps every stop_reason', () => {
    expect(
      [
        'end_turn',
        'stop_sequence',
        'max_tokens',
        'tool_use',
        'refusal',
        'pause_turn',
        'model_context_window_exceeded',
        null,
      ].map((r) => anthropicFinish(r, false)),
    ).toEqual(['stop', 'stop', 'length', 'tool_calls', 'content_filter', 'stop', 'length', 'stop']);
  });

  it('estimates reasoning tokens from the thinking text when the API does not report them', () => {
    expect(anthropicTokenUsage({ input_tokens: 1, output_tokens: 100 }, 40).reasoningTokens).toBe(10);
    expect(anthropicTokenUsage({ input_tokens: 1, output_tokens: 5 }, 400).reasoningTokens).toBe(5);
  });

  it('reports no usage (so the caller estimates) for an answer without counts', () => {
    const msg = { ...json('message-text.json'), usage: undefined };
    expect(parseAnthropicResponse(JSON.stringify(msg))).toMatchObject({ usage: undefined, generatedChars: 22 });
  });

  it('refuses a body that is not a message with a retryable 502', () => {
    expect(rejection(() => parseAnthropicResponse('<html>')).gatewayError).toMatchObject({
      status: 502,
      code: 'upstream_bad_response',
    });
    expect(rejection(() => parseAnthropicResponse('{"choices":[]}')).gatewayError.message).toContain(
      'Anthropic message',
    );
  });
});

function sseEvents(text: string | Uint8Array[], pieces = false): SseEvent[] {
  const p = new SseParser();
  const out: SseEvent[] = [];
  if (pieces) for (const piece of text as Uint8Array[]) out.push(...p.push(piece));
  else out.push(...p.push(text as string));
  return [...out, ...p.end()];
}

function run(events: SseEvent[], includeUsage: boolean): { text: string; t: StreamTranslator<SseEvent> } {
  const t = createAnthropicStreamTranslator(
    { includeUsage, request: { id: 'chatcmpl-x', model: 'claude-sonnet', n: 1 } },
    { now: () => NOW },
  );
  let text = '';
  for (const e of events) text += t.push(e);
  text += t.end();
  return { text, t };
}

const chunks = (text: string) =>
  text
    .split('\n\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);

describe('streams', () => {
  it('writes the docs text stream as OpenAI chunks: role first, deltas, finish, usage chunk when asked', () => {
    const { text, t } = run(sseEvents(fixture('stream-text.sse')), true);
    const head = {
      id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY',
      object: 'chat.completion.chunk',
      created: NOW / 1000,
      model: 'claude-opus-4-1-20250805',
    };
    expect(chunks(text)).toEqual([
      {
        ...head,
        choices: [
          { index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null },
        ],
        usage: null,
      },
      {
        ...head,
        choices: [{ index: 0, delta: { content: 'Hello' }, logprobs: null, finish_reason: null }],
        usage: null,
      },
      {
        ...head,
        choices: [{ index: 0, delta: { content: '! Héllo wörld 🌍 日本語' }, logprobs: null, finish_reason: null }],
        usage: null,
      },
      { ...head, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null },
      {
        ...head,
        choices: [],
        usage: {
          prompt_tokens: 25,
          completion_tokens: 15,
          total_tokens: 40,
          prompt_tokens_details: { cached_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0 },
        },
      },
    ]);
    expect(t.state).toMatchObject({ done: true, finished: true, contentSeen: true, error: undefined });
    expect(t.state.usage).toEqual({
      promptTokens: 25,
      completionTokens: 15,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
    // Without include_usage: no usage chunk, but the state still has the usage to record.
    const plain = run(sseEvents(fixture('stream-text.sse')), false);
    expect(chunks(plain.text).some((c) => 'usage' in c)).toBe(false);
    expect(plain.t.state.usage?.completionTokens).toBe(15);
  });

  for (const name of ['stream-text.sse', 'stream-tool-use.sse', 'stream-thinking.sse', 'stream-error.sse']) {
    it(`${name}: the same output whatever the byte boundaries`, () => {
      const bytes = Buffer.from(fixture(name), 'utf8');
      const whole = run(sseEvents(fixture(name)), true);
      for (let seed = 1; seed <= 25; seed++) {
        const split = run(sseEvents(splitAtRandom(bytes, seed), true), true);
        expect(split.text).toBe(whole.text);
        expect(split.t.state).toEqual(whole.t.state);
      }
    });
  }

  it('streams tool calls: index, id and name first, then argument fragments; "{}" for a call without arguments', () => {
    const { text } = run(sseEvents(fixture('stream-tool-use.sse')), false);
    const deltas = chunks(text).map(
      (c) => (c['choices'] as Array<{ delta: Record<string, unknown>; finish_reason: unknown }>)[0]!,
    );
    const calls = deltas.flatMap((d) => (d.delta['tool_calls'] as Array<Record<string, unknown>> | undefined) ?? []);
    expect(calls[0]).toEqual({
      index: 0,
      id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
      type: 'function',
      function: { name: 'get_weather', arguments: '' },
    });
    const args = (i: number) =>
      calls
        .filter((c) => c['index'] === i && c['id'] === undefined)
        .map((c) => (c['function'] as { arguments: string }).arguments)
        .join('');
    expect(JSON.parse(args(0))).toEqual({ location: 'San Francisco, CA', unit: 'fahrenheit' });
    expect(calls.find((c) => c['index'] === 1 && c['id'] !== undefined)).toMatchObject({
      id: 'toolu_01NoArgs0000000000000000',
      function: { name: 'get_time' },
    });
    expect(args(1)).toBe('{}');
    expect(
      deltas
        .map((d) => d.delta['content'])
        .filter((c) => typeof c === 'string' && c !== '')
        .join(''),
    ).toBe("Okay, let's check the weather for San Francisco, CA:");
    expect(deltas.at(-1)!.finish_reason).toBe('tool_calls');
  });

  it('streams thinking as reasoning_content, then each whole block in thinking_blocks', () => {
    const { text, t } = run(sseEvents(fixture('stream-thinking.sse')), true);
    const deltas = chunks(text).flatMap((c) =>
      (c['choices'] as Array<{ delta: Record<string, unknown> }>).map((ch) => ch.delta),
    );
    expect(
      deltas
        .map((d) => d['reasoning_content'])
        .filter(Boolean)
        .join(''),
    ).toBe('Let me solve this step by step:\n\n1. First break down 27 * 453\n2. 453 = 400 + 50 + 3');
    expect(deltas.flatMap((d) => (d['thinking_blocks'] as unknown[] | undefined) ?? [])).toEqual([
      {
        type: 'thinking',
        thinking: 'Let me solve this step by step:\n\n1. First break down 27 * 453\n2. 453 = 400 + 50 + 3',
        signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...',
      },
      { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIw...' },
    ]);
    // The docs' stream reports no usage: none is recorded (the translator estimates it), and the stream is complete.
    expect(t.state).toMatchObject({ done: true, error: undefined, usage: undefined });
    expect(t.state.generatedChars).toBeGreaterThan(80);
  });

  it('turns the json tool into content deltas and finish_reason stop', () => {
    const ev = (type: string, data: Record<string, unknown>) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const sse =
      ev('message_start', {
        message: { id: 'msg_j', model: 'claude-x', usage: { input_tokens: 3, output_tokens: 1 } },
      }) +
      ev('content_block_start', {
        index: 0,
        content_block: { type: 'tool_use', id: 'toolu_j', name: JSON_TOOL_NAME, input: {} },
      }) +
      ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"city": ' } }) +
      ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } }) +
      ev('content_block_stop', { index: 0 }) +
      ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } }) +
      ev('message_stop', {});
    const deltas = chunks(run(sseEvents(sse), false).text).map(
      (c) => (c['choices'] as Array<{ delta: Record<string, unknown>; finish_reason: unknown }>)[0]!,
    );
    expect(deltas.map((d) => d.delta['content'] ?? '').join('')).toBe('{"city": "Paris"}');
    expect(deltas.some((d) => 'tool_calls' in d.delta)).toBe(false);
    expect(deltas.at(-1)!.finish_reason).toBe('stop');
  });

  it('ends with the error of an error event (overloaded → 503), writing nothing for it', () => {
    const { text, t } = run(sseEvents(fixture('stream-error.sse')), true);
    expect(t.state.error).toMatchObject({ status: 503, kind: 'overloaded', type: 'overloaded_error', retryable: true });
    expect(t.state.done).toBe(false);
    expect(text).not.toContain('error');
    expect(text).toContain('"content":"Hel"');
  });

  it('reports a stream cut before message_stop as truncated, and a stream that starts wrong as bad', () => {
    const events = sseEvents(fixture('stream-text.sse'));
    const cut = run(events.slice(0, 5), true);
    expect(cut.t.state.error).toMatchObject({ status: 502, code: 'upstream_stream_truncated', retryable: true });
    expect(cut.text).not.toContain('"usage":{');
    const wrong = run(events.slice(1), false);
    expect(wrong.t.state.error).toMatchObject({ code: 'upstream_bad_stream' });
    expect(run([{ event: 'message_start', data: '{not json', id: undefined }], false).t.state.error?.code).toBe(
      'upstream_bad_stream',
    );
  });

  it('the openai SDK assembles from our chunks what the non-streamed path builds', async () => {
    const { text } = run(sseEvents(fixture('stream-tool-use.sse')), true);
    const client = new OpenAI({
      apiKey: 'sk-test',
      baseURL: 'http://switchyard.invalid/v1',
      maxRetries: 0,
      fetch: async () =>
        new Response(text + 'data: [DONE]\n\n', { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    });
    const sdk = await client.chat.completions
      .stream({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream_options: { include_usage: true } })
      .finalChatCompletion();
    expect(sdk.choices[0]!.finish_reason).toBe('tool_calls');
    expect(
      sdk.choices[0]!.message.tool_calls!.map((c) => c.type === 'function' && JSON.parse(c.function.arguments)),
    ).toEqual([{ location: 'San Francisco, CA', unit: 'fahrenheit' }, {}]);
    expect(sdk.usage).toMatchObject({ prompt_tokens: 472, completion_tokens: 89 });
  });
});

describe('errors', () => {
  const err = (status: number, bodyText: string, headers: Record<string, string> = {}, d = dep()) =>
    normaliseAnthropicError({ status, body: bodyText, headers }, d);
  const wire = (type: string, message: string) =>
    JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_1' });

  it('maps each Anthropic error type to the gateway error', () => {
    const table: Array<[number, string, Record<string, unknown>]> = [
      [
        400,
        'invalid_request_error',
        { status: 400, type: 'invalid_request_error', kind: 'bad_request', retryable: false },
      ],
      [401, 'authentication_error', { status: 502, code: 'upstream_auth_failed', kind: 'auth', retryable: true }],
      [402, 'billing_error', { status: 502, kind: 'unavailable', retryable: true }],
      [403, 'permission_error', { status: 502, code: 'upstream_auth_failed', kind: 'auth' }],
      [404, 'not_found_error', { status: 404, kind: 'not_found', code: 'model_not_found', retryable: false }],
      [413, 'request_too_large', { status: 413, kind: 'too_large', code: 'request_too_large' }],
      [429, 'rate_limit_error', { status: 429, type: 'rate_limit_error', kind: 'rate_limited', retryable: true }],
      [500, 'api_error', { status: 502, kind: 'upstream_5xx', code: 'upstream_error', retryable: true }],
      [504, 'timeout_error', { status: 504, kind: 'timeout', code: 'timeout', retryable: true }],
      [
        529,
        'overloaded_error',
        { status: 503, type: 'overloaded_error', code: 'overloaded', kind: 'overloaded', retryable: true },
      ],
    ];
    for (const [status, type, expected] of table) expect(err(status, wire(type, 'm'))).toMatchObject(expected);
    expect(err(408, '')).toMatchObject({ status: 504, kind: 'timeout' });
    expect(err(503, '<html>down</html>')).toMatchObject({ status: 502, kind: 'upstream_5xx' });
    expect(err(404, '<html>nginx</html>')).toMatchObject({ status: 502, kind: 'unavailable' });
  });

  it('keeps retry-after and the provider message on 429 and 529', () => {
    const limited = err(429, fixture('error-429.json'), { 'retry-after': '7' });
    expect(limited.retryAfter).toBe(7);
    expect(limited.message).toContain('would exceed the rate limit');
    const overloaded = err(529, fixture('error-529.json'), { 'retry-after': '3' });
    expect(overloaded).toMatchObject({ status: 503, retryAfter: 3 });
    expect(overloaded.message).toContain('Overloaded');
  });

  it('recognises context-length and content-policy refusals from Anthropic wording', () => {
    expect(err(400, fixture('error-400-prompt-too-long.json'))).toMatchObject({
      status: 400,
      kind: 'context_window',
      code: 'context_length_exceeded',
      message: 'prompt is too long: 208432 tokens > 200000 maximum',
    });
    expect(
      err(
        400,
        wire(
          'invalid_request_error',
          'input length and `max_tokens` exceed context limit: 197202 + 21333 > 200000, decrease input length or `max_tokens` and try again',
        ),
      ),
    ).toMatchObject({ kind: 'context_window', code: 'context_length_exceeded' });
    expect(
      err(
        400,
        wire(
          'invalid_request_error',
          'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing.',
        ),
      ),
    ).toMatchObject({ status: 502, kind: 'unavailable', retryable: true });
    expect(err(400, wire('invalid_request_error', 'Output blocked by content filtering policy'))).toMatchObject({
      kind: 'content_policy',
      code: 'content_policy_violation',
    });
  });

  it('masks the deployment key by value and every key shape in messages', () => {
    const d = dep({ apiKey: 'my-plain-secret-value' });
    const e = err(
      400,
      wire('invalid_request_error', 'bad key my-plain-secret-value and sk-ant-api03-abcdefghijkl'),
      {},
      d,
    );
    expect(e.message).not.toContain('my-plain-secret-value');
    expect(e.message).not.toContain('abcdefghijkl');
    const auth = err(401, wire('authentication_error', `invalid x-api-key ${KEY}`));
    expect(auth.message).not.toContain(KEY);
  });

  it('maps stream error events by their type', () => {
    expect(anthropicStreamError({ type: 'overloaded_error', message: 'Overloaded' })).toMatchObject({
      status: 503,
      kind: 'overloaded',
    });
    expect(anthropicStreamError({ type: 'api_error', message: 'x' })).toMatchObject({
      status: 502,
      kind: 'upstream_5xx',
    });
    expect(anthropicStreamError({ type: 'invalid_request_error', message: 'x' })).toMatchObject({
      status: 502,
      retryable: true,
    });
  });
});

describe('adapter', () => {
  it('is registered for anthropic/ and declares SSE, x-api-key credentials and a translated API', () => {
    const a = adapterFor({ provider: 'anthropic' });
    expect(a).toBe(anthropicAdapter);
    expect(a).toMatchObject({ provider: 'anthropic', api: 'native', streamFraming: 'sse' });
    expect(a.credentials.resolve(dep(), NOW)).toEqual({ apiKey: KEY });
  });
});

describe('Anthropic on Vertex AI (vertex_ai/claude-*)', () => {
  const vdep = (over: Partial<ProviderDeployment> = {}): ProviderDeployment =>
    dep({
      provider: 'vertex_ai',
      model: 'claude-sonnet-4-5@20250929',
      apiKey: undefined,
      params: { family: 'vertex_ai', vertex_project: 'my-proj', vertex_location: 'europe-west1' },
      ...over,
    });
  const ctx = { now: () => NOW, credentials: { token: { value: 'ya29.token-value', expiresAt: NOW + 3_600_000 } } };

  it('is chosen for claude models of vertex_ai deployments, and reuses every translation of the Anthropic adapter', () => {
    expect(adapterFor({ provider: 'vertex_ai', model: 'claude-opus-4-1@20250805' })).toBe(vertexAnthropicAdapter);
    expect(vertexAnthropicAdapter).toMatchObject({ provider: 'vertex_ai', api: 'native', streamFraming: 'sse' });
  });

  it('calls rawPredict / streamRawPredict with the model in the URL, anthropic_version in the body, a bearer token', () => {
    const req = vertexAnthropicAdapter.chat.buildRequest(
      input({ messages: user(), stream: true, reasoning_effort: 'low' }),
      vdep({
        params: {
          family: 'vertex_ai',
          vertex_project: 'my-proj',
          vertex_location: 'europe-west1',
          extra_headers: { 'anthropic-beta': 'context-1m-2025-08-07' },
        },
      }),
      ctx,
    );
    expect(req.url).toBe(
      'https://europe-west1-aiplatform.googleapis.com/v1/projects/my-proj/locations/europe-west1/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict',
    );
    expect(req.headers).toEqual({
      'content-type': 'application/json',
      accept: 'text/event-stream',
      authorization: 'Bearer ya29.token-value',
      'anthropic-beta': 'context-1m-2025-08-07',
    });
    const sentBody = JSON.parse(req.body as string);
    expect(sentBody).not.toHaveProperty('model');
    expect(sentBody).toMatchObject({
      anthropic_version: 'vertex-2023-10-16',
      max_tokens: 64000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  it('builds the global and api_base URLs, and says what is missing', () => {
    expect(
      vertexAnthropicUrl(
        vdep({ params: { family: 'vertex_ai', vertex_project: 'p', vertex_location: 'global' } }),
        false,
      ),
    ).toBe(
      'https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict',
    );
    expect(
      vertexAnthropicUrl(
        vdep({ apiBase: 'http://127.0.0.1:9/', params: { family: 'vertex_ai', vertex_project: 'p' } }),
        false,
      ),
    ).toBe(
      'http://127.0.0.1:9/v1/projects/p/locations/us-central1/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict',
    );
    expect(() => vertexAnthropicUrl(vdep({ params: { family: 'vertex_ai' } }), false)).toThrow(/vertex_project/);
    expect(() => VERTEX_ANTHROPIC_API.authHeaders({ now: () => NOW, credentials: {} }, vdep())).toThrow(/access token/);
  });
});

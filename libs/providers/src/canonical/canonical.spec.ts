import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { SseParser } from '../sse/sse.parser';
import type { CanonicalEvent } from './canonical-event.types';
import { OpenAIChatDecoder } from './decoders/openai-chat.decoder';
import { aggregateOpenAIChat, OpenAIChatAggregator } from './encoders/openai-chat.aggregator';
import { OpenAIChatEncoder, type OpenAIChatEncoderOptions } from './encoders/openai-chat.encoder';

const textStream = readFileSync(join(__dirname, '../openai/__fixtures__/chat-stream-with-usage.sse'), 'utf8');
const toolStream = readFileSync(join(__dirname, '__fixtures__/chat-stream-tool-calls.sse'), 'utf8');

function sseData(text: string): string[] {
  const p = new SseParser();
  return [...p.push(text), ...p.end()].map((e) => e.data);
}

function decode(text: string): CanonicalEvent[] {
  const d = new OpenAIChatDecoder();
  return sseData(text).flatMap((data) => d.push(data));
}

function encode(events: CanonicalEvent[], opts: OpenAIChatEncoderOptions): string {
  const enc = new OpenAIChatEncoder(opts);
  return events.map((e) => enc.push(e)).join('') + enc.end() + enc.terminator();
}

const usage = { promptTokens: 19, completionTokens: 10, cachedTokens: 8, cacheWriteTokens: 0, reasoningTokens: 2 };

/** Answers every request with `body` as an event stream, so the SDK parses our bytes with no network. */
function sdkServing(body: string): OpenAI {
  return new OpenAI({
    apiKey: 'sk-test',
    baseURL: 'http://switchyard.invalid/v1',
    maxRetries: 0,
    fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
  });
}

describe('OpenAIChatDecoder', () => {
  it('turns a recorded OpenAI text stream into canonical events', () => {
    expect(decode(textStream)).toEqual([
      {
        type: 'message_start',
        id: 'chatcmpl-123',
        model: 'gpt-4o-mini-2024-07-18',
        created: 1694268190,
        systemFingerprint: 'fp_44709d6fcb',
        serviceTier: 'default',
      },
      { type: 'role', choice: 0 },
      { type: 'text_delta', choice: 0, text: 'Héllo' },
      { type: 'text_delta', choice: 0, text: ' wörld 🌍, "usage":{ not a key' },
      { type: 'text_delta', choice: 0, text: ' 日本語' },
      { type: 'finish', choice: 0, reason: 'stop', nativeReason: 'stop' },
      { type: 'usage', usage },
    ]);
  });

  it('turns parallel tool calls into starts and argument deltas', () => {
    const events = decode(toolStream);
    expect(events.filter((e) => e.type === 'tool_call_start')).toEqual([
      { type: 'tool_call_start', choice: 0, index: 0, id: 'call_Wx9', name: 'get_weather' },
      { type: 'tool_call_start', choice: 0, index: 1, id: 'call_Tz4', name: 'get_time' },
    ]);
    const args = (i: number) =>
      events.flatMap((e) => (e.type === 'tool_call_delta' && e.index === i ? [e.arguments] : [])).join('');
    expect(JSON.parse(args(0))).toEqual({ location: 'Paris, France' });
    expect(JSON.parse(args(1))).toEqual({ tz: 'Europe/Paris', label: 'Zürich → 東京' });
    expect(events.at(-2)).toEqual({ type: 'finish', choice: 0, reason: 'tool_calls', nativeReason: 'tool_calls' });
  });

  it('reads reasoning fields, legacy function_call finishes, errors and junk', () => {
    const d = new OpenAIChatDecoder();
    const head = { id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm' };
    expect(
      d.push(
        JSON.stringify({ ...head, choices: [{ index: 0, delta: { reasoning_content: 'hmm' }, finish_reason: null }] }),
      ),
    ).toEqual([
      { type: 'message_start', id: 'x', model: 'm', created: 1 },
      { type: 'reasoning_delta', choice: 0, text: 'hmm' },
    ]);
    expect(
      d.push(JSON.stringify({ ...head, choices: [{ index: 0, delta: { reasoning: '!' }, finish_reason: null }] })),
    ).toEqual([{ type: 'reasoning_delta', choice: 0, text: '!' }]);
    expect(
      d.push(JSON.stringify({ ...head, choices: [{ index: 0, delta: {}, finish_reason: 'function_call' }] })),
    ).toEqual([{ type: 'finish', choice: 0, reason: 'tool_calls', nativeReason: 'function_call' }]);
    expect(d.push('[DONE]')).toEqual([]);

    const failing = new OpenAIChatDecoder();
    const [err] = failing.push(
      '{"error":{"message":"overloaded, key sk-abcdefghijklmnopqrstuv","type":"server_error","code":null}}',
    );
    expect(err).toMatchObject({
      type: 'error',
      error: { status: 502, type: 'server_error', retryable: true, kind: 'upstream_5xx' },
    });
    expect(JSON.stringify(err)).not.toContain('sk-abcdefghijklmnopqrstuv');
    expect(failing.push(JSON.stringify({ ...head, choices: [] }))).toEqual([]);
    expect(new OpenAIChatDecoder().push('<html>')).toMatchObject([
      { type: 'error', error: { code: 'upstream_stream_error' } },
    ]);
  });
});

describe('OpenAIChatEncoder', () => {
  it('re-encodes a recorded OpenAI stream chunk for chunk', () => {
    const out = encode(decode(textStream), { includeUsage: true });
    const original = sseData(textStream).map((d) => (d === '[DONE]' ? d : JSON.parse(d)));
    const ours = sseData(out).map((d) => (d === '[DONE]' ? d : JSON.parse(d)));
    // Only OpenAI's audio and prediction counters, which the canonical usage does not carry, differ.
    const lastOriginal = original.at(-2) as { usage: Record<string, Record<string, unknown>> };
    delete lastOriginal.usage['prompt_tokens_details']!['audio_tokens'];
    lastOriginal.usage['completion_tokens_details'] = { reasoning_tokens: 2 };
    expect(ours).toEqual(original);
    expect(out.endsWith('\n\ndata: [DONE]\n\n')).toBe(true);
  });

  it('leaves usage out unless the client asked for it, and optional fields out unless known', () => {
    const events: CanonicalEvent[] = [
      { type: 'message_start', id: 'c1', model: 'claude-x', created: 5 },
      { type: 'text_delta', choice: 0, text: 'hi' },
      { type: 'usage', usage },
      { type: 'finish', choice: 0, reason: 'length', nativeReason: 'max_tokens' },
    ];
    const chunks = sseData(encode(events, { includeUsage: false }));
    expect(chunks.map((d) => (d === '[DONE]' ? d : JSON.parse(d)))).toEqual([
      {
        id: 'c1',
        object: 'chat.completion.chunk',
        created: 5,
        model: 'claude-x',
        choices: [
          { index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null },
        ],
      },
      {
        id: 'c1',
        object: 'chat.completion.chunk',
        created: 5,
        model: 'claude-x',
        choices: [{ index: 0, delta: { content: 'hi' }, logprobs: null, finish_reason: null }],
      },
      {
        id: 'c1',
        object: 'chat.completion.chunk',
        created: 5,
        model: 'claude-x',
        choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'length' }],
      },
      '[DONE]',
    ]);
  });

  it('writes a mid-stream error as an error event and nothing after it', () => {
    const enc = new OpenAIChatEncoder({ includeUsage: true });
    enc.push({ type: 'message_start', id: 'c', model: 'm', created: 1 });
    const text = enc.push({
      type: 'error',
      error: {
        kind: 'upstream_5xx',
        status: 502,
        type: 'api_error',
        code: 'upstream_stream_error',
        param: null,
        message: 'boom',
      },
    });
    expect(text).toBe(
      'data: {"error":{"message":"boom","type":"api_error","param":null,"code":"upstream_stream_error"}}\n\n',
    );
    expect(enc.push({ type: 'usage', usage })).toBe('');
    expect(enc.push({ type: 'text_delta', choice: 0, text: 'x' })).toBe('');
    expect(enc.end()).toBe('');
  });

  it('refuses events before message_start', () => {
    expect(() => new OpenAIChatEncoder({ includeUsage: false }).push({ type: 'role', choice: 0 })).toThrow(
      /message_start/,
    );
  });

  it('writes a whole reasoning block as thinking_blocks (signature kept), or leaves it out with reasoning', () => {
    const block = { type: 'thinking' as const, thinking: 'think', signature: 'sig==' };
    const events: CanonicalEvent[] = [
      { type: 'message_start', id: 'c', model: 'm', created: 1 },
      { type: 'reasoning_block', choice: 0, block },
      { type: 'reasoning_block', choice: 0, block: { type: 'redacted_thinking', data: 'opaque' } },
    ];
    const out = encode(events, { includeUsage: false });
    expect(out).toContain(`"delta":{"thinking_blocks":[${JSON.stringify(block)}]}`);
    expect(out).toContain('"delta":{"thinking_blocks":[{"type":"redacted_thinking","data":"opaque"}]}');
    expect(encode(events, { includeUsage: false, reasoning: 'omit' })).not.toContain('thinking_blocks');
  });

  it('shows cache writes as cache_creation_input_tokens, only when there were some', () => {
    const events: CanonicalEvent[] = [
      { type: 'message_start', id: 'c', model: 'm', created: 1 },
      { type: 'text_delta', choice: 0, text: 'x' },
      { type: 'usage', usage: { ...usage, cacheWriteTokens: 4 } },
    ];
    expect(sseData(encode(events, { includeUsage: true })).at(-2)).toContain('"cache_creation_input_tokens":4');
    expect(encode(events.slice(0, 2), { includeUsage: true })).not.toContain('cache_creation_input_tokens');
  });

  it('writes reasoning as reasoning_content, or leaves it out', () => {
    const events: CanonicalEvent[] = [
      { type: 'message_start', id: 'c', model: 'm', created: 1 },
      { type: 'reasoning_delta', choice: 0, text: 'think' },
    ];
    expect(encode(events, { includeUsage: false })).toContain('"delta":{"reasoning_content":"think"}');
    expect(encode(events, { includeUsage: false, reasoning: 'omit' })).not.toContain('think');
  });
});

describe('round trips and the official SDK', () => {
  for (const [name, fixture] of [
    ['text stream', textStream],
    ['tool-call stream', toolStream],
  ] as const) {
    it(`${name}: decode → encode → decode gives the same events`, () => {
      const events = decode(fixture);
      expect(decode(encode(events, { includeUsage: true }))).toEqual(events);
      // Without include_usage the same events, less the usage.
      expect(decode(encode(events, { includeUsage: false }))).toEqual(events.filter((e) => e.type !== 'usage'));
    });

    it(`${name}: the openai SDK assembles from our bytes what our aggregator builds`, async () => {
      const events = decode(fixture);
      const client = sdkServing(encode(events, { includeUsage: true }));
      const stream = client.chat.completions.stream({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'hi' }],
        stream_options: { include_usage: true },
      });
      const sdk = await stream.finalChatCompletion();
      const ours = aggregateOpenAIChat(events);
      expect(sdk.id).toBe(ours.id);
      expect(sdk.model).toBe(ours.model);
      expect(sdk.choices[0]!.finish_reason).toBe(ours.choices[0]!.finish_reason);
      expect(sdk.choices[0]!.message.tool_calls ?? []).toEqual(ours.choices[0]!.message.tool_calls ?? []);
      // The SDK keeps the first chunk's `content: ""`; our aggregator reports no text as null, like OpenAI.
      expect(sdk.choices[0]!.message.content || null).toBe(ours.choices[0]!.message.content);
      expect(sdk.usage).toEqual(ours.usage);
    });
  }

  it('the SDK iterates our chunks with plain create({ stream: true })', async () => {
    const client = sdkServing(encode(decode(textStream), { includeUsage: false }));
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Héllo wörld 🌍, "usage":{ not a key 日本語');
  });
});

describe('OpenAIChatAggregator', () => {
  it('builds the non-streamed completion of the tool-call stream', () => {
    expect(aggregateOpenAIChat(decode(toolStream))).toEqual({
      id: 'chatcmpl-tool-1',
      object: 'chat.completion',
      created: 1720000000,
      model: 'gpt-4o-2024-08-06',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [
              {
                id: 'call_Wx9',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"location": "Paris, France"}' },
              },
              {
                id: 'call_Tz4',
                type: 'function',
                function: { name: 'get_time', arguments: '{"tz": "Europe/Paris", "label": "Zürich → 東京"}' },
              },
            ],
            annotations: [],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 82,
        completion_tokens: 51,
        total_tokens: 133,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
      system_fingerprint: 'fp_7f3a1c2d9e',
    });
  });

  it('collects text, refusal and reasoning per choice, and usage details', () => {
    const c = aggregateOpenAIChat([
      { type: 'message_start', id: 'c', model: 'm', created: 1, serviceTier: 'default' },
      { type: 'reasoning_delta', choice: 1, text: 'ponder' },
      { type: 'text_delta', choice: 1, text: 'B' },
      { type: 'refusal_delta', choice: 0, text: "I can't" },
      { type: 'finish', choice: 0, reason: 'content_filter', nativeReason: 'refusal' },
      { type: 'finish', choice: 1, reason: 'stop', nativeReason: 'end_turn' },
      { type: 'usage', usage },
    ]);
    expect(c.choices.map((ch) => [ch.index, ch.message.content, ch.message.refusal, ch.finish_reason])).toEqual([
      [0, null, "I can't", 'content_filter'],
      [1, 'B', null, 'stop'],
    ]);
    expect(c.choices[1]!.message['reasoning_content']).toBe('ponder');
    expect(c.choices[1]!.message).not.toHaveProperty('thinking_blocks');
    const withBlocks = aggregateOpenAIChat([
      { type: 'message_start', id: 'c', model: 'm', created: 1 },
      { type: 'reasoning_delta', choice: 0, text: 'a' },
      { type: 'reasoning_block', choice: 0, block: { type: 'thinking', thinking: 'a', signature: 's' } },
      { type: 'reasoning_block', choice: 0, block: { type: 'redacted_thinking', data: 'd' } },
    ]);
    expect(withBlocks.choices[0]!.message['thinking_blocks']).toEqual([
      { type: 'thinking', thinking: 'a', signature: 's' },
      { type: 'redacted_thinking', data: 'd' },
    ]);
    expect(c.usage).toEqual({
      prompt_tokens: 19,
      completion_tokens: 10,
      total_tokens: 29,
      prompt_tokens_details: { cached_tokens: 8 },
      completion_tokens_details: { reasoning_tokens: 2 },
    });
    expect(c.service_tier).toBe('default');
    expect(c).not.toHaveProperty('system_fingerprint');
  });

  it('throws the stream error, or a 502 for arguments of a call that never started', () => {
    const agg = new OpenAIChatAggregator();
    agg.push({ type: 'message_start', id: 'c', model: 'm', created: 1 });
    agg.push({ type: 'tool_call_delta', choice: 0, index: 3, arguments: '{}' });
    expect(agg.error).toMatchObject({ status: 502, code: 'upstream_bad_response' });
    expect(() => agg.result()).toThrow(/tool call 3/);
    expect(() => aggregateOpenAIChat([])).toThrow(/before it began/);
  });
});

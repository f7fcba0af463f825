import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import { describe, expect, it } from 'vitest';
import { splitAtRandom } from '../../__fixtures__/split-at-random';
import { createAnthropicPassthrough } from '../../anthropic/anthropic.passthrough';
import { ANTHROPIC_API } from '../../anthropic/anthropic.request';
import { createAnthropicStreamTranslator } from '../../anthropic/anthropic.stream';
import { bedrockAdapter } from '../../bedrock/bedrock.adapter';
import { cohereAdapter } from '../../cohere/cohere.adapter';
import { encodeAwsJsonEvent } from '../../framing/aws-eventstream.encoder';
import { createFrameDecoder } from '../../framing/frame-decoder';
import { geminiAdapter } from '../../gemini/gemini.adapter';
import type { ChatCompletionChunk } from '../../openai-types';
import type { ProviderAdapter, StreamTranslator } from '../../provider-adapter';
import { SseParser, type SseEvent } from '../../sse/sse.parser';
import type { CanonicalEvent } from '../canonical-event.types';
import { canonicalStreamTranslator } from '../canonical-stream';
import { OpenAIChatStreamReader } from '../decoders/openai-chat.decoder';
import { encodedOperation, encodeCompletion } from '../encoded-operation';
import { AnthropicMessageAggregator } from './anthropic-messages.aggregator';
import { anthropicStopReason, AnthropicMessagesEncoder } from './anthropic-messages.encoder';

const fixture = (dir: string, name: string): Buffer =>
  readFileSync(join(__dirname, '..', '..', dir, '__fixtures__', name));
const OPTS = {
  includeUsage: false,
  clientApi: 'anthropic.messages' as const,
  request: { id: 'msg_gw1', model: 'claude', n: 1 },
};

/** Runs `bytes` through a stream translator, cut at random byte boundaries; the text it wrote. */
function translate(translator: StreamTranslator<SseEvent>, bytes: Uint8Array, seed: number): string {
  const parser = new SseParser();
  let out = '';
  for (const piece of splitAtRandom(bytes, seed)) for (const e of parser.push(piece)) out += translator.push(e);
  for (const e of parser.end()) out += translator.push(e);
  return out + translator.end();
}

/** Anthropic SSE text → its events, parsed. */
function events(sse: string): Array<{ event: string; data: Record<string, unknown> }> {
  const parser = new SseParser();
  return [...parser.push(sse), ...parser.end()].map((e) => ({
    event: e.event,
    data: JSON.parse(e.data) as Record<string, unknown>,
  }));
}

/** The message the official SDK's MessageStream assembles from Anthropic SSE text (as messages.stream() does). */
async function assemble(sse: string): Promise<Anthropic.Message> {
  const lines = events(sse)
    .filter((e) => e.event !== 'ping')
    .map((e) => {
      // The docs' thinking example leaves usage out of message_start and message_delta; the real API sends it.
      const m = e.data['message'] as Record<string, unknown> | undefined;
      if (m !== undefined && m['usage'] === undefined) m['usage'] = { input_tokens: 0, output_tokens: 0 };
      if (e.data['type'] === 'message_delta' && e.data['usage'] === undefined) e.data['usage'] = { output_tokens: 0 };
      return `${JSON.stringify(e.data)}\n`;
    });
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const l of lines) c.enqueue(new TextEncoder().encode(l));
      c.close();
    },
  });
  return MessageStream.fromReadableStream(body).finalMessage();
}

describe('AnthropicMessagesEncoder', () => {
  it("writes Anthropic's exact event order for a text answer", () => {
    const enc = new AnthropicMessagesEncoder({ id: 'msg_1', model: 'claude' });
    const input: CanonicalEvent[] = [
      { type: 'message_start', id: 'x', model: 'gpt-4o', created: 1 },
      { type: 'role', choice: 0 },
      { type: 'text_delta', choice: 0, text: 'Hel' },
      { type: 'text_delta', choice: 0, text: 'lo' },
      { type: 'finish', choice: 0, reason: 'stop', nativeReason: 'stop' },
      {
        type: 'usage',
        usage: { promptTokens: 30, completionTokens: 2, cachedTokens: 10, cacheWriteTokens: 5, reasoningTokens: 0 },
      },
    ];
    const out = events(input.map((e) => enc.push(e)).join('') + enc.end());
    expect(out.map((e) => e.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(out.every((e) => e.data['type'] === e.event)).toBe(true);
    expect(out[0]!.data['message']).toMatchObject({ id: 'msg_1', model: 'gpt-4o', role: 'assistant', content: [] });
    expect(out[6]!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 15, cache_creation_input_tokens: 5, cache_read_input_tokens: 10, output_tokens: 2 },
    });
  });

  it("states message_start's input tokens: the provider's when counted before the content, else an estimate", () => {
    const start = (input: CanonicalEvent[]) => {
      const enc = new AnthropicMessagesEncoder({ id: 'msg_1', model: 'm', promptChars: 400 });
      const out = events(input.map((e) => enc.push(e)).join(''));
      return (out[0]!.data['message'] as { usage: unknown }).usage;
    };
    const head: CanonicalEvent = { type: 'message_start', id: 'x', model: 'm', created: 1 };
    const text: CanonicalEvent = { type: 'text_delta', choice: 0, text: 'Hi' };
    expect(start([head, text])).toEqual({
      input_tokens: 100,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 0,
    });
    const counted: CanonicalEvent = {
      type: 'usage',
      usage: { promptTokens: 50, completionTokens: 1, cachedTokens: 20, cacheWriteTokens: 0, reasoningTokens: 0 },
    };
    expect(start([head, counted, text])).toEqual({
      input_tokens: 30,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 20,
      output_tokens: 1,
    });
  });

  it.each(['stream-text.sse', 'stream-thinking.sse', 'stream-tool-use.sse'])(
    'round-trips Anthropic stream %s through canonical events to the same assembled message, at any split',
    async (name) => {
      const bytes = fixture('anthropic', name);
      const original = await assemble(bytes.toString('utf8'));
      for (const seed of [1, 7, 42]) {
        const text = translate(createAnthropicStreamTranslator(OPTS), bytes, seed);
        const again = await assemble(text);
        expect(again.content).toEqual(original.content);
        expect(again.stop_reason).toBe(original.stop_reason);
        expect(again.usage.output_tokens).toBe(original.usage.output_tokens);
        expect(again.id).toBe('msg_gw1');
      }
    },
  );

  it('turns an OpenAI-compatible stream of tool calls into tool_use blocks the SDK assembles, at any split', async () => {
    const bytes = fixture('canonical', 'chat-stream-tool-calls.sse');
    for (const seed of [3, 11]) {
      const text = translate(canonicalStreamTranslator(OPTS, new OpenAIChatStreamReader()), bytes, seed);
      const msg = await assemble(text);
      expect(msg.stop_reason).toBe('tool_use');
      expect(msg.content.length).toBeGreaterThan(0);
      for (const b of msg.content) {
        expect(b.type).toBe('tool_use');
        if (b.type === 'tool_use') expect(typeof b.input).toBe('object');
      }
      expect(msg.content[0]).toMatchObject({ type: 'tool_use', id: 'call_Wx9', name: 'get_weather' });
    }
  });

  it('maps finish reasons, keeping a provider word that is already Anthropic’s', () => {
    expect(anthropicStopReason('stop', 'stop')).toBe('end_turn');
    expect(anthropicStopReason('stop', 'STOP')).toBe('end_turn');
    expect(anthropicStopReason('stop', 'stop_sequence')).toBe('stop_sequence');
    expect(anthropicStopReason('length', 'MAX_TOKENS')).toBe('max_tokens');
    expect(anthropicStopReason('tool_calls', 'tool_calls')).toBe('tool_use');
    expect(anthropicStopReason('content_filter', 'SAFETY')).toBe('refusal');
    expect(anthropicStopReason('length', 'end_turn')).toBe('max_tokens');
  });
});

describe('AnthropicMessageAggregator and encodeCompletion', () => {
  it('writes an OpenAI chat.completion as an Anthropic message', () => {
    const completion = JSON.parse(fixture('openai', 'chat-completion.json').toString('utf8'));
    const msg = JSON.parse(encodeCompletion('anthropic.messages', completion, { id: 'msg_9', model: 'm' })) as Record<
      string,
      unknown
    >;
    expect(msg).toMatchObject({
      id: 'msg_9',
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: completion.choices[0].message.content }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: completion.usage.prompt_tokens - (completion.usage.prompt_tokens_details?.cached_tokens ?? 0),
        output_tokens: completion.usage.completion_tokens,
      },
    });
  });

  it('keeps thinking with its signature, redacted thinking and tool calls with their input, in order', () => {
    const agg = new AnthropicMessageAggregator({ id: 'msg_2', model: 'm' });
    const input: CanonicalEvent[] = [
      { type: 'message_start', id: 'x', model: 'up', created: 1 },
      { type: 'reasoning_delta', choice: 0, text: 'Hmm' },
      { type: 'reasoning_block', choice: 0, block: { type: 'thinking', thinking: 'Hmm', signature: 'sig' } },
      { type: 'reasoning_block', choice: 0, block: { type: 'redacted_thinking', data: 'opaque' } },
      { type: 'text_delta', choice: 0, text: 'Calling.' },
      { type: 'tool_call_start', choice: 0, index: 0, id: 'toolu_1', name: 'f' },
      { type: 'tool_call_delta', choice: 0, index: 0, arguments: '{"a":' },
      { type: 'tool_call_delta', choice: 0, index: 0, arguments: '1}' },
      { type: 'finish', choice: 0, reason: 'tool_calls', nativeReason: 'tool_calls' },
    ];
    for (const e of input) agg.push(e);
    expect(agg.result()).toMatchObject({
      content: [
        { type: 'thinking', thinking: 'Hmm', signature: 'sig' },
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'text', text: 'Calling.' },
        { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
      ],
      stop_reason: 'tool_use',
    });
  });
});

describe('Anthropic pass-through stream', () => {
  it('relays every event as the upstream sent it, at any split, and reads its usage on the side', () => {
    const bytes = fixture('anthropic', 'stream-tool-use.sse');
    const original = events(bytes.toString('utf8'));
    for (const seed of [2, 5, 9]) {
      const t = createAnthropicPassthrough(ANTHROPIC_API).createStreamTranslator(OPTS);
      const out = translate(t, bytes, seed);
      expect(events(out)).toEqual(original);
      expect(t.state.done).toBe(true);
      expect(t.state.usage?.completionTokens).toBeGreaterThan(0);
    }
  });

  it("holds back an upstream error event (the gateway writes Anthropic's own) and records the error", () => {
    const t = createAnthropicPassthrough(ANTHROPIC_API).createStreamTranslator(OPTS);
    const out = translate(t, fixture('anthropic', 'stream-error.sse'), 4);
    expect(events(out).map((e) => e.event)).toEqual(['message_start', 'content_block_start', 'content_block_delta']);
    expect(t.state.error).toMatchObject({ status: expect.any(Number) });
  });
});

/** What an answer says, whatever the API: text, reasoning, tool calls (name and parsed arguments). */
interface Gist {
  text: string;
  reasoning: string;
  tools: Array<{ name: string; input: unknown }>;
}

/** The finish_reason an OpenAI stream ended with, as Anthropic's stop_reason. */
function chatStop(sse: string): string | undefined {
  const m = /"finish_reason":"(\w+)"/.exec(sse);
  return m ? { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use' }[m[1]!] : undefined;
}

function chatGist(sse: string): Gist {
  const g: Gist = { text: '', reasoning: '', tools: [] };
  const args: string[] = [];
  for (const line of sse.split('\n\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    const chunk = JSON.parse(line.slice(6)) as ChatCompletionChunk;
    for (const c of chunk.choices ?? []) {
      const d = c.delta ?? {};
      g.text += d.content ?? '';
      g.reasoning += (d['reasoning_content'] as string | undefined) ?? '';
      for (const t of d.tool_calls ?? []) {
        if (t.function?.name) g.tools[t.index] = { name: t.function.name, input: undefined };
        args[t.index] = (args[t.index] ?? '') + (t.function?.arguments ?? '');
      }
    }
  }
  g.tools.forEach((t, i) => (t.input = JSON.parse(args[i] || '{}')));
  return g;
}

function messageGist(msg: Anthropic.Message): Gist {
  const g: Gist = { text: '', reasoning: '', tools: [] };
  for (const b of msg.content) {
    if (b.type === 'text') g.text += b.text;
    if (b.type === 'thinking') g.reasoning += b.thinking;
    if (b.type === 'tool_use') g.tools.push({ name: b.name, input: b.input });
  }
  return g;
}

describe('native adapters written as Anthropic messages', () => {
  const cases: Array<[string, ProviderAdapter, 'sse' | 'aws-eventstream', Uint8Array]> = [
    ['gemini text', geminiAdapter, 'sse', fixture('gemini', 'stream-text.sse')],
    ['gemini tool call', geminiAdapter, 'sse', fixture('gemini', 'stream-tool-call.sse')],
    ['cohere tools', cohereAdapter, 'sse', fixture('cohere', 'chat-stream-tools.sse')],
    ['cohere thinking', cohereAdapter, 'sse', fixture('cohere', 'chat-stream-thinking.sse')],
    [
      'bedrock tool use',
      bedrockAdapter as unknown as ProviderAdapter,
      'aws-eventstream',
      Buffer.concat(
        (
          JSON.parse(fixture('bedrock', 'converse-stream-tool-use.json').toString('utf8')) as Array<
            [string, Record<string, unknown>]
          >
        ).map(([type, payload]) => encodeAwsJsonEvent(type, payload)),
      ),
    ],
  ];

  it.each(cases)(
    '%s: the SDK assembles what the OpenAI chunks say, at any split',
    async (_name, adapter, framing, bytes) => {
      const run = (t: StreamTranslator<never>, seed: number): string => {
        const decoder = createFrameDecoder(framing);
        let out = '';
        for (const p of splitAtRandom(bytes, seed, 64)) for (const e of decoder.push(p)) out += t.push(e as never);
        for (const e of decoder.end()) out += t.push(e as never);
        return out + t.end();
      };
      const chatSse = run(adapter.chat.createStreamTranslator({ includeUsage: true }) as StreamTranslator<never>, 1);
      const chat = chatGist(chatSse);
      expect(chat.text.length + chat.tools.length).toBeGreaterThan(0);
      for (const seed of [5, 13]) {
        const op = encodedOperation(adapter, 'anthropic.messages', 'req1');
        const sse = run(op.createStreamTranslator(OPTS) as StreamTranslator<never>, seed);
        const msg = await assemble(sse);
        expect(messageGist(msg)).toEqual(chat);
        expect(msg.stop_reason).toBe(chatStop(chatSse));
      }
    },
  );
});

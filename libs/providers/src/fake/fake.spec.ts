import type { ProviderDeployment } from '../provider-deployment';
import { staticRequestContext } from '../credentials/credentials.types';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../openai-types';
import type { ChatInput, LocalReply } from '../provider-adapter';
import { chatInput } from '../chat-input';
import { adapterFor } from '../provider.registry';
import { SseParser } from '../sse/sse.parser';
import { fakeAnswer, serveFake } from './fake.responder';
import { estimateTokens } from '../usage/usage.estimate';

const enc = new TextEncoder();
const dec = new TextDecoder();
const dep: ProviderDeployment = { id: 'fake-1', modelName: 'demo', provider: 'fake', model: 'echo' };
const adapter = adapterFor(dep);

function run(
  body: Partial<ChatCompletionRequest>,
  d: ProviderDeployment = dep,
): { reply: LocalReply; input: ChatInput } {
  const full = {
    model: 'demo',
    messages: [{ role: 'user', content: 'Hello there, fake model' }],
    ...body,
  } as ChatCompletionRequest;
  const input: ChatInput = chatInput(enc.encode(JSON.stringify(full)));
  return { reply: serveFake(adapter.chat.buildRequest(input, d, staticRequestContext(d))), input };
}

function text(reply: LocalReply): string {
  return reply.chunks.map((c) => dec.decode(c)).join('');
}

describe('fake provider', () => {
  it('answers a chat.completion deterministically with consistent usage', () => {
    const { reply, input } = run({});
    expect(reply.status).toBe(200);
    const body = JSON.parse(text(reply)) as ChatCompletion;
    expect(body.object).toBe('chat.completion');
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.model).toBe('echo');
    expect(body.choices).toHaveLength(1);
    const answer = body.choices[0]!.message.content!;
    expect(answer).toBe(fakeAnswer('echo', input.body.messages));
    expect(answer).toContain('Hello there, fake model');
    expect(body.choices[0]!.finish_reason).toBe('stop');
    expect(body.usage).toMatchObject({
      prompt_tokens: estimateTokens('Hello there, fake model'.length),
      completion_tokens: estimateTokens(answer.length),
      total_tokens: estimateTokens('Hello there, fake model'.length) + estimateTokens(answer.length),
    });
    const parsed = adapter.chat.parseResponse(text(reply), input);
    expect(parsed.usage).toEqual({
      promptTokens: 6,
      completionTokens: estimateTokens(answer.length),
      cachedTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
  });

  it('streams several chunks in the OpenAI format and honours include_usage', () => {
    for (const includeUsage of [false, true]) {
      const { reply } = run({ stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) });
      expect(reply.headers['content-type']).toContain('text/event-stream');
      expect(reply.chunks.length).toBeGreaterThan(4);
      const parser = new SseParser();
      const tr = adapter.chat.createStreamTranslator({ includeUsage });
      let out = '';
      for (const c of reply.chunks) for (const ev of parser.push(c)) out += tr.push(ev);
      tr.end();
      const events = out
        .split('\n\n')
        .filter(Boolean)
        .map((e) => JSON.parse(e.slice('data: '.length)) as ChatCompletionChunk);
      expect(events[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '', refusal: null });
      const content = events.flatMap((e) => e.choices.map((c) => c.delta.content ?? '')).join('');
      expect(content).toBe(fakeAnswer('echo', [{ role: 'user', content: 'Hello there, fake model' }]));
      expect(events.some((e) => e.choices[0]?.finish_reason === 'stop')).toBe(true);
      const usageChunks = events.filter((e) => e.choices.length === 0);
      expect(usageChunks).toHaveLength(includeUsage ? 1 : 0);
      if (!includeUsage) expect(events.every((e) => !('usage' in e))).toBe(true);
      // Usage is recorded either way (the adapter always asks upstream for it).
      expect(tr.state.usage?.completionTokens).toBe(estimateTokens(content.length));
      expect(tr.state.done).toBe(true);
    }
  });

  it('cuts the answer at max_tokens with finish_reason length', () => {
    const { reply } = run({ max_tokens: 3 });
    const body = JSON.parse(text(reply)) as ChatCompletion;
    expect(body.choices[0]!.finish_reason).toBe('length');
    expect(body.usage!.completion_tokens).toBeLessThanOrEqual(3);
  });

  it('rejects n > 1 with a 400 that says what to do', () => {
    const { reply } = run({ n: 2 });
    expect(reply.status).toBe(400);
    const e = adapter.normaliseError({ status: reply.status, body: text(reply), headers: reply.headers }, dep);
    expect(e).toMatchObject({ status: 400, param: 'n', type: 'invalid_request_error' });
  });

  it('injects errors through the model name', () => {
    const r429 = run({}, { ...dep, model: 'fake-429' }).reply;
    expect(adapter.normaliseError({ status: r429.status, body: text(r429), headers: r429.headers }, dep)).toMatchObject(
      { status: 429, retryAfter: 7 },
    );
    expect(run({}, { ...dep, model: 'fake-500' }).reply.status).toBe(500);
    expect(run({}, { ...dep, model: 'fake-400' }).reply.status).toBe(400);
  });
});

describe('fake provider: tools and structured outputs', () => {
  const weather = {
    type: 'function',
    function: {
      name: 'get_weather',
      parameters: {
        type: 'object',
        properties: {
          city: { type: 'string', minLength: 2 },
          unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
          days: { type: 'integer', minimum: 1, maximum: 7 },
          when: { anyOf: [{ type: 'null' }, { type: 'string', format: 'date' }] },
          tags: { type: 'array', items: { $ref: '#/$defs/tag' } },
        },
        required: ['city', 'unit', 'days', 'when', 'tags'],
        additionalProperties: false,
        $defs: { tag: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
      },
    },
  };

  it('calls the tool with arguments valid for its schema, and answers in text after a tool result', () => {
    const validate = new Ajv({ strict: false }).compile(weather.function.parameters);
    const { reply, input } = run({ tools: [weather], messages: [{ role: 'user', content: 'Weather in Paris?' }] });
    const parsed = JSON.parse(text(reply)) as ChatCompletion;
    const call = parsed.choices[0]!.message.tool_calls![0]!;
    expect(parsed.choices[0]!.finish_reason).toBe('tool_calls');
    expect(parsed.choices[0]!.message.content).toBeNull();
    expect(call.function.name).toBe('get_weather');
    expect(validate(JSON.parse(call.function.arguments))).toBe(true);
    expect(adapter.chat.parseResponse(text(reply), input).usage!.completionTokens).toBeGreaterThan(0);

    const after = run({
      tools: [weather],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '{"temp": 21}' },
      ],
    });
    const answer = JSON.parse(text(after.reply)) as ChatCompletion;
    expect(answer.choices[0]!.finish_reason).toBe('stop');
    expect(answer.choices[0]!.message.content).toContain('{"temp": 21}');
    expect(run({ tools: [weather], tool_choice: 'none' }).reply.chunks.length).toBe(1);
    expect(JSON.parse(text(run({ tools: [weather], tool_choice: 'none' }).reply)).choices[0].finish_reason).toBe(
      'stop',
    );
  });

  it('streams a tool call as OpenAI does: id and name first, then the arguments in pieces', () => {
    const { reply } = run({ tools: [weather], stream: true });
    const events = new SseParser().push(reply.chunks.reduce((a, c) => Buffer.concat([a, c]), Buffer.alloc(0)));
    const chunks = events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data) as ChatCompletionChunk);
    const deltas = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta?.tool_calls ?? []));
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } });
    const args = deltas.map((d) => d.function?.arguments ?? '').join('');
    expect(JSON.parse(args)).toMatchObject({ city: expect.any(String), unit: 'celsius' });
    expect(deltas.length).toBeGreaterThan(2);
    // (The translator asked for usage, so a usage-only chunk with no choices comes last.)
    expect(chunks.filter((c) => c.choices.length > 0).at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('answers response_format json_schema with JSON valid for the schema, streamed or not', async () => {
    const schema = weather.function.parameters;
    const validate = new Ajv({ strict: false }).compile(schema);
    const format = { type: 'json_schema', json_schema: { name: 'w', strict: true, schema } };
    const plain = JSON.parse(text(run({ response_format: format }).reply)) as ChatCompletion;
    expect(validate(JSON.parse(plain.choices[0]!.message.content!))).toBe(true);
    const { reply } = run({ response_format: format, stream: true });
    const events = new SseParser().push(reply.chunks.reduce((a, c) => Buffer.concat([a, c]), Buffer.alloc(0)));
    const content = events
      .filter((e) => e.data !== '[DONE]')
      .map((e) => (JSON.parse(e.data) as ChatCompletionChunk).choices[0]?.delta?.content ?? '')
      .join('');
    expect(validate(JSON.parse(content))).toBe(true);
    const obj = JSON.parse(text(run({ response_format: { type: 'json_object' } }).reply)) as ChatCompletion;
    expect(typeof JSON.parse(obj.choices[0]!.message.content!)).toBe('object');
  });
});

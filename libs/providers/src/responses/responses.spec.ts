import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../canonical/canonical-event.types';
import { OpenAIResponsesEncoder } from '../canonical/encoders/openai-responses.encoder';
import { encodeCompletion } from '../canonical/encoded-operation';
import { ProviderError } from '../provider-adapter';
import { responsesToChatRequest } from './responses-chat.request';
import { responseEcho } from './responses.object';

const usage = { promptTokens: 12, completionTokens: 9, cachedTokens: 4, cacheWriteTokens: 0, reasoningTokens: 3 };

describe('responsesToChatRequest', () => {
  it('translates instructions, items, tools, tool_choice, text.format and reasoning to a chat request', () => {
    const chat = responsesToChatRequest({
      model: 'm',
      instructions: 'Be terse.',
      input: [
        { role: 'developer', content: 'Use metric units.' },
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'Weather?' },
            { type: 'input_image', image_url: 'https://x/y.png' },
          ],
        },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.', annotations: [] }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
        { type: 'reasoning', id: 'rs_1', summary: [] },
      ],
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'get_weather' },
      parallel_tool_calls: false,
      text: { format: { type: 'json_schema', name: 'w', schema: { type: 'object' }, strict: true } },
      reasoning: { effort: 'low', summary: 'auto' },
      max_output_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      user: 'u-1',
      store: true,
      metadata: { a: 'b' },
      stream: true,
    });
    expect(chat).toEqual({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'system', content: 'Use metric units.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather?' },
            { type: 'image_url', image_url: { url: 'https://x/y.png' } },
          ],
        },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
      stream: true,
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      user: 'u-1',
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object' }, strict: true } },
      reasoning_effort: 'low',
    });
  });

  it('refuses built-in tools and members without a counterpart, naming them', () => {
    const refusal = (body: unknown) => {
      try {
        responsesToChatRequest(body);
      } catch (e) {
        expect(e).toBeInstanceOf(ProviderError);
        return (e as ProviderError).gatewayError;
      }
      throw new Error('not refused');
    };
    expect(refusal({ model: 'm', input: 'x', tools: [{ type: 'web_search' }] })).toMatchObject({
      status: 400,
      param: 'tools[0].type',
      message: expect.stringMatching(/built-in tool "web_search".*only OpenAI/),
    });
    expect(refusal({ model: 'm', input: 'x', include: ['reasoning.encrypted_content'] })).toMatchObject({
      param: 'include',
    });
    expect(refusal({ model: 'm', input: [{ type: 'item_reference', id: 'x' }] })).toMatchObject({
      param: 'input[0].type',
    });
    expect(refusal({ model: 'm', input: 'x', previous_response_id: 'resp_1' })).toMatchObject({ status: 400 });
  });
});

function sse(events: CanonicalEvent[], reasoningSummary = true): string {
  const enc = new OpenAIResponsesEncoder({
    id: 'resp_req1',
    model: 'asked',
    echo: responseEcho({ instructions: 'hi', metadata: { k: 'v' } }),
    reasoningSummary,
    createdAt: 1700000000,
  });
  return events.map((e) => enc.push(e)).join('') + enc.end();
}

/** The SSE text as an upstream's answer to the official SDK's responses.stream(). */
async function viaSdk(text: string) {
  const bytes = new TextEncoder().encode(text);
  const client = new OpenAI({
    apiKey: 'sk-test',
    baseURL: 'http://sdk.invalid/v1',
    maxRetries: 0,
    fetch: async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(c) {
            // Cut at an awkward place, as a network would.
            c.enqueue(bytes.slice(0, 77));
            c.enqueue(bytes.slice(77));
            c.close();
          },
        }),
        { headers: { 'content-type': 'text/event-stream' } },
      ),
  });
  const stream = client.responses.stream({ model: 'm', input: 'x' });
  const types: string[] = [];
  const seqs: number[] = [];
  stream.on('event', (e) => {
    types.push(e.type);
    seqs.push(e.sequence_number);
  });
  return { final: await stream.finalResponse(), types, seqs };
}

describe('OpenAIResponsesEncoder', () => {
  it("streams reasoning, text and a function call as OpenAI's event sequence, which the SDK assembles", async () => {
    const { final, types, seqs } = await viaSdk(
      sse([
        { type: 'message_start', id: 'x', model: 'claude-x', created: 1 },
        { type: 'role', choice: 0 },
        { type: 'reasoning_delta', choice: 0, text: 'Think ' },
        { type: 'reasoning_delta', choice: 0, text: 'hard.' },
        { type: 'text_delta', choice: 0, text: 'Hello' },
        { type: 'text_delta', choice: 0, text: ' there' },
        { type: 'tool_call_start', choice: 0, index: 0, id: 'toolu_1', name: 'get_weather' },
        { type: 'tool_call_delta', choice: 0, index: 0, arguments: '{"city":' },
        { type: 'tool_call_delta', choice: 0, index: 0, arguments: '"Paris"}' },
        { type: 'finish', choice: 0, reason: 'tool_calls', nativeReason: 'tool_use' },
        { type: 'usage', usage },
      ]),
    );
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    expect(final).toMatchObject({
      id: 'resp_req1',
      object: 'response',
      status: 'completed',
      model: 'claude-x',
      instructions: 'hi',
      metadata: { k: 'v' },
      output_text: 'Hello there',
      usage: {
        input_tokens: 12,
        input_tokens_details: { cached_tokens: 4 },
        output_tokens: 9,
        output_tokens_details: { reasoning_tokens: 3 },
        total_tokens: 21,
      },
    });
    expect(final.output).toMatchObject([
      { id: 'rs_req1_0', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Think hard.' }] },
      {
        id: 'msg_req1_1',
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'Hello there', annotations: [], logprobs: [] }],
      },
      {
        id: 'fc_req1_2',
        type: 'function_call',
        status: 'completed',
        call_id: 'toolu_1',
        name: 'get_weather',
        arguments: '{"city":"Paris"}',
      },
    ]);
  });

  it('ends a stream cut at max tokens as response.incomplete, and keeps reasoning out of the summary unless asked', async () => {
    const { final, types } = await viaSdk(
      sse(
        [
          { type: 'message_start', id: 'x', model: 'm', created: 1 },
          { type: 'reasoning_delta', choice: 0, text: 'secret' },
          { type: 'text_delta', choice: 0, text: 'Hel' },
          { type: 'finish', choice: 0, reason: 'length', nativeReason: 'max_tokens' },
        ],
        false,
      ),
    );
    expect(types.at(-1)).toBe('response.incomplete');
    expect(types).not.toContain('response.reasoning_summary_text.delta');
    expect(final).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(final.output[0]).toEqual({ id: 'rs_req1_0', type: 'reasoning', summary: [] });
    expect(final.output[1]).toMatchObject({ type: 'message', status: 'incomplete' });
  });

  it('writes a whole chat completion as a Response object', () => {
    const body = encodeCompletion(
      'openai.responses',
      {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-x',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'f', arguments: '{}' } }],
            },
            finish_reason: 'tool_calls',
            logprobs: null,
          },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      } as never,
      { id: 'resp_r2', model: 'asked', clientBody: { store: false, tools: [{ type: 'function', name: 'f' }] } },
    );
    expect(JSON.parse(body)).toMatchObject({
      id: 'resp_r2',
      object: 'response',
      status: 'completed',
      store: false,
      tools: [{ type: 'function', name: 'f' }],
      output: [
        { id: 'fc_r2_0', type: 'function_call', call_id: 'call_9', name: 'f', arguments: '{}', status: 'completed' },
      ],
      usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
    });
  });
});

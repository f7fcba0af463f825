import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeUpstream } from '../fake-openai.server';
import { FAKE_RESPONSES_REASONING } from './fake-openai-responses';

/** The fake's /v1/responses, proven with the official SDK: what it answers assembles as OpenAI's does. */
describe('fake OpenAI /v1/responses', () => {
  let up: FakeUpstream;
  let client: OpenAI;
  const tool = {
    type: 'function' as const,
    name: 'get_weather',
    description: 'The weather in a city.',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    strict: false,
  };

  beforeAll(async () => {
    up = await startFakeOpenAI({ apiKey: 'sk-fake-responses', chunks: 5 });
    client = new OpenAI({ apiKey: 'sk-fake-responses', baseURL: up.url, maxRetries: 0 });
  });
  afterAll(() => up?.close());

  it('answers text, whole and streamed, with usage', async () => {
    const r = await client.responses.create({ model: 'gpt-4o', input: 'Hi there', instructions: 'Be terse.' });
    expect(r.status).toBe('completed');
    expect(r.output_text).toBe('Hello from the fake OpenAI');
    expect(r.usage).toMatchObject({ input_tokens: 5, output_tokens: 5, total_tokens: 10 });
    const stream = client.responses.stream({ model: 'gpt-4o', input: 'Hi there' });
    const types: string[] = [];
    const seqs: number[] = [];
    for await (const e of stream) {
      types.push(e.type);
      seqs.push(e.sequence_number);
    }
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('Hello from the fake OpenAI');
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.slice(-5)).toEqual([
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(seqs).toEqual(seqs.map((_, i) => i));
  });

  it('calls a function, then answers its output (two turns with explicit items)', async () => {
    const first = await client.responses.create({ model: 'gpt-4o', input: 'Weather in Paris?', tools: [tool] });
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather' });
    const args = JSON.parse((call as { arguments: string }).arguments) as Record<string, unknown>;
    expect(typeof args['city']).toBe('string');
    const stream = client.responses.stream({
      model: 'gpt-4o',
      tools: [tool],
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        call as OpenAI.Responses.ResponseFunctionToolCall,
        { type: 'function_call_output', call_id: (call as { call_id: string }).call_id, output: 'sunny' },
      ],
    });
    expect((await stream.finalResponse()).output_text).toBe('The tool returned: sunny.');
  });

  it('streams function-call arguments and a reasoning summary', async () => {
    const stream = client.responses.stream({
      model: 'o-reasoner',
      input: 'Weather?',
      tools: [tool],
      reasoning: { effort: 'low', summary: 'auto' },
    });
    const final = await stream.finalResponse();
    expect(final.output[0]).toMatchObject({
      type: 'reasoning',
      summary: [{ type: 'summary_text', text: FAKE_RESPONSES_REASONING }],
    });
    expect(final.output[1]).toMatchObject({ type: 'function_call', name: 'get_weather' });
    expect(final.usage?.output_tokens_details.reasoning_tokens).toBe(4);
  });

  it('answers a JSON schema, and stops at max_output_tokens as incomplete', async () => {
    const r = await client.responses.create({
      model: 'gpt-4o',
      input: 'A city',
      text: {
        format: {
          type: 'json_schema',
          name: 'city',
          schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        },
      },
    });
    expect(typeof (JSON.parse(r.output_text) as { name: unknown }).name).toBe('string');
    const refused = await client.responses.create({ model: 'gpt-4o', input: 'Hi', max_output_tokens: 2 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ status: 400, param: 'max_output_tokens' });
    const long = await startFakeOpenAI({ apiKey: 'sk-fake-responses', chunks: 20 });
    try {
      const c = new OpenAI({ apiKey: 'sk-fake-responses', baseURL: long.url, maxRetries: 0 });
      const cut = await c.responses.create({ model: 'gpt-4o', input: 'Hi', max_output_tokens: 16 });
      expect(cut).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
      expect(cut.usage?.output_tokens).toBe(16);
    } finally {
      await long.close();
    }
  });

  it('refuses what OpenAI refuses, naming the parameter', async () => {
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e as APIError,
      );
    const unknown = await refused(client.responses.create({ model: 'gpt-4o', input: 'x', bogus: 1 } as never));
    expect(unknown).toMatchObject({ status: 400, param: 'bogus', code: 'unknown_parameter' });
    const orphan = await refused(
      client.responses.create({
        model: 'gpt-4o',
        input: [{ type: 'function_call_output', call_id: 'call_x', output: 'x' }],
      }),
    );
    expect(orphan).toMatchObject({ status: 400, param: 'input' });
    const prev = await refused(
      client.responses.create({ model: 'gpt-4o', input: 'x', previous_response_id: 'resp_x' }),
    );
    expect(prev).toMatchObject({ status: 400, param: 'previous_response_id' });
    const reasoning = await refused(
      client.responses.create({ model: 'gpt-4o', input: 'x', reasoning: { effort: 'low' } }),
    );
    expect(reasoning).toMatchObject({ status: 400, param: 'reasoning.effort' });
  });

  it('ends a broken stream with an error event, which the SDK raises', async () => {
    const stream = client.responses.stream({ model: 'fake-stream-error', input: 'x' });
    const types: string[] = [];
    stream.on('event', (e) => types.push(e.type));
    await expect(stream.finalResponse()).rejects.toThrow(/fake-stream-error/);
    expect(types.at(-1)).toBe('error');
    expect(types).toContain('response.output_text.delta');
  });
});

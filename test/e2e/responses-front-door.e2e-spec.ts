import { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costOf } from '@switchyard/pricing';
import {
  FAKE_ANTHROPIC_TEXT,
  expectNoSecretsInLogs,
  keySpendNanos,
  newKey,
  startFakeAnthropic,
  startFakeGemini,
  startFakeOpenAI,
  startStack,
  waitFor,
  waitForUsageRows,
  type FakeAnthropic,
  type FakeGemini,
  type FakeUpstream,
  type Stack,
} from '@switchyard/testing';

const OPENAI_TEXT = 'Hello from the fake OpenAI server.';
const WEATHER = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather in a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

type Json = Record<string, unknown>;

/**
 * The OpenAI Responses front door through the five services, with the official OpenAI SDK as the client
 * (as Codex is): passed through to the fake OpenAI's /v1/responses, translated to chat for the fake
 * Anthropic and the fake Gemini APIs; conversations continued with previous_response_id on any provider,
 * stored responses scoped to the key's team.
 */
describe('/v1/responses end to end', () => {
  const ANTHROPIC_KEY = `sk-ant-api03-e2e-${randomBytes(12).toString('hex')}`;
  const OPENAI_KEY = `sk-openai-e2e-${randomBytes(12).toString('hex')}`;
  const GEMINI_KEY = `AIza-e2e-${randomBytes(12).toString('hex')}`;
  let anthropicUp: FakeAnthropic;
  let openaiUp: FakeUpstream;
  let geminiUp: FakeGemini;
  let stack: Stack;
  let key: { id: string; key: string };
  let client: OpenAI;
  const errorBodies: string[] = [];

  beforeAll(async () => {
    [anthropicUp, openaiUp, geminiUp] = await Promise.all([
      startFakeAnthropic({ apiKey: ANTHROPIC_KEY }),
      startFakeOpenAI({ apiKey: OPENAI_KEY, chunks: 7 }),
      startFakeGemini({ apiKey: GEMINI_KEY }),
    ]);
    const openai = (name: string, model: string) =>
      `  - model_name: ${name}\n    litellm_params: { model: openai/${model}, api_base: ${openaiUp.url}, api_key: os.environ/OPENAI_E2E_KEY }\n`;
    const anthropic = (name: string, model: string) =>
      `  - model_name: ${name}\n    litellm_params: { model: anthropic/${model}, api_base: ${anthropicUp.url}, api_key: os.environ/ANTHROPIC_E2E_KEY }\n`;
    const gemini = (name: string, model: string) =>
      `  - model_name: ${name}\n    litellm_params: { model: gemini/${model}, api_base: ${geminiUp.url}, api_key: os.environ/GEMINI_E2E_KEY }\n`;
    stack = await startStack({
      env: { ANTHROPIC_E2E_KEY: ANTHROPIC_KEY, OPENAI_E2E_KEY: OPENAI_KEY, GEMINI_E2E_KEY: GEMINI_KEY },
      configYaml: `model_list:\n${[
        openai('gpt-4o', 'gpt-4o'),
        openai('gpt-broken', 'fake-400'),
        openai('gpt-stream-error', 'fake-stream-error'),
        anthropic('claude-sonnet-4-5', 'claude-sonnet-4-5-20250929'),
        anthropic('claude-cut', 'fake-drop'),
        anthropic('claude-limited', 'fake-429'),
        gemini('gemini-2.5-flash', 'gemini-2.5-flash'),
      ].join('')}`,
    });
    key = await newKey(stack);
    client = new OpenAI({ apiKey: key.key, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([anthropicUp?.close(), openaiUp?.close(), geminiUp?.close()]);
  });

  const failure = async (p: Promise<unknown>): Promise<APIError> => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(APIError);
    errorBodies.push(JSON.stringify((e as APIError).error ?? {}), (e as APIError).message);
    return e as APIError;
  };

  /** A stream that breaks: the SDK rejects finalResponse() with the stream's `error` event. */
  const broken = async (p: Promise<unknown>): Promise<{ type: string; code: string | null; message: string }> => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toMatchObject({ type: 'error', message: expect.any(String) });
    errorBodies.push(JSON.stringify(e));
    return e as { type: string; code: string | null; message: string };
  };

  /** A stream's event types and its final response, through the SDK's responses.stream() helper. */
  const streamed = async (c: OpenAI, params: OpenAI.Responses.ResponseCreateParamsStreaming | Json) => {
    const s = c.responses.stream(params as OpenAI.Responses.ResponseCreateParamsStreaming);
    const types: string[] = [];
    const seqs: number[] = [];
    s.on('event', (e) => {
      types.push(e.type);
      seqs.push(e.sequence_number);
    });
    const final = await s.finalResponse();
    return { final, types, seqs };
  };

  describe('to the OpenAI deployment (passthrough)', () => {
    it('answers text whole and streamed, as the upstream wrote it', async () => {
      const r = await client.responses.create({ model: 'gpt-4o', input: 'Hi', instructions: 'Be terse.' });
      expect(r).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-4o', instructions: 'Be terse.' });
      expect(r.output_text).toBe(OPENAI_TEXT);
      expect(r.id).toMatch(/^resp_fake/);
      expect(openaiUp.lastRequest?.url).toBe('/v1/responses');
      expect(openaiUp.lastRequest?.body).toEqual({ model: 'gpt-4o', input: 'Hi', instructions: 'Be terse.' });
      const { final, types, seqs } = await streamed(client, { model: 'gpt-4o', input: 'Hi' });
      expect(final.output_text).toBe(OPENAI_TEXT);
      expect(types[0]).toBe('response.created');
      expect(types.at(-1)).toBe('response.completed');
      expect(seqs).toEqual(seqs.map((_, i) => i));
    });

    it('calls a function, then continues with previous_response_id (the stored conversation goes upstream)', async () => {
      const first = await streamed(client, { model: 'gpt-4o', input: 'Weather in Paris?', tools: [WEATHER] });
      const call = first.final.output.find((o) => o.type === 'function_call')!;
      expect(call).toMatchObject({ type: 'function_call', name: 'get_weather' });
      const second = await client.responses.create({
        model: 'gpt-4o',
        previous_response_id: first.final.id,
        tools: [WEATHER],
        input: [{ type: 'function_call_output', call_id: (call as { call_id: string }).call_id, output: 'sunny' }],
      });
      expect(second.output_text).toBe('The tool returned: sunny.');
      expect(second.previous_response_id ?? null).toBeNull(); // the upstream never saw the id: it got the items
      const sent = openaiUp.lastRequest?.body as Json;
      expect(sent['previous_response_id']).toBeUndefined();
      expect((sent['input'] as Json[]).map((i) => i['type'] ?? 'message')).toEqual([
        'message',
        'function_call',
        'function_call_output',
      ]);
    });

    it('takes OpenAI built-in tools, and answers a JSON schema', async () => {
      const r = await client.responses.create({ model: 'gpt-4o', input: 'News?', tools: [{ type: 'web_search' }] });
      expect(r.status).toBe('completed');
      const j = await client.responses.create({
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
      expect(typeof (JSON.parse(j.output_text) as { name: unknown }).name).toBe('string');
    });

    it("relays the upstream's 400, and ends a stream that failed mid-way with error", async () => {
      const e = await failure(client.responses.create({ model: 'gpt-broken', input: 'x' }));
      expect(e.status).toBe(400);
      const s = client.responses.stream({ model: 'gpt-stream-error', input: 'x' });
      const types: string[] = [];
      s.on('event', (ev) => types.push(ev.type));
      expect((await broken(s.finalResponse())).message).toMatch(/fake-stream-error/);
      expect(types).toContain('response.output_text.delta');
      expect(types.at(-1)).toBe('error');
    });
  });

  describe('to the Anthropic deployment (translated)', () => {
    it('answers text whole and streamed as Responses, with instructions as the system prompt', async () => {
      const r = await client.responses.create({
        model: 'claude-sonnet-4-5',
        input: 'Hi',
        instructions: 'Be terse.',
        max_output_tokens: 200,
        metadata: { ticket: 't-1' },
      });
      expect(r).toMatchObject({
        object: 'response',
        status: 'completed',
        instructions: 'Be terse.',
        max_output_tokens: 200,
        metadata: { ticket: 't-1' },
        usage: { input_tokens: expect.any(Number), output_tokens: 7 },
      });
      expect(r.id).toMatch(/^resp_req_/);
      expect(r.output_text).toBe(FAKE_ANTHROPIC_TEXT);
      expect(anthropicUp.lastRequest?.body).toMatchObject({
        model: 'claude-sonnet-4-5-20250929',
        system: [{ type: 'text', text: 'Be terse.' }],
        max_tokens: 200,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      const { final, types, seqs } = await streamed(client, { model: 'claude-sonnet-4-5', input: 'Hi' });
      expect(final.output_text).toBe(FAKE_ANTHROPIC_TEXT);
      expect(types.slice(0, 4)).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
      ]);
      expect(types.slice(-4)).toEqual([
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      expect(seqs).toEqual(seqs.map((_, i) => i));
      expect(final.usage?.output_tokens).toBe(7);
    });

    it('calls a function over two turns: by previous_response_id, and by explicit input items', async () => {
      const first = await client.responses.create({
        model: 'claude-sonnet-4-5',
        input: 'Please use the tool for Paris.',
        tools: [WEATHER],
      });
      const call = first.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
      expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
      expect(call.call_id).toMatch(/^toolu_/);
      expect(typeof (JSON.parse(call.arguments) as { city: unknown }).city).toBe('string');
      const byId = await streamed(client, {
        model: 'claude-sonnet-4-5',
        previous_response_id: first.id,
        tools: [WEATHER],
        input: [{ type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
      });
      expect(byId.final.output_text).toBe('The tool returned: sunny.');
      expect(byId.final.previous_response_id).toBe(first.id);
      const byItems = await client.responses.create({
        model: 'claude-sonnet-4-5',
        tools: [WEATHER],
        store: false,
        input: [
          { role: 'user', content: 'Please use the tool for Paris.' },
          { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
          { type: 'function_call_output', call_id: call.call_id, output: 'rainy' },
        ],
      });
      expect(byItems.output_text).toBe('The tool returned: rainy.');
    });

    it('answers a JSON schema as output_text, whole and streamed (Anthropic gets it as a forced tool)', async () => {
      const format = {
        type: 'json_schema' as const,
        name: 'city',
        schema: {
          type: 'object',
          properties: { name: { type: 'string' }, population: { type: 'integer' } },
          required: ['name', 'population'],
        },
      };
      const whole = await client.responses.create({ model: 'claude-sonnet-4-5', input: 'A city', text: { format } });
      expect(whole.status).toBe('completed');
      expect(whole.output.map((o) => o.type)).toEqual(['message']);
      const city = JSON.parse(whole.output_text) as { name: unknown; population: unknown };
      expect(typeof city.name).toBe('string');
      expect(Number.isInteger(city.population)).toBe(true);
      expect(whole.text?.format).toMatchObject({ type: 'json_schema', name: 'city' });
      // The schema reached Anthropic as the one tool it must call.
      const sent = anthropicUp.lastRequest?.body as { tools?: { input_schema: unknown }[]; tool_choice?: unknown };
      expect(sent.tools?.map((t) => t.input_schema)).toEqual([format.schema]);
      expect(sent.tool_choice).toMatchObject({ type: 'tool' });
      const { final, types } = await streamed(client, {
        model: 'claude-sonnet-4-5',
        input: 'A city',
        text: { format },
      });
      expect(JSON.parse(final.output_text)).toEqual(city);
      expect(types).toContain('response.output_text.delta');
      expect(types).not.toContain('response.function_call_arguments.delta');
    });

    it('streams a function call as function_call_arguments events', async () => {
      const { final, types } = await streamed(client, {
        model: 'claude-sonnet-4-5',
        input: 'Please use the tool.',
        tools: [WEATHER],
      });
      expect(types).toContain('response.function_call_arguments.delta');
      expect(types).toContain('response.function_call_arguments.done');
      expect(final.output.at(-1)).toMatchObject({ type: 'function_call', name: 'get_weather' });
    });

    it('refuses what only OpenAI runs, and relays a 429; a cut stream ends with error', async () => {
      const builtIn = await failure(
        client.responses.create({ model: 'claude-sonnet-4-5', input: 'x', tools: [{ type: 'web_search' }] }),
      );
      expect(builtIn.status).toBe(400);
      expect(builtIn.message).toMatch(/built-in tool "web_search".*only OpenAI/);
      const limited = await failure(client.responses.create({ model: 'claude-limited', input: 'x' }));
      expect(limited.status).toBe(429);
      const s = client.responses.stream({ model: 'claude-cut', input: 'x' });
      const events: Array<{ type: string; sequence_number: number }> = [];
      s.on('event', (ev) => events.push(ev));
      expect((await broken(s.finalResponse())).message).toMatch(/broke off part-way/);
      expect(events.map((e) => e.type)).toContain('response.output_text.delta');
      expect(events.at(-1)?.type).toBe('error');
      const seqs = events.map((e) => e.sequence_number);
      expect(seqs).toEqual(seqs.map((_, i) => i));
    });
  });

  it('continues a conversation across providers: OpenAI, then Anthropic, then Gemini', async () => {
    const one = await client.responses.create({ model: 'gpt-4o', input: 'My name is Ada.' });
    const two = await client.responses.create({
      model: 'claude-sonnet-4-5',
      previous_response_id: one.id,
      input: 'What is my name?',
    });
    expect(two.output_text).toBe(FAKE_ANTHROPIC_TEXT);
    expect((anthropicUp.lastRequest?.body as Json)['messages']).toEqual([
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: [{ type: 'text', text: OPENAI_TEXT }] },
      { role: 'user', content: 'What is my name?' },
    ]);
    const three = await streamed(client, { model: 'gemini-2.5-flash', previous_response_id: two.id, input: 'Again?' });
    expect(three.final.status).toBe('completed');
    expect(three.final.output_text.length).toBeGreaterThan(0);
    const contents = (geminiUp.lastRequest?.body as { contents: Array<{ role: string }> }).contents;
    expect(contents.map((c) => c.role)).toEqual(['user', 'model', 'user', 'model', 'user']);
  });

  it('validates as OpenAI does, naming the parameter', async () => {
    const unknown = await failure(client.responses.create({ model: 'gpt-4o', input: 'x', bogus: 1 } as never));
    expect(unknown).toMatchObject({ status: 400, param: 'bogus', code: 'unknown_parameter' });
    const background = await failure(client.responses.create({ model: 'gpt-4o', input: 'x', background: true }));
    expect(background).toMatchObject({ status: 400, param: 'background' });
    const tokens = await failure(client.responses.create({ model: 'gpt-4o', input: 'x', max_output_tokens: 3 }));
    expect(tokens).toMatchObject({ status: 400, param: 'max_output_tokens' });
    const role = await failure(
      client.responses.create({ model: 'gpt-4o', input: [{ role: 'tool', content: 'x' }] } as never),
    );
    expect(role).toMatchObject({ status: 400, param: 'input[0].role' });
    const prev = await failure(
      client.responses.create({ model: 'gpt-4o', input: 'x', previous_response_id: 'resp_nope' }),
    );
    expect(prev).toMatchObject({ status: 400, param: 'previous_response_id', code: 'previous_response_not_found' });
  });

  it('keeps stored responses for their team only: GET, input_items, DELETE, cancel, and expiry', async () => {
    const mine = await client.responses.create({ model: 'claude-sonnet-4-5', input: 'Keep this.' });
    const got = await client.responses.retrieve(mine.id);
    expect(got).toMatchObject({ id: mine.id, status: 'completed', output_text: FAKE_ANTHROPIC_TEXT });
    const items = await client.responses.inputItems.list(mine.id);
    expect(items.data.map((i) => (i as { role?: string }).role)).toEqual(['user']);

    const other = await newKey(stack);
    const stranger = new OpenAI({ apiKey: other.key, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
    expect((await failure(stranger.responses.retrieve(mine.id))).status).toBe(404);
    expect((await failure(stranger.responses.delete(mine.id))).status).toBe(404);
    expect(
      (await failure(stranger.responses.create({ model: 'gpt-4o', input: 'x', previous_response_id: mine.id }))).status,
    ).toBe(400);

    const cancel = await failure(client.responses.cancel(mine.id));
    expect(cancel.status).toBe(400);
    expect(cancel.message).toMatch(/Cannot cancel a synchronous response/);

    const deleted = await fetch(`${stack.gatewayUrl}/v1/responses/${mine.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${key.key}` },
    });
    expect(await deleted.json()).toEqual({ id: mine.id, object: 'response', deleted: true });
    expect((await failure(client.responses.retrieve(mine.id))).status).toBe(404);

    const unstored = await client.responses.create({ model: 'gpt-4o', input: 'x', store: false });
    expect((await failure(client.responses.retrieve(unstored.id))).status).toBe(404);

    // Time passes (the row's expiry moved to the past): the response is gone for GET and previous_response_id.
    const old = await client.responses.create({ model: 'gpt-4o', input: 'Old.' });
    const pg = new PgClient({ connectionString: stack.databaseUrl });
    await pg.connect();
    try {
      const row = await pg.query<{ hours: number }>(
        `SELECT round(extract(epoch FROM expires_at - created_at) / 3600)::int AS hours FROM stored_responses WHERE id = $1`,
        [old.id],
      );
      expect(row.rows[0]?.hours).toBe(720);
      await pg.query(`UPDATE stored_responses SET expires_at = now() - interval '1 second' WHERE id = $1`, [old.id]);
    } finally {
      await pg.end();
    }
    expect((await failure(client.responses.retrieve(old.id))).status).toBe(404);
    expect(
      (await failure(client.responses.create({ model: 'gpt-4o', input: 'x', previous_response_id: old.id }))).status,
    ).toBe(400);
  });

  it('records one usage row per request with its spend, streamed and not', async () => {
    const k = await newKey(stack);
    const c = new OpenAI({ apiKey: k.key, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
    const whole = await c.responses.create({ model: 'claude-sonnet-4-5', input: 'Count me' });
    const { final } = await streamed(c, { model: 'gpt-4o', input: 'Count me too' });
    const rows = await waitForUsageRows<{
      requested_model: string;
      stream: number;
      status: number;
      prompt_tokens: string;
      completion_tokens: string;
      cost_nanos: string;
    }>(stack, {
      select: 'requested_model, stream, status, prompt_tokens, completion_tokens, cost_nanos',
      where: `key_id = '${k.id}'`,
      orderBy: 'requested_model',
      until: (r) => r.length === 2,
    });
    expect(rows.map((r) => [r.requested_model, Number(r.stream), Number(r.status)])).toEqual([
      ['claude-sonnet-4-5', 0, 200],
      ['gpt-4o', 1, 200],
    ]);
    const [claude, gpt] = rows;
    const usageOf = (u: OpenAI.Responses.ResponseUsage) => ({
      promptTokens: u.input_tokens,
      completionTokens: u.output_tokens,
      cachedTokens: u.input_tokens_details.cached_tokens,
    });
    expect(Number(claude!.prompt_tokens)).toBe(whole.usage!.input_tokens);
    expect(Number(claude!.completion_tokens)).toBe(whole.usage!.output_tokens);
    expect(BigInt(claude!.cost_nanos)).toBe(costOf('claude-sonnet-4-5-20250929', usageOf(whole.usage!)));
    expect(Number(gpt!.prompt_tokens)).toBe(final.usage!.input_tokens);
    expect(Number(gpt!.completion_tokens)).toBe(final.usage!.output_tokens);
    expect(BigInt(gpt!.cost_nanos)).toBe(costOf('gpt-4o', usageOf(final.usage!)));
    expect(BigInt(gpt!.cost_nanos)).toBeGreaterThan(0n);
    const total = BigInt(claude!.cost_nanos) + BigInt(gpt!.cost_nanos);
    await waitFor(async () => ((await keySpendNanos(stack.databaseUrl, k.id)) === total ? true : undefined), {
      timeoutMs: 20_000,
      what: 'the key spend in Postgres',
    });
  });

  it('leaks no provider or virtual key into logs or error bodies', () => {
    expectNoSecretsInLogs(stack, [ANTHROPIC_KEY, OPENAI_KEY, GEMINI_KEY, key.key], errorBodies);
  });
});

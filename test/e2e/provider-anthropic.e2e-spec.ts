import { randomBytes } from 'node:crypto';
import OpenAI, { APIError, BadRequestError, InternalServerError, RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drainStream,
  FAKE_ANTHROPIC_TEXT,
  FAKE_ANTHROPIC_THINKING,
  startFakeAnthropic,
  startStack,
  expectNoSecretsInLogs,
  waitForUsageRow,
  type FakeAnthropic,
  type Stack,
} from '@switchyard/testing';

/** What LiteLLM-style clients read beside OpenAI's fields. */
interface ReasoningMessage {
  content: string | null;
  reasoning_content?: string;
  thinking_blocks?: Array<{ type: string; thinking?: string; signature?: string | null; data?: string }>;
  tool_calls?: OpenAI.ChatCompletionMessageToolCall[];
}

/**
 * The Anthropic adapter through the five services: the official OpenAI SDK → gateway → router → translator
 * → a fake Anthropic Messages API (libs/testing), and back. One stack, one fake, one deployment per trigger.
 */
describe('anthropic/ deployments end to end', () => {
  const KEY = `sk-ant-api03-e2e-${randomBytes(12).toString('hex')}`;
  const BAD_KEY = `sk-ant-api03-wrong-${randomBytes(12).toString('hex')}`;
  let up: FakeAnthropic;
  let stack: Stack;
  let openai: OpenAI;
  /** Every error message the client saw, to check that none carries a provider key. */
  const errorBodies: string[] = [];

  beforeAll(async () => {
    up = await startFakeAnthropic({ apiKey: KEY });
    const dep = (name: string, model: string, key = 'ANTHROPIC_E2E_KEY') =>
      `  - model_name: ${name}\n    litellm_params: { model: anthropic/${model}, api_base: ${up.url}, api_key: os.environ/${key} }\n`;
    stack = await startStack({
      env: { ANTHROPIC_E2E_KEY: KEY, ANTHROPIC_E2E_BAD_KEY: BAD_KEY },
      configYaml: `model_list:\n${[
        dep('claude', 'claude-sonnet-4-5-20250929'),
        dep('claude-usage', 'claude-sonnet-4-5-20250929'),
        dep('claude-limited', 'fake-429'),
        dep('claude-broken', 'fake-500'),
        dep('claude-overloaded', 'fake-529'),
        dep('claude-cut', 'fake-drop'),
        dep('claude-long', 'fake-long'),
        dep('claude-badkey', 'claude-sonnet-4-5-20250929', 'ANTHROPIC_E2E_BAD_KEY'),
      ].join('')}`,
    });
    openai = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
    await up?.close();
  });

  const sent = () => up.lastRequest!.body as Record<string, unknown>;
  const failure = async (p: Promise<unknown>): Promise<APIError> => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(APIError);
    errorBodies.push(JSON.stringify((e as APIError).error ?? {}), (e as APIError).message);
    return e as APIError;
  };

  it('answers text, with the system prompt and history in Anthropic form and max_tokens from the catalogue', async () => {
    const r = await openai.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Say hello again' },
      ],
    });
    expect(r.choices[0]!.message.content).toBe(FAKE_ANTHROPIC_TEXT);
    expect(r.choices[0]!.finish_reason).toBe('stop');
    expect(r.usage).toMatchObject({
      prompt_tokens: Math.ceil('You are terse.HiHello.Say hello again'.length / 4),
      completion_tokens: 7,
    });
    expect(sent()).toMatchObject({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 64000,
      system: [{ type: 'text', text: 'You are terse.' }],
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: [{ type: 'text', text: 'Hello.' }] },
        { role: 'user', content: 'Say hello again' },
      ],
    });
    expect(up.lastRequest!.headers).toMatchObject({ 'x-api-key': KEY, 'anthropic-version': '2023-06-01' });
  });

  it('streams with a usage chunk when asked, reports cache writes then reads, and records usage either way', async () => {
    const system = [
      {
        type: 'text' as const,
        text: 'A stable, cacheable system prompt. '.repeat(10),
        cache_control: { type: 'ephemeral' },
      },
    ];
    const ask = (content: string) =>
      openai.chat.completions.create({
        model: 'claude',
        stream: true,
        stream_options: { include_usage: true },
        messages: [
          { role: 'system', content: system as unknown as string },
          { role: 'user', content },
        ],
      });
    const read = async (s: AsyncIterable<OpenAI.ChatCompletionChunk>) => {
      let text = '';
      let usage: (OpenAI.CompletionUsage & { cache_creation_input_tokens?: number }) | undefined;
      let finish: string | null = null;
      let first: OpenAI.ChatCompletionChunk.Choice.Delta | undefined;
      for await (const c of s) {
        first ??= c.choices[0]?.delta;
        text += c.choices[0]?.delta.content ?? '';
        finish = c.choices[0]?.finish_reason ?? finish;
        if (c.usage) usage = c.usage;
      }
      return { text, usage, finish, first };
    };
    const one = await read(await ask('Question one'));
    expect(one).toMatchObject({ text: FAKE_ANTHROPIC_TEXT, finish: 'stop', first: { role: 'assistant' } });
    const prefix = Math.ceil(system[0]!.text.length / 4);
    expect(one.usage).toMatchObject({
      cache_creation_input_tokens: prefix,
      prompt_tokens_details: { cached_tokens: 0 },
    });
    expect(sent()['system']).toEqual(system);
    const two = await read(await ask('Question two'));
    expect(two.usage).toMatchObject({ prompt_tokens_details: { cached_tokens: prefix }, completion_tokens: 7 });
    expect(two.usage!.prompt_tokens).toBe(Math.ceil((system[0]!.text + 'Question two').length / 4));

    // Without include_usage the client sees no usage, and the request's usage is still recorded.
    const plain = await openai.chat.completions.create({
      model: 'claude-usage',
      stream: true,
      messages: [{ role: 'user', content: 'count me' }],
    });
    for await (const c of plain) expect(c.usage ?? undefined).toBeUndefined();
    const row = await waitForUsageRow(stack, {
      select: 'prompt_tokens, completion_tokens, usage_estimated',
      where: "requested_model = 'claude-usage'",
      what: 'the usage row of the plain stream',
    });
    expect(Number(row.prompt_tokens)).toBe(Math.ceil('count me'.length / 4));
    expect(Number(row.completion_tokens)).toBe(7);
    expect(Number(row.usage_estimated)).toBe(0);
  });

  const weather: OpenAI.ChatCompletionTool = {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  };

  it('calls a tool and takes its result over two turns, paired by id', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Weather in Paris? Use the tool.' },
    ];
    const first = await openai.chat.completions.create({ model: 'claude', messages, tools: [weather] });
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    const call = first.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.id).toMatch(/^toolu_/);
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });

    const second = await openai.chat.completions.create({
      model: 'claude',
      tools: [weather],
      messages: [
        ...messages,
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 C' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe('The tool returned: sunny, 21 C.');
    expect((sent()['messages'] as unknown[]).at(-1)).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: call.id, content: 'sunny, 21 C' }],
    });
  });

  it('streams a tool call: id and name first, then argument fragments', async () => {
    const stream = await openai.chat.completions.create({
      model: 'claude',
      stream: true,
      tools: [weather],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      messages: [{ role: 'user', content: 'Paris' }],
    });
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    for await (const c of stream) {
      deltas.push(...(c.choices[0]?.delta.tool_calls ?? []));
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(deltas[0]!.id).toMatch(/^toolu_/);
    expect(deltas.length).toBeGreaterThan(2);
    expect(JSON.parse(deltas.map((d) => d.function?.arguments ?? '').join(''))).toEqual({ city: 'Paris' });
    expect(finish).toBe('tool_calls');
    expect(sent()['tool_choice']).toEqual({ type: 'tool', name: 'get_weather' });
  });

  it('honours stop and max_tokens, with their finish reasons', async () => {
    const stopped = await openai.chat.completions.create({
      model: 'claude',
      stop: [' fake'],
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(stopped.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'Hello from the' } });
    expect(sent()['stop_sequences']).toEqual([' fake']);
    const short = await openai.chat.completions.create({
      model: 'claude',
      max_tokens: 3,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(short.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: 'Hello from the' } });
  });

  it('answers json_schema (strict) as JSON content, whole and streamed', async () => {
    const response_format: OpenAI.ResponseFormatJSONSchema = {
      type: 'json_schema',
      json_schema: {
        name: 'weather',
        strict: true,
        schema: {
          type: 'object',
          properties: { city: { type: 'string' }, celsius: { type: 'number' } },
          required: ['city', 'celsius'],
          additionalProperties: false,
        },
      },
    };
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather as JSON' }];
    const r = await openai.chat.completions.create({ model: 'claude', messages, response_format });
    expect(r.choices[0]!.finish_reason).toBe('stop');
    expect(r.choices[0]!.message.tool_calls ?? []).toEqual([]);
    expect(JSON.parse(r.choices[0]!.message.content!)).toEqual({ city: 'Paris', celsius: 21 });
    expect(up.lastRequest!.headers['anthropic-beta']).toContain('structured-outputs');

    const stream = await openai.chat.completions.create({ model: 'claude', messages, response_format, stream: true });
    let text = '';
    let finish: string | null = null;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(JSON.parse(text)).toEqual({ city: 'Paris', celsius: 21 });
    expect(finish).toBe('stop');
  });

  it('sends images as base64 and url sources', async () => {
    const r = await openai.chat.completions.create({
      model: 'claude',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these?' },
            {
              type: 'image_url',
              image_url: {
                url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
              },
            },
            { type: 'image_url', image_url: { url: 'https://example.com/ant.jpg' } },
          ],
        },
      ],
    });
    expect(r.choices[0]!.message.content).toBe(`I see 2 images. ${FAKE_ANTHROPIC_TEXT}`);
    const content = (sent()['messages'] as Array<{ content: Array<{ source?: { type: string } }> }>)[0]!.content;
    expect(content.map((b) => b.source?.type)).toEqual([undefined, 'base64', 'url']);
  });

  it('reasons: reasoning_content and signed thinking_blocks, sent back intact for a tool turn with thinking', async () => {
    const ask = {
      model: 'claude',
      reasoning_effort: 'low' as const,
      tools: [weather],
      messages: [{ role: 'user' as const, content: 'Use the tool for Paris' }],
    };
    const first = await openai.chat.completions.create(ask);
    const m = first.choices[0]!.message as unknown as ReasoningMessage;
    expect(m.reasoning_content).toBe(FAKE_ANTHROPIC_THINKING);
    expect(m.thinking_blocks).toEqual([
      { type: 'thinking', thinking: FAKE_ANTHROPIC_THINKING, signature: expect.any(String) as unknown as string },
    ]);
    expect(first.usage!.completion_tokens_details!.reasoning_tokens).toBe(
      Math.ceil(FAKE_ANTHROPIC_THINKING.length / 4),
    );
    expect(sent()['thinking']).toEqual({ type: 'enabled', budget_tokens: 1024 });
    const call = m.tool_calls![0]!;

    // The fake refuses a tool turn continued without its signed thinking block: passing proves it went back intact.
    const second = await openai.chat.completions.create({
      ...ask,
      messages: [
        ...ask.messages,
        first.choices[0]!.message as OpenAI.ChatCompletionAssistantMessageParam,
        { role: 'tool', tool_call_id: call.id, content: 'rain' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe('The tool returned: rain.');
    const resent = (sent()['messages'] as Array<{ role: string; content: Array<{ type: string }> }>)[1]!;
    expect(resent.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);

    const stream = await openai.chat.completions.create({
      ...ask,
      stream: true,
      tools: undefined,
      messages: [{ role: 'user', content: 'think' }],
    });
    let reasoning = '';
    const blocks: unknown[] = [];
    for await (const c of stream) {
      const d = c.choices[0]?.delta as
        (OpenAI.ChatCompletionChunk.Choice.Delta & Partial<ReasoningMessage>) | undefined;
      reasoning += d?.reasoning_content ?? '';
      blocks.push(...(d?.thinking_blocks ?? []));
    }
    expect(reasoning).toBe(FAKE_ANTHROPIC_THINKING);
    expect(blocks).toEqual([{ type: 'thinking', thinking: FAKE_ANTHROPIC_THINKING, signature: expect.any(String) }]);
  });

  it('maps upstream failures: 429 with retry-after, 5xx, 529 overloaded, a bad provider key, prompt too long', async () => {
    const ask = (model: string) =>
      openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] });
    const limited = await failure(ask('claude-limited'));
    expect(limited).toBeInstanceOf(RateLimitError);
    expect(limited.headers?.get('retry-after')).toBe('7');
    expect(limited.message).toContain('rate limit');

    const broken = await failure(ask('claude-broken'));
    expect(broken).toBeInstanceOf(InternalServerError);
    expect(broken.status).toBe(502);

    const overloaded = await failure(ask('claude-overloaded'));
    expect(overloaded.status).toBe(503);
    expect(overloaded).toMatchObject({ type: 'overloaded_error', code: 'overloaded' });

    const badKey = await failure(ask('claude-badkey'));
    expect(badKey).toMatchObject({ status: 502, code: 'upstream_auth_failed' });
    expect(up.lastRequest!.headers['x-api-key']).toBe(BAD_KEY);

    const long = await failure(ask('claude-long'));
    expect(long).toBeInstanceOf(BadRequestError);
    expect(long).toMatchObject({ code: 'context_length_exceeded' });
    expect(long.message).toContain('prompt is too long');

    // Refused by the adapter before any upstream call: a parameter Anthropic cannot take.
    const before = up.requests;
    const seeded = await failure(
      openai.chat.completions.create({ model: 'claude', seed: 7, messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(seeded).toMatchObject({ status: 400, param: 'seed' });
    expect(up.requests).toBe(before);
  });

  it('ends a stream cut mid-way with an error, never a normal finish', async () => {
    const stream = await openai.chat.completions.create({
      model: 'claude-cut',
      stream: true,
      messages: [{ role: 'user', content: 'x' }],
    });
    const { text, finish, error: outcome } = await drainStream(stream);
    expect(outcome).toBeInstanceOf(APIError);
    errorBodies.push((outcome as APIError).message);
    expect(text).toBe('Hello');
    expect(finish).toBeNull();
  });

  it('never writes the provider keys to a log line or an error body', () => {
    expectNoSecretsInLogs(stack, [KEY, BAD_KEY], errorBodies);
    expect(errorBodies.length).toBeGreaterThanOrEqual(7);
  });
});

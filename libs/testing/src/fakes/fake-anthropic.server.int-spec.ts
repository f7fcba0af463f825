import Anthropic, {
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
} from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FAKE_ANTHROPIC_TEXT,
  FAKE_ANTHROPIC_THINKING,
  startFakeAnthropic,
  type FakeAnthropic,
} from './fake-anthropic.server';

type Params = Anthropic.MessageCreateParamsNonStreaming;

/** The fake Anthropic upstream, driven by Anthropic's own SDK: if the SDK reads it, our adapter's fixtures are real. */
describe('startFakeAnthropic (checked with the official @anthropic-ai/sdk)', () => {
  let up: FakeAnthropic;
  let client: Anthropic;
  const weather: Anthropic.Tool = {
    name: 'get_weather',
    description: 'Current weather in a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  };

  beforeAll(async () => {
    up = await startFakeAnthropic({ apiKey: 'sk-ant-fake-key-0123456789' });
    client = new Anthropic({ apiKey: 'sk-ant-fake-key-0123456789', baseURL: up.url, maxRetries: 0 });
  });
  afterAll(() => up.close());

  it('answers messages.create with text, usage and the request headers the SDK sends', async () => {
    const msg = await client.messages.create({
      model: 'claude-test',
      max_tokens: 100,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    expect(msg.type).toBe('message');
    expect(msg.role).toBe('assistant');
    expect(msg.content).toEqual([{ type: 'text', text: FAKE_ANTHROPIC_TEXT }]);
    expect(msg.stop_reason).toBe('end_turn');
    expect(msg.usage).toMatchObject({
      input_tokens: Math.ceil('Be brief.Say hello'.length / 4),
      output_tokens: 7,
      cache_read_input_tokens: 0,
    });
    // This SDK sends the key as a bearer token; the gateway sends it as x-api-key (both are Anthropic's).
    expect(up.lastRequest?.headers['authorization']).toBe('Bearer sk-ant-fake-key-0123456789');
    expect(up.lastRequest?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('streams with messages.stream(): the SDK assembles the same message, text events in order', async () => {
    const stream = client.messages.stream({
      model: 'claude-test',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts.join('')).toBe(FAKE_ANTHROPIC_TEXT);
    expect(final.content).toEqual([{ type: 'text', text: FAKE_ANTHROPIC_TEXT }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBe(7);
  });

  it('cuts at max_tokens and at a stop sequence', async () => {
    const short = await client.messages.create({
      model: 'm',
      max_tokens: 3,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(short.stop_reason).toBe('max_tokens');
    expect(short.content).toEqual([{ type: 'text', text: 'Hello from the' }]);
    const stopped = await client.messages.create({
      model: 'm',
      max_tokens: 100,
      stop_sequences: [' fake'],
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(stopped).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: ' fake' });
    expect(stopped.content).toEqual([{ type: 'text', text: 'Hello from the' }]);
  });

  it('answers with a tool_use when asked, pairs the tool_result, and streams input_json deltas the SDK parses', async () => {
    const ask: Params = {
      model: 'claude-test',
      max_tokens: 200,
      tools: [weather],
      messages: [{ role: 'user', content: 'Weather in Paris? Use the tool.' }],
    };
    const first = await client.messages.create(ask);
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content[0] as Anthropic.ToolUseBlock;
    expect(call).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
    expect(call.id).toMatch(/^toolu_/);

    const second = await client.messages.create({
      ...ask,
      messages: [
        ...ask.messages,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'sunny, 21 C' }] },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'The tool returned: sunny, 21 C.' }]);

    const streamed = await client.messages.stream(ask).finalMessage();
    expect(streamed.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
  });

  it('calls every tool in parallel when asked, one when parallel use is disabled; sees images', async () => {
    const time: Anthropic.Tool = { name: 'get_time', input_schema: { type: 'object', properties: {} } };
    const ask = (disable: boolean) =>
      client.messages.create({
        model: 'claude-test',
        max_tokens: 200,
        tools: [weather, time],
        tool_choice: { type: 'auto', disable_parallel_tool_use: disable },
        messages: [{ role: 'user', content: 'Use every tool.' }],
      });
    expect((await ask(false)).content.map((b) => (b as Anthropic.ToolUseBlock).name)).toEqual([
      'get_weather',
      'get_time',
    ]);
    expect((await ask(true)).content.map((b) => (b as Anthropic.ToolUseBlock).name)).toEqual(['get_weather']);

    const seen = await client.messages.create({
      model: 'claude-test',
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
            { type: 'text', text: 'What are these?' },
          ],
        },
      ],
    });
    expect(seen.content).toEqual([{ type: 'text', text: `I see 2 images. ${FAKE_ANTHROPIC_TEXT}` }]);
    const badImage = client.messages.create({
      model: 'claude-test',
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'not base64!' } }],
        },
      ],
    });
    await expect(badImage).rejects.toThrow(/not valid base64/);
  });

  it('adds a redacted_thinking block for fake-redacted, which the SDK keeps', async () => {
    const msg = await client.messages
      .stream({
        model: 'fake-redacted',
        max_tokens: 2000,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [{ role: 'user', content: 'hi' }],
      })
      .finalMessage();
    expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'redacted_thinking', 'text']);
  });

  it('refuses tool results that do not answer the previous turn, and tool blocks without tools', async () => {
    const orphan = client.messages.create({
      model: 'm',
      max_tokens: 10,
      tools: [weather],
      messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_nope', content: 'x' }] }],
    });
    await expect(orphan).rejects.toBeInstanceOf(BadRequestError);
    await expect(orphan).rejects.toThrow(/unexpected `tool_use_id`/);
    await expect(
      client.messages.create({
        model: 'm',
        max_tokens: 10,
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'x' }] },
        ],
      }),
    ).rejects.toThrow(/must define tools/);
  });

  it('thinks with a signature it later checks, and requires the thinking block when a tool turn continues', async () => {
    const ask: Params = {
      model: 'claude-test',
      max_tokens: 4000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      tools: [weather],
      messages: [{ role: 'user', content: 'Use the tool for Paris' }],
    };
    const first = await client.messages.stream(ask).finalMessage();
    const thinking = first.content[0] as Anthropic.ThinkingBlock;
    expect(thinking).toMatchObject({ type: 'thinking', thinking: FAKE_ANTHROPIC_THINKING });
    expect(thinking.signature.length).toBeGreaterThan(20);
    const call = first.content[1] as Anthropic.ToolUseBlock;
    const result = {
      role: 'user' as const,
      content: [{ type: 'tool_result' as const, tool_use_id: call.id, content: 'rain' }],
    };

    const ok = await client.messages.create({
      ...ask,
      messages: [...ask.messages, { role: 'assistant', content: first.content }, result],
    });
    expect(ok.content.map((b) => b.type)).toEqual(['thinking', 'text']);

    const withoutThinking = client.messages.create({
      ...ask,
      messages: [...ask.messages, { role: 'assistant', content: [call] }, result],
    });
    await expect(withoutThinking).rejects.toThrow(/must start with a thinking block/);
    const forged = client.messages.create({
      ...ask,
      messages: [
        ...ask.messages,
        { role: 'assistant', content: [{ ...thinking, thinking: 'something else' }, call] },
        result,
      ],
    });
    await expect(forged).rejects.toThrow(/Invalid `signature`/);
  });

  it('validates like the real API: max_tokens, unknown fields, roles, temperature, thinking budget', async () => {
    const base = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };
    const cases: Array<[unknown, RegExp]> = [
      [base, /max_tokens: Field required/],
      [{ ...base, max_tokens: 5, frequency_penalty: 1 }, /frequency_penalty: Extra inputs are not permitted/],
      [
        { ...base, max_tokens: 5, messages: [{ role: 'system', content: 'x' }] },
        /Input should be 'user' or 'assistant'/,
      ],
      [{ ...base, max_tokens: 5, temperature: 1.5 }, /less than or equal to 1/],
      [
        { ...base, max_tokens: 5000, thinking: { type: 'enabled', budget_tokens: 500 } },
        /greater than or equal to 1024/,
      ],
      [
        { ...base, max_tokens: 1024, thinking: { type: 'enabled', budget_tokens: 1024 } },
        /must be greater than `thinking.budget_tokens`/,
      ],
      [
        { ...base, max_tokens: 5000, temperature: 0.5, thinking: { type: 'enabled', budget_tokens: 1024 } },
        /only be set to 1/,
      ],
      [{ ...base, max_tokens: 5, tool_choice: { type: 'auto' } }, /only be specified while providing tools/],
    ];
    for (const [body, message] of cases) {
      const failed = client.messages.create(body as Params);
      await expect(failed).rejects.toBeInstanceOf(BadRequestError);
      await expect(failed).rejects.toMatchObject({ status: 400, type: 'invalid_request_error' });
      await expect(failed).rejects.toThrow(message);
    }
  });

  it('reports cache writes, then cache reads, for a prompt with cache_control', async () => {
    const body: Params = {
      model: 'claude-test',
      max_tokens: 50,
      system: [
        { type: 'text', text: 'A long and stable system prompt. '.repeat(20), cache_control: { type: 'ephemeral' } },
      ],
      messages: [{ role: 'user', content: 'Question one' }],
    };
    const first = await client.messages.create(body);
    const prefix = Math.ceil('A long and stable system prompt. '.repeat(20).length / 4);
    expect(first.usage).toMatchObject({ cache_creation_input_tokens: prefix, cache_read_input_tokens: 0 });
    const second = await client.messages.create({ ...body, messages: [{ role: 'user', content: 'Question two' }] });
    expect(second.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: prefix });
    expect(second.usage.input_tokens).toBe(
      Math.ceil(('A long and stable system prompt. '.repeat(20) + 'Question two').length / 4) - prefix,
    );
  });

  it('counts tokens', async () => {
    const counted = await client.messages.countTokens({
      model: 'm',
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    expect(counted.input_tokens).toBe(Math.ceil('Say hello'.length / 4));
  });

  it('fails by trigger model with the errors the SDK types: 429 with retry-after, 500, 529, 404, 401, prompt too long', async () => {
    const ask = (model: string, c: Anthropic = client) =>
      c.messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    const limited = await ask('fake-429').catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).headers.get('retry-after')).toBe('7');
    expect((limited as RateLimitError).requestID).toMatch(/^req_/);
    await expect(ask('fake-500')).rejects.toBeInstanceOf(InternalServerError);
    const overloaded = await ask('fake-529').catch((e: unknown) => e);
    expect(overloaded).toBeInstanceOf(InternalServerError);
    expect(overloaded).toMatchObject({ status: 529, type: 'overloaded_error' });
    await expect(ask('fake-404')).rejects.toBeInstanceOf(NotFoundError);
    await expect(ask('fake-long')).rejects.toThrow(/prompt is too long/);
    const wrongKey = new Anthropic({ apiKey: 'sk-ant-wrong', baseURL: up.url, maxRetries: 0 });
    await expect(ask('m', wrongKey)).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('streams an error event, and cuts a stream mid-way', async () => {
    const failing = client.messages.stream({
      model: 'fake-stream-error',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    await expect(failing.finalMessage()).rejects.toMatchObject({ type: 'overloaded_error' });
    const cut = client.messages.stream({
      model: 'fake-drop',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    await expect(cut.finalMessage()).rejects.toThrow();
  });
});

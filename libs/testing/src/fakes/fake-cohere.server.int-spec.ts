import { CohereClientV2, CohereError } from 'cohere-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_COHERE_PIECES, FAKE_COHERE_THINKING, startFakeCohere, type FakeCohere } from './fake-cohere.server';

const TEXT = FAKE_COHERE_PIECES.join('');

/** The fake checked against Cohere's official SDK (cohere-ai, CohereClientV2): what it sends, what it reads. */
describe('startFakeCohere (checked with the official cohere-ai SDK)', () => {
  let fake: FakeCohere;
  let co: CohereClientV2;
  const user = [{ role: 'user' as const, content: 'Say hello to the fake Cohere please' }];

  beforeAll(async () => {
    fake = await startFakeCohere({ apiKey: 'co-fake-key-123456' });
    co = new CohereClientV2({ token: 'co-fake-key-123456', environment: fake.url, maxRetries: 0 });
  });
  afterAll(() => fake.close());

  it('answers chat with text, finish reason and usage, to a bearer-authenticated request', async () => {
    const r = await co.chat({
      model: 'command-a-03-2025',
      messages: [{ role: 'system', content: 'Be brief.' }, ...user],
      temperature: 0.3,
      p: 0.75,
      maxTokens: 100,
      stopSequences: ['NEVER'],
      seed: 1,
    });
    expect(r.finishReason).toBe('COMPLETE');
    expect(r.message.content).toEqual([{ type: 'text', text: TEXT }]);
    expect(r.usage?.tokens).toEqual({ inputTokens: 11, outputTokens: FAKE_COHERE_PIECES.length });
    expect(r.usage?.billedUnits).toMatchObject({ inputTokens: 11, outputTokens: FAKE_COHERE_PIECES.length });
    expect(fake.lastRequest?.headers.authorization).toBe('Bearer co-fake-key-123456');
    expect(fake.lastRequest?.body).toMatchObject({ max_tokens: 100, stop_sequences: ['NEVER'], p: 0.75 });
  });

  it('streams the documented event sequence, which the SDK parses', async () => {
    const stream = await co.chatStream({ model: 'command-a-03-2025', messages: user, logprobs: true });
    const types: string[] = [];
    let text = '';
    let finish: string | undefined;
    let usage: unknown;
    let logprobs = 0;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'content-delta') {
        text += ev.delta?.message?.content?.text ?? '';
        if (ev.logprobs) logprobs++;
      }
      if (ev.type === 'message-end') {
        finish = ev.delta?.finishReason;
        usage = ev.delta?.usage;
      }
    }
    expect(types[0]).toBe('message-start');
    expect(types.slice(1, 2)).toEqual(['content-start']);
    expect(types.slice(-2)).toEqual(['content-end', 'message-end']);
    expect(text).toBe(TEXT);
    expect(finish).toBe('COMPLETE');
    expect(logprobs).toBe(FAKE_COHERE_PIECES.length);
    expect(usage).toMatchObject({ tokens: { outputTokens: FAKE_COHERE_PIECES.length } });
    expect(fake.lastRequest?.body).toMatchObject({ stream: true });
  });

  it('calls a tool, takes its result, and streams tool-call events', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          description: 'Gets the weather',
          parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
        },
      },
    ];
    const first = await co.chat({ model: 'command-a-03-2025', messages: user, tools, toolChoice: 'REQUIRED' });
    expect(first.finishReason).toBe('TOOL_CALL');
    expect(first.message.toolPlan).toBe('I will call get_weather to answer.');
    const call = first.message.toolCalls![0]!;
    expect(call.function?.name).toBe('get_weather');
    expect(JSON.parse(call.function!.arguments!)).toHaveProperty('location');

    const second = await co.chat({
      model: 'command-a-03-2025',
      tools,
      messages: [
        ...user,
        { role: 'assistant', toolPlan: first.message.toolPlan, toolCalls: first.message.toolCalls },
        { role: 'tool', toolCallId: call.id!, content: '20C and sunny' },
      ],
    });
    expect(second.finishReason).toBe('COMPLETE');
    expect(second.message.content?.[0]).toMatchObject({ type: 'text', text: expect.stringContaining('20C and sunny') });

    const stream = await co.chatStream({ model: 'command-a-03-2025', messages: user, tools });
    const seen: string[] = [];
    let args = '';
    let name: string | undefined;
    for await (const ev of stream) {
      seen.push(ev.type);
      if (ev.type === 'tool-call-start') name = ev.delta?.message?.toolCalls?.function?.name;
      if (ev.type === 'tool-call-delta') args += ev.delta?.message?.toolCalls?.function?.arguments ?? '';
    }
    expect(seen).toEqual(
      expect.arrayContaining(['tool-plan-delta', 'tool-call-start', 'tool-call-delta', 'tool-call-end']),
    );
    expect(name).toBe('get_weather');
    expect(JSON.parse(args)).toHaveProperty('location');
  });

  it('thinks on reasoning models, unless thinking is disabled', async () => {
    const r = await co.chat({
      model: 'command-a-reasoning-08-2025',
      messages: user,
      thinking: { type: 'enabled', tokenBudget: 1024 },
    });
    expect(r.message.content?.[0]).toEqual({ type: 'thinking', thinking: FAKE_COHERE_THINKING });
    const off = await co.chat({ model: 'command-a-reasoning-08-2025', messages: user, thinking: { type: 'disabled' } });
    expect(off.message.content).toEqual([{ type: 'text', text: TEXT }]);
    let thinking = '';
    for await (const ev of await co.chatStream({ model: 'command-a-reasoning-08-2025', messages: user }))
      if (ev.type === 'content-delta') thinking += ev.delta?.message?.content?.thinking ?? '';
    expect(thinking).toBe(FAKE_COHERE_THINKING);
  });

  it('honours max_tokens, stop sequences, json output and images like the API', async () => {
    const short = await co.chat({ model: 'command-a-03-2025', messages: user, maxTokens: 2 });
    expect(short).toMatchObject({ finishReason: 'MAX_TOKENS', message: { content: [{ text: 'Hello from' }] } });
    const stopped = await co.chat({ model: 'command-a-03-2025', messages: user, stopSequences: [' fake'] });
    expect(stopped).toMatchObject({
      finishReason: 'STOP_SEQUENCE',
      message: { content: [{ text: 'Hello from the' }] },
    });
    const json = await co.chat({
      model: 'command-a-03-2025',
      messages: user,
      responseFormat: {
        type: 'json_object',
        jsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    });
    const content = json.message.content?.[0];
    expect(JSON.parse(content?.type === 'text' ? content.text : '')).toHaveProperty('city');
    const image = await co.chat({
      model: 'command-a-vision-07-2025',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', imageUrl: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
    });
    expect(image.message.content?.[0]).toMatchObject({ text: expect.stringMatching(/^I see 1 image\./) });
  });

  it('refuses what the API refuses, in its error shapes', async () => {
    const status = async (run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (e) {
        expect(e).toBeInstanceOf(CohereError);
        return { status: (e as CohereError).statusCode, body: (e as CohereError).body as { message: string } };
      }
      throw new Error('expected an error');
    };
    const bad = new CohereClientV2({ token: 'wrong', environment: fake.url, maxRetries: 0 });
    expect(await status(() => bad.chat({ model: 'command-a-03-2025', messages: user }))).toMatchObject({
      status: 401,
      body: { message: 'invalid api token' },
    });
    const tooMany = await status(() => co.chat({ model: 'cohere-too-many-tokens', messages: user }));
    expect(tooMany).toMatchObject({ status: 400 });
    expect(tooMany.body.message).toMatch(/^too many tokens/);
    const limited = await status(() => co.chat({ model: 'cohere-429', messages: user }));
    expect(limited.status).toBe(429);
    expect((await status(() => co.chat({ model: 'cohere-500', messages: user }))).status).toBe(500);
    expect((await status(() => co.chat({ model: 'cohere-503', messages: user }))).status).toBe(503);
    expect((await status(() => co.chat({ model: 'command-a-03-2025', messages: user, p: 1 }))).body.message).toContain(
      'p must be between',
    );
    expect(
      (
        await status(() =>
          co.chat({
            model: 'command-r',
            messages: [{ role: 'user', content: [{ type: 'image_url', imageUrl: { url: 'https://x/y.png' } }] }],
          }),
        )
      ).body.message,
    ).toContain('does not support image inputs');
    expect(
      (
        await status(() =>
          co.chat({ model: 'command-a-03-2025', messages: [{ role: 'tool', toolCallId: 'nope', content: 'x' }] }),
        )
      ).body.message,
    ).toContain('tool_call_id');
    const raw = await fetch(`${fake.url}/v2/chat`, {
      method: 'POST',
      headers: { authorization: 'Bearer co-fake-key-123456', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'command-a-03-2025', messages: user, top_p: 0.5 }),
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({
      message: 'invalid request: unknown field: parameter top_p is not a valid field',
    });
  });

  it('cuts a stream mid-way for cohere-drop', async () => {
    const stream = await co.chatStream({ model: 'cohere-drop', messages: user });
    const types: string[] = [];
    await expect(
      (async () => {
        for await (const ev of stream) types.push(ev.type);
      })(),
    ).rejects.toThrow();
    expect(types).toContain('content-delta');
    expect(types).not.toContain('message-end');
  });
});

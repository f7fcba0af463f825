import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakePromptTokensOf, startFakeOpenAI, type FakeUpstream } from './fake-openai.server';

describe('startFakeOpenAI (checked with the official openai SDK)', () => {
  let up: FakeUpstream;
  let client: OpenAI;
  const messages = [{ role: 'user' as const, content: 'Say hello to the fake server please' }];

  beforeAll(async () => {
    up = await startFakeOpenAI({ chunks: 4 });
    client = new OpenAI({ baseURL: up.url, apiKey: 'sk-test', maxRetries: 0 });
  });
  afterAll(() => up.close());

  it('answers a chat completion with deterministic usage', async () => {
    const r = await client.chat.completions.create({ model: 'fake-gpt', messages });
    expect(r.object).toBe('chat.completion');
    expect(r.choices[0]!.message.content).toBe('Hello from the fake');
    expect(r.usage).toMatchObject({ prompt_tokens: fakePromptTokensOf(messages), completion_tokens: 4 });
    expect(up.lastRequest?.headers.authorization).toBe('Bearer sk-test');
    expect(up.requests).toBe(1);
  });

  it('streams chunks with a final usage chunk when include_usage is set', async () => {
    const s = await client.chat.completions.create({
      model: 'fake-gpt',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    for await (const c of s) {
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe('Hello from the fake');
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBe(4);
  });

  it('injects errors by model name', async () => {
    await expect(client.chat.completions.create({ model: 'fake-429', messages })).rejects.toMatchObject({
      status: 429,
      code: 'rate_limit_exceeded',
    });
    try {
      await client.chat.completions.create({ model: 'fake-429', messages });
    } catch (e) {
      expect((e as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('7');
    }
    await expect(client.chat.completions.create({ model: 'fake-400', messages })).rejects.toMatchObject({
      status: 400,
      type: 'invalid_request_error',
    });
    await expect(client.chat.completions.create({ model: 'fake-500', messages })).rejects.toMatchObject({
      status: 500,
    });
    const noAuth = await fetch(`${up.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake-gpt', messages }),
    });
    expect(noAuth.status).toBe(401);
    expect(((await noAuth.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
  });

  it('lists models', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toContain('fake-gpt');
  });
});

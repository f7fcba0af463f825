import OpenAI, { APIError, AuthenticationError, BadRequestError, NotFoundError, RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsClient } from '@switchyard/analytics';
import {
  drainStream,
  type FakeUpstream,
  keySpendNanos,
  type Stack,
  startFakeOpenAI,
  startStack,
  waitFor,
  newKey,
} from '@switchyard/testing';

/**
 * One journey through the whole system: the official OpenAI SDK → gateway → NATS → router → translator
 * → a fake OpenAI upstream, and each request's usage through JetStream → spend → ClickHouse + Postgres.
 */
describe('gateway end to end', () => {
  let upstream: FakeUpstream;
  let stack: Stack;
  // Admin responses are checked field by field below; a loose record keeps those checks readable.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let admin: (method: string, path: string, body?: unknown) => Promise<{ status: number; json: any }>;

  beforeAll(async () => {
    upstream = await startFakeOpenAI();
    stack = await startStack({
      env: { FAKE_UPSTREAM_KEY: 'sk-upstream-secret-e2e' },
      configYaml: `
model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${upstream.url}
      api_key: os.environ/FAKE_UPSTREAM_KEY
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
  - model_name: limited
    litellm_params: { model: openai/fake-429, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
  - model_name: demo
    litellm_params: { model: fake/gpt-4o-mini }
  - model_name: large
    litellm_params: { model: openai/fake-large, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
  - model_name: billed-by-provider
    litellm_params: { model: openrouter/fake-cost, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
  - model_name: breaks
    litellm_params: { model: openai/fake-stream-error, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
  - model_name: drops
    litellm_params: { model: openai/fake-drop, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
`,
    });
    admin = async (method, path, body) => {
      const res = await fetch(`${stack.adminUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: await res.json().catch(() => undefined) };
    };
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });

  it('answers completions and streams, and records exactly one priced usage row per request', async () => {
    const { id: keyId, key } = await newKey(stack);
    const openai = client(key);
    const expected = { prompt: 0, completion: 0 };

    for (let i = 0; i < 3; i++) {
      const res = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `hello ${i}` }],
      });
      expect(res.object).toBe('chat.completion');
      expect(res.choices[0]?.message.content).toBeTruthy();
      expect(res.usage?.prompt_tokens).toBeGreaterThan(0);
      expected.prompt += res.usage!.prompt_tokens;
      expected.completion += res.usage!.completion_tokens;
    }
    expect(upstream.lastRequest?.headers.authorization).toBe('Bearer sk-upstream-secret-e2e');
    expect((upstream.lastRequest?.body as { model: string }).model).toBe('gpt-4o-mini');

    // A stream with usage requested: content deltas, then OpenAI's usage-only chunk.
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expected.prompt += usage!.prompt_tokens;
    expected.completion += usage!.completion_tokens;

    // A stream without include_usage: no usage chunk reaches the client, but usage is still recorded.
    const plain = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'again' }],
      stream: true,
    });
    let sawUsage = false;
    let plainText = '';
    for await (const chunk of plain) {
      if (chunk.usage) sawUsage = true;
      plainText += chunk.choices[0]?.delta.content ?? '';
    }
    expect(sawUsage).toBe(false);
    expect(plainText.length).toBeGreaterThan(0);

    const ch = createAnalyticsClient({ url: stack.clickhouse.url });
    try {
      const rows = await waitFor(
        async () => {
          const r = await ch.query({
            query: `SELECT count() AS n, sum(prompt_tokens) AS p, sum(completion_tokens) AS c, sum(cost_nanos) AS cost, groupUniqArray(requested_model) AS models
                    FROM ${stack.clickhouse.database}.usage FINAL WHERE key_id = '${keyId}'`,
            format: 'JSONEachRow',
          });
          const [row] = (await r.json()) as { n: string; p: string; c: string; cost: string; models: string[] }[];
          return Number(row?.n) === 5 ? row : undefined;
        },
        { timeoutMs: 20_000 },
      );
      const streamPlainRow = await ch.query({
        query: `SELECT prompt_tokens, completion_tokens FROM ${stack.clickhouse.database}.usage FINAL WHERE key_id = '${keyId}' AND requested_model = 'gpt-4o'`,
        format: 'JSONEachRow',
      });
      const [plainRow] = (await streamPlainRow.json()) as { prompt_tokens: number; completion_tokens: number }[];
      expect(Number(plainRow?.completion_tokens)).toBeGreaterThan(0);
      expect(Number(rows.p)).toBe(expected.prompt + Number(plainRow!.prompt_tokens));
      expect(Number(rows.c)).toBe(expected.completion + Number(plainRow!.completion_tokens));
      expect(BigInt(rows.cost)).toBeGreaterThan(0n);

      // Postgres holds the same money, to the nano-dollar.
      const spend = await waitFor(
        async () => {
          const nanos = await keySpendNanos(stack.databaseUrl, keyId);
          return nanos === BigInt(rows.cost) ? nanos : undefined;
        },
        { timeoutMs: 10_000, what: 'the key spend in Postgres' },
      );
      expect(spend).toBe(BigInt(rows.cost));
    } finally {
      await ch.close();
    }

    // The admin spend report reads the same rows.
    const report = await admin('GET', '/v1/spend?group_by=model');
    expect(report.status).toBe(200);
    const mini = (report.json.data as { group: string; requests: number }[]).find((r) => r.group === 'gpt-4o-mini');
    expect(mini?.requests).toBeGreaterThanOrEqual(4);
  });

  it('answers from the built-in fake provider without any provider key', async () => {
    const res = await client(stack.masterKey).chat.completions.create({
      model: 'demo',
      messages: [{ role: 'user', content: 'ping' }],
    });
    expect(res.choices[0]?.message.content).toBeTruthy();
    expect(res.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('reads routing hints (OpenRouter models/provider, LiteLLM fallbacks) at the gateway and never sends them upstream', async () => {
    const body = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: 'route me' }],
      models: ['gpt-4o-mini', 'gpt-4o'],
      provider: { order: ['openai'], allow_fallbacks: true },
      route: 'fallback',
      fallbacks: ['gpt-4o'],
      temperature: 0.5,
    };
    const res = await client(stack.masterKey).chat.completions.create(
      body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming,
    );
    expect(res.choices[0]?.message.content).toBeTruthy();
    const sent = upstream.lastRequest!.body as Record<string, unknown>;
    expect(sent).toMatchObject({ model: 'gpt-4o-mini', temperature: 0.5, messages: body.messages });
    for (const member of ['models', 'provider', 'route', 'fallbacks']) expect(sent).not.toHaveProperty(member);

    // A hint of the wrong shape is the client's mistake: a 400 naming it, and nothing goes upstream.
    const before = upstream.requests;
    const bad = await client(stack.masterKey)
      .chat.completions.create({
        ...body,
        models: 'gpt-4o',
      } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect((bad as BadRequestError).param).toBe('models');
    expect(upstream.requests).toBe(before);
  });

  it("records the cost a provider reports itself (OpenRouter's usage.cost) rather than a catalogue price", async () => {
    const { id, key } = await newKey(stack, {});
    const ai = client(key);
    await ai.chat.completions.create({ model: 'billed-by-provider', messages: [{ role: 'user', content: 'hi' }] });
    const stream = await ai.chat.completions.create({
      model: 'billed-by-provider',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    for await (const chunk of stream) void chunk;
    // 0.000421 USD each: 421,000 nano-USD, twice.
    await waitFor(async () => ((await keySpendNanos(stack.databaseUrl, id)) === 842_000n ? true : undefined), {
      timeoutMs: 15_000,
    });
  });

  it('ends a stream that breaks after it began with an error chunk (finish_reason "error") and [DONE], which the SDK raises', async () => {
    for (const model of ['breaks', 'drops']) {
      const stream = await client(stack.masterKey).chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      const { text, error: failure } = await drainStream(stream);
      expect(text.length, model).toBeGreaterThan(0);
      expect(failure, model).toBeInstanceOf(APIError);

      const res = await fetch(`${stack.gatewayUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], stream: true, n: 2 }),
      });
      expect(res.status).toBe(200);
      const events = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: '));
      expect(events.at(-1)).toBe('data: [DONE]');
      const last = JSON.parse(events.at(-2)!.slice('data: '.length)) as {
        object: string;
        model: string;
        choices: Array<{ index: number; finish_reason: string }>;
        error: { message: string; type: string; code: string | null };
      };
      expect(last.object).toBe('chat.completion.chunk');
      expect(last.model).toBe(model);
      expect(last.choices.map((c) => [c.index, c.finish_reason])).toEqual([
        [0, 'error'],
        [1, 'error'],
      ]);
      expect(last.error.message.length, model).toBeGreaterThan(0);
      // No normal finish went out before the error.
      expect(
        events.slice(0, -2).some((e) => /"finish_reason":"(stop|length)"/.test(e)),
        model,
      ).toBe(false);
    }
  });

  it('lists only the models a key may use', async () => {
    const all = await client(stack.masterKey).models.list();
    expect(all.data.map((m) => m.id).sort()).toEqual([
      'billed-by-provider',
      'breaks',
      'demo',
      'drops',
      'gpt-4o',
      'gpt-4o-mini',
      'large',
      'limited',
    ]);
    const { key } = await newKey(stack, { models: ['gpt-4o'] });
    const some = await client(key).models.list();
    expect(some.data.map((m) => m.id)).toEqual(['gpt-4o']);
    await expect(
      client(key).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('speaks OpenAI errors: wrong key, unknown model, bad request, upstream 429 with its retry hint', async () => {
    await expect(
      client('sk-not-a-real-key-000000').chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toBeInstanceOf(AuthenticationError);
    await expect(client(stack.masterKey).models.list()).resolves.toBeDefined();
    const missing = await client(stack.masterKey)
      .chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as NotFoundError).code).toBe('model_not_found');

    const bad = await client(stack.masterKey)
      .chat.completions.create({ model: 'gpt-4o', messages: [] })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect((bad as BadRequestError).param).toBe('messages');

    const limited = await client(stack.masterKey)
      .chat.completions.create({ model: 'limited', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).headers?.get('retry-after')).toBeTruthy();
  });

  it('refuses a revoked key within a second', async () => {
    const { id, key } = await newKey(stack);
    const openai = client(key);
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
    expect((await admin('DELETE', `/v1/keys/${id}`)).status).toBe(200);
    const refusedAt = await waitFor(
      async () => {
        const e = await openai.models.list().then(
          () => undefined,
          (err: unknown) => err,
        );
        return e instanceof AuthenticationError ? Date.now() : undefined;
      },
      { timeoutMs: 1000, intervalMs: 20 },
    );
    expect(refusedAt).toBeGreaterThan(0);
  });

  it('carries answers and requests larger than one NATS message, or refuses them with 413', async () => {
    const big = await client(stack.masterKey).chat.completions.create({
      model: 'large',
      messages: [{ role: 'user', content: 'a lot' }],
    });
    expect(big.choices[0]?.message.content).toHaveLength(2_640_000);
    expect(big.usage?.completion_tokens).toBe(660_000);

    // NATS carries at most max_payload (1 MiB by default) in one message: the gateway refuses
    // what it could not forward, with the limit in the message, instead of failing inside.
    const tooBig = await client(stack.masterKey)
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(1_500_000) }] })
      .catch((e: unknown) => e);
    expect((tooBig as { status?: number }).status).toBe(413);
    expect((tooBig as Error).message).toMatch(/larger than the limit of \d+ bytes/);
    const fits = await client(stack.masterKey).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'y'.repeat(900_000) }],
    });
    expect(fits.usage?.prompt_tokens).toBeGreaterThan(200_000);
  });

  it('records a usage event even for bodies refused before they could be read', async () => {
    const { id: keyId, key } = await newKey(stack);
    const post = (body: string | Buffer) =>
      fetch(`${stack.gatewayUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
      });
    const bad = await post('{"model": "gpt-4o", "messages": [');
    const huge = await post(Buffer.alloc(2 * 1024 * 1024, 0x61));
    expect([bad.status, huge.status]).toEqual([400, 413]);
    const ids = [bad.headers.get('x-request-id'), huge.headers.get('x-request-id')];
    expect(ids.every((id) => /^req_[0-9a-f]{32}$/.test(id ?? ''))).toBe(true);

    const ch = createAnalyticsClient({ url: stack.clickhouse.url });
    try {
      const rows = await waitFor(
        async () => {
          const r = await ch.query({
            query: `SELECT request_id, status FROM ${stack.clickhouse.database}.usage FINAL WHERE key_id = '${keyId}' ORDER BY status`,
            format: 'JSONEachRow',
          });
          const found = (await r.json()) as { request_id: string; status: number }[];
          return found.length === 2 ? found : undefined;
        },
        { timeoutMs: 20_000, what: 'two usage rows for the refused requests' },
      );
      expect(rows.map((r) => Number(r.status))).toEqual([400, 413]);
      expect(rows.map((r) => r.request_id)).toEqual(ids);
    } finally {
      await ch.close();
    }
  });

  it('never answers malformed input with a 500', async () => {
    const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
      fetch(`${stack.gatewayUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json', ...headers },
        body,
      });
    const cases: [string | Buffer, number][] = [
      ['{not json', 400],
      ['', 400],
      ['null', 400],
      ['[]', 400],
      ['"text"', 400],
      ['{"model": ["a"], "messages": []}', 400],
      ['{"model": "gpt-4o", "messages": [{"role": "user", "content": {"x": 1}}]}', 400],
      ['{"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}], "stream": "true"}', 400],
      [Buffer.alloc(5 * 1024 * 1024, 0x61), 413],
      [Buffer.from([0xff, 0xfe, 0x00, 0x7b]), 400],
    ];
    for (const [body, status] of cases) {
      const res = await post(body);
      expect(res.status, `body ${String(body).slice(0, 40)}`).toBe(status);
      const json = (await res.json()) as { error: { message: string; type: string } };
      expect(json.error.type).toBe('invalid_request_error');
      expect(json.error.message.length).toBeGreaterThan(10);
    }
    const health = await fetch(`${stack.gatewayUrl}/health`);
    expect(health.status).toBe(200);
  });
});

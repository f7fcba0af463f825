import { Client as PgClient } from 'pg';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectNoSecretsInLogs,
  keySpendNanos,
  newKey,
  startFakeOpenAI,
  startStack,
  waitFor,
  type FakeUpstream,
  type Stack,
} from '@switchyard/testing';

/** 100 characters: 25 prompt tokens for the gateway's estimate and for the fake upstream. */
const PROMPT = 'x'.repeat(100);
const MAX_TOKENS = 10;
// gpt-4o-mini: 150 nano-USD per input token, 600 per output token. The fake answers 5 completion tokens.
const RESERVED = 25n * 150n + BigInt(MAX_TOKENS) * 600n; // 9,750
const REAL = 25n * 150n + 5n * 600n; // 6,750
const BUDGET_USD = 0.001; // 1,000,000 nano-USD

type Json = Record<string, unknown>;

/**
 * Self-service through the real services: a key reads its own spend, budget, what remains and its limits on the
 * gateway (OpenRouter's GET /v1/key, LiteLLM's GET /key/info), with the numbers the budget machinery enforces.
 */
describe('self-service key info', () => {
  let stack: Stack;
  let upstream: FakeUpstream;
  let slow: FakeUpstream;

  beforeAll(async () => {
    upstream = await startFakeOpenAI();
    slow = await startFakeOpenAI({ latencyMs: 3000 });
    stack = await startStack({
      env: { FAKE_UPSTREAM_KEY: 'sk-upstream-secret-selfservice' },
      configYaml: `
model_list:
  - model_name: gpt-4o-mini
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
  - model_name: slow
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${slow.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
`,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
    await slow?.close();
  });

  const client = (apiKey: string) =>
    new OpenAI({ apiKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0, timeout: 30_000 });
  const ask = (apiKey: string, model = 'gpt-4o-mini') =>
    client(apiKey).chat.completions.create({
      model,
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: MAX_TOKENS,
    });
  const get = async (path: string, apiKey: string): Promise<{ status: number; json: Json }> => {
    const res = await fetch(`${stack.gatewayUrl}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    return { status: res.status, json: (await res.json()) as Json };
  };

  it('a key with a budget spends, then reads what it spent, what remains and what is held in flight', async () => {
    const { id, key } = await newKey(
      stack,
      { key_alias: 'self-reader', max_budget: BUDGET_USD, rpm_limit: 50, tpm_limit: 10_000 },
      null,
    );
    const before = await get('/v1/key', key);
    expect(before.status).toBe(200);
    expect(before.json['data']).toMatchObject({
      label: 'self-reader',
      limit: BUDGET_USD,
      limit_remaining: BUDGET_USD,
      limit_reset: null,
      usage: 0,
      usage_daily: 0,
      is_free_tier: false,
      rate_limit: { requests: 50, interval: '1m' },
      rpm_limit: 50,
      tpm_limit: 10_000,
    });

    await ask(key);
    await ask(key);
    await waitFor(async () => (await keySpendNanos(stack.databaseUrl, id)) === 2n * REAL, {
      timeoutMs: 20_000,
      what: 'spend to commit both requests',
    });
    // ClickHouse gets the same rows in the same batch; poll until the windows show them too.
    const data = await waitFor(
      async () => {
        const r = await get('/v1/key', key);
        const d = r.json['data'] as Json;
        return d['usage_monthly'] === Number(2n * REAL) / 1e9 ? d : undefined;
      },
      { timeoutMs: 20_000, what: '/v1/key to show the usage of this month' },
    );
    expect(data).toMatchObject({
      limit: BUDGET_USD,
      usage: Number(2n * REAL) / 1e9,
      usage_nanos: (2n * REAL).toString(),
      usage_daily: Number(2n * REAL) / 1e9,
      usage_weekly: Number(2n * REAL) / 1e9,
      limit_remaining: Number(1_000_000n - 2n * REAL) / 1e9,
      limit_remaining_nanos: (1_000_000n - 2n * REAL).toString(),
      reserved_nanos: '0',
    });

    // A request in flight holds its worst-case cost: the remaining budget drops by it until spend settles it.
    const running = ask(key, 'slow');
    const held = await waitFor(
      async () => {
        const d = (await get('/v1/key', key)).json['data'] as Json;
        return d['reserved_nanos'] !== '0' ? d : undefined;
      },
      { timeoutMs: 10_000, what: 'the slow request to be reserved' },
    );
    expect(held['reserved_nanos']).toBe(RESERVED.toString());
    expect(held['limit_remaining_nanos']).toBe((1_000_000n - 2n * REAL - RESERVED).toString());
    await running;

    const info = await get('/key/info', key);
    expect(info.status).toBe(200);
    expect(info.json['key']).toBe(id);
    expect(info.json['info']).toMatchObject({
      key_alias: 'self-reader',
      max_budget: BUDGET_USD,
      max_budget_nanos: '1000000',
      rpm_limit: 50,
      tpm_limit: 10_000,
      blocked: false,
    });
    const spent = BigInt((info.json['info'] as Json)['spend_nanos'] as string);
    expect(spent).toBeGreaterThanOrEqual(2n * REAL);
    expect(spent).toBe(await keySpendNanos(stack.databaseUrl, id));
    expectNoSecretsInLogs(stack, [key], [JSON.stringify(info.json), JSON.stringify(data)]);
  });

  it('names the budget period and when it resets', async () => {
    const { id, key } = await newKey(stack, { max_budget: BUDGET_USD }, null);
    const resetAt = new Date(Date.now() + 86_400_000);
    // The admin API's budget_duration lands with the budget resets; the columns are already there.
    const pg = new PgClient({ connectionString: stack.databaseUrl });
    await pg.connect();
    try {
      await pg.query("UPDATE api_keys SET budget_duration = '1d', budget_reset_at = $2 WHERE id = $1", [id, resetAt]);
    } finally {
      await pg.end();
    }
    const r = await get('/v1/key', key);
    expect(r.json['data']).toMatchObject({ limit_reset: 'daily', limit_reset_at: resetAt.toISOString() });
    expect((await get('/key/info', key)).json['info']).toMatchObject({
      budget_duration: '1d',
      budget_reset_at: resetAt.toISOString(),
    });
  });

  it('another key cannot read it, an unknown key gets 401, the master key describes itself as unlimited', async () => {
    const owner = await newKey(stack, { max_budget: BUDGET_USD }, null);
    const other = await newKey(stack, {}, null);
    // Asking about another key is the admin route: a virtual key without an admin role is refused there.
    const theirs = await get(`/key/info?key=${owner.id}`, other.key);
    expect([401, 403]).toContain(theirs.status);
    expect(JSON.stringify(theirs.json)).not.toContain('max_budget');
    // Its own answers are about itself only.
    const mine = await get('/key/info', other.key);
    expect(mine.json['key']).toBe(other.id);
    expect((mine.json['info'] as Json)['max_budget']).toBeNull();
    expect(((await get('/v1/key', other.key)).json['data'] as Json)['limit']).toBeNull();

    for (const path of ['/v1/key', '/key/info']) {
      const unknown = await get(path, 'sk-not-a-key-of-this-gateway');
      expect(unknown.status).toBe(401);
      expect(unknown.json['error']).toMatchObject({ type: 'invalid_request_error' });
      const none = await fetch(`${stack.gatewayUrl}${path}`);
      expect(none.status).toBe(401);
    }

    const master = await get('/v1/key', stack.masterKey);
    expect(master.status).toBe(200);
    expect(master.json['data']).toMatchObject({ label: 'master key', limit: null, limit_remaining: null, usage: 0 });
    // Its usage is what its own requests recorded.
    await ask(stack.masterKey);
    await waitFor(
      async () => ((await get('/v1/key', stack.masterKey)).json['data'] as Json)['usage_nanos'] === REAL.toString(),
      { timeoutMs: 20_000, what: "the master key's request to show in its usage" },
    );
    // The master key's /key/info stays the admin route: any key, by id.
    const viaAdmin = await get(`/key/info?key=${owner.id}`, stack.masterKey);
    expect(viaAdmin.status).toBe(200);
    expect(viaAdmin.json['key']).toBe(owner.id);
  });
});

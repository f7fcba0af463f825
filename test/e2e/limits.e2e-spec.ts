import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminPost,
  keySpendNanos,
  newKey,
  repoRoot,
  startFakeOpenAI,
  startStack,
  waitFor,
  type FakeUpstream,
  type Stack,
} from '@switchyard/testing';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** 100 characters: 25 prompt tokens for the gateway's estimate and for the fake upstream. */
const PROMPT = 'x'.repeat(100);
const MAX_TOKENS = 10;
// gpt-4o-mini: 150 nano-USD per input token, 600 per output token. The fake answers 5 completion tokens.
const RESERVED = 25n * 150n + BigInt(MAX_TOKENS) * 600n; // 9,750
const REAL = 25n * 150n + 5n * 600n; // 6,750

type ErrorBody = { type?: string; code?: string; message?: string };
type Outcome = { status: number; body?: { error?: ErrorBody } };

async function ask(client: OpenAI, model = 'gpt-4o-mini'): Promise<Outcome> {
  try {
    await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: MAX_TOKENS,
    });
    return { status: 200 };
  } catch (e) {
    // The SDK keeps the envelope's `error` object as `e.error`.
    if (e instanceof APIError) return { status: e.status ?? 0, body: { error: e.error as ErrorBody } };
    throw e;
  }
}

async function spendOf(stack: Stack, table: 'api_keys' | 'teams', id: string): Promise<bigint> {
  if (table === 'api_keys') return keySpendNanos(stack.databaseUrl, id);
  const pg = new PgClient({ connectionString: stack.databaseUrl });
  await pg.connect();
  try {
    const r = await pg.query<{ spend_nanos: string }>('SELECT spend_nanos FROM teams WHERE id = $1', [id]);
    return BigInt(r.rows[0]!.spend_nanos);
  } finally {
    await pg.end();
  }
}

/**
 * Budgets and rate limits hold under concurrency and across gateway instances: reservations keep concurrent
 * requests from overshooting a budget, rate limits are counted once for all instances, and a blocked key is
 * refused everywhere within a second.
 */
describe('limits and budgets through the real services', () => {
  let stack: Stack;
  let upstream: FakeUpstream;
  let slow: FakeUpstream;
  let second: ChildProcess;
  let secondUrl: string;

  beforeAll(async () => {
    upstream = await startFakeOpenAI();
    slow = await startFakeOpenAI({ latencyMs: 400 });
    stack = await startStack({
      env: { FAKE_UPSTREAM_KEY: 'sk-upstream-secret-limits', SWITCHYARD_AUTH_FAILURES_PER_MINUTE: '40' },
      configYaml: `
model_list:
  - model_name: gpt-4o-mini
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
  - model_name: slow
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${slow.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
`,
    });
    const port = await freePort();
    secondUrl = `http://127.0.0.1:${port}`;
    second = spawn(process.execPath, [join(repoRoot(), 'dist/apps/gateway/src/main.js')], {
      env: { PATH: process.env.PATH, ...stack.env, GATEWAY_PORT: String(port), SWITCHYARD_INSTANCE_ID: 'gw-2' },
      stdio: 'ignore',
    });
    await waitFor(async () => (await fetch(`${secondUrl}/health`).catch(() => undefined))?.status === 200, {
      timeoutMs: 20_000,
      what: 'the second gateway to be healthy',
    });
  });

  afterAll(async () => {
    second?.kill('SIGTERM');
    await stack?.stop();
    await upstream?.close();
    await slow?.close();
  });

  const client = (apiKey: string, baseURL = stack.gatewayUrl) =>
    new OpenAI({ apiKey, baseURL: `${baseURL}/v1`, maxRetries: 0, timeout: 30_000 });

  it('200 concurrent requests on a budget for about 50: spend never passes the budget, the rest get 402', async () => {
    const budget = 50n * RESERVED;
    const { id, key } = await newKey(stack, { max_budget: Number(budget) / 1e9 }, null);
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) => ask(client(key, i % 2 ? secondUrl : stack.gatewayUrl))),
    );
    const ok = outcomes.filter((o) => o.status === 200).length;
    const refused = outcomes.filter((o) => o.status === 402);
    expect(ok + refused.length).toBe(200);
    // All 200 arrive before most settle: about budget / reservation succeed (a few more as settlements free room).
    expect(ok).toBeGreaterThanOrEqual(50);
    expect(ok).toBeLessThanOrEqual(Number(budget / REAL));
    expect(refused[0]!.body?.error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' });
    expect(refused[0]!.body?.error?.message).toMatch(
      /Budget exceeded: key .* has spent \$.* of its max_budget \$0\.0004875/,
    );
    const billed = async (n: number) =>
      waitFor(
        async () => {
          const s = await spendOf(stack, 'api_keys', id);
          return s === BigInt(n) * REAL ? s : undefined;
        },
        { timeoutMs: 20_000, what: 'every successful request to be billed' },
      );
    expect(await billed(ok)).toBeLessThanOrEqual(budget);
    // Settled, the room the reservations over-estimated is spent one request at a time, until less than one
    // reservation is left: then the key is refused, with what it spent.
    let more = 0;
    let last: Outcome = { status: 200 };
    while (more < 100 && (last = await ask(client(key))).status === 200) {
      more++;
      await billed(ok + more);
    }
    expect(last.status).toBe(402);
    const spent = await billed(ok + more);
    expect(spent).toBeLessThanOrEqual(budget);
    expect(spent).toBeGreaterThan(budget - RESERVED);
    expect(last.body?.error?.message).toContain(`has spent $${(Number(spent) / 1e9).toFixed(9).replace(/0+$/, '')} of`);
  });

  it('rpm_limit 100 across two gateway instances: exactly 100 of 300 requests succeed', async () => {
    const { key } = await newKey(stack, { rpm_limit: 100 }, null);
    const outcomes = await Promise.all(
      Array.from({ length: 300 }, (_, i) => ask(client(key, i % 2 ? secondUrl : stack.gatewayUrl))),
    );
    expect(outcomes.filter((o) => o.status === 200)).toHaveLength(100);
    const refused = outcomes.filter((o) => o.status === 429);
    expect(refused).toHaveLength(200);
    expect(refused[0]!.body?.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(refused[0]!.body?.error?.message).toMatch(/allows 100 requests per minute \(rpm_limit\)/);
    // The refusal says when to come back, as OpenAI does.
    const res = await fetch(`${secondUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('100');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(res.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+m)?\d+s$/);
  });

  it('sends x-ratelimit headers on admitted requests', async () => {
    const { key } = await newKey(stack, { rpm_limit: 10, tpm_limit: 100_000 }, null);
    const { response } = await client(key)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }], max_tokens: 10 })
      .withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('10');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('9');
    expect(response.headers.get('x-ratelimit-reset-requests')).toBe('1m0s');
    expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('100000');
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe(String(100_000 - 25 - 10));
  });

  it('model_rpm_limit limits one model on a key, and PATCH changes it on every instance', async () => {
    const { id, key } = await newKey(stack, { model_rpm_limit: { 'gpt-4o-mini': 2 } }, null);
    expect((await ask(client(key))).status).toBe(200);
    expect((await ask(client(key, secondUrl))).status).toBe(200);
    const refused = await ask(client(key));
    expect(refused.status).toBe(429);
    expect(refused.body?.error?.message).toMatch(
      /for model "gpt-4o-mini" allows 2 requests per minute \(model_rpm_limit\)/,
    );
    // Another model of the same key is not limited by it.
    expect((await ask(client(key), 'slow')).status).toBe(200);
    const res = await fetch(`${stack.adminUrl}/v1/keys/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model_rpm_limit: { 'gpt-4o-mini': 5 } }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { model_rpm_limit: unknown }).model_rpm_limit).toEqual({ 'gpt-4o-mini': 5 });
    await waitFor(async () => (await ask(client(key, secondUrl))).status === 200, {
      timeoutMs: 1000,
      intervalMs: 20,
      what: 'the raised limit to apply',
    });
  });

  it('max_parallel_requests 5: of 50 concurrent slow requests never more than 5 run upstream at once', async () => {
    const { key } = await newKey(stack, { max_parallel_requests: 5 }, null);
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => ask(client(key, i % 2 ? secondUrl : stack.gatewayUrl), 'slow')),
    );
    expect(slow.maxInFlight).toBeLessThanOrEqual(5);
    expect(outcomes.filter((o) => o.status === 200).length).toBeGreaterThanOrEqual(5);
    const refused = outcomes.filter((o) => o.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.body?.error?.message).toMatch(/allows 5 requests at once \(max_parallel_requests\)/);
    // Slots are given back when requests end: the key works again.
    expect((await ask(client(key), 'slow')).status).toBe(200);
  });

  it('a key blocked through one instance is refused by the other within one second, and works once unblocked', async () => {
    const { id, key } = await newKey(stack, {}, null);
    for (const gw of [stack.gatewayUrl, secondUrl]) expect((await ask(client(key, gw))).status).toBe(200);
    const blockedAt = Date.now();
    expect((await adminPost(stack, `/v1/keys/${id}/block`, {})).status).toBe(200);
    for (const gw of [stack.gatewayUrl, secondUrl]) {
      await waitFor(async () => (await ask(client(key, gw))).status === 401, {
        timeoutMs: Math.max(1, 1000 - (Date.now() - blockedAt)),
        intervalMs: 10,
        what: `${gw} to refuse the blocked key`,
      });
    }
    expect(Date.now() - blockedAt).toBeLessThan(1000);
    const refused = await ask(client(key, secondUrl));
    expect(refused.body?.error?.message).toMatch(/is blocked/);
    expect((await adminPost(stack, '/key/unblock', { key: id })).status).toBe(200);
    await waitFor(async () => (await ask(client(key, secondUrl))).status === 200, {
      timeoutMs: 1000,
      intervalMs: 10,
      what: 'the unblocked key to work',
    });
  });

  it('a team budget shared by three keys holds', async () => {
    const budget = 30n * RESERVED;
    const team = await adminPost<{ id: string }>(stack, '/v1/teams', {
      team_alias: 'shared',
      max_budget: Number(budget) / 1e9,
    });
    expect(team.status).toBe(201);
    const keys = await Promise.all([1, 2, 3].map(() => newKey(stack, { team_id: team.json.id })));
    const outcomes = await Promise.all(
      Array.from({ length: 90 }, (_, i) => ask(client(keys[i % 3]!.key, i % 2 ? secondUrl : stack.gatewayUrl))),
    );
    const ok = outcomes.filter((o) => o.status === 200).length;
    expect(ok).toBeGreaterThanOrEqual(30);
    expect(ok).toBeLessThanOrEqual(Number(budget / REAL));
    const refused = outcomes.find((o) => o.status === 402);
    expect(refused?.body?.error?.message).toMatch(new RegExp(`team ${team.json.id} has spent`));
    const spent = await waitFor(
      async () => {
        const s = await spendOf(stack, 'teams', team.json.id);
        return s === BigInt(ok) * REAL ? s : undefined;
      },
      { timeoutMs: 20_000, what: "the team's requests to be billed" },
    );
    expect(spent).toBeLessThanOrEqual(budget);
  });

  it('an end user budget holds across keys, by the `user` field or x-switchyard-end-user, and blocking refuses it', async () => {
    const budget = 10n * RESERVED;
    const customer = `customer-${Date.now()}`;
    const created = await adminPost<{ user_id: string; max_budget_nanos: string }>(stack, '/customer/new', {
      user_id: customer,
      max_budget: Number(budget) / 1e9,
    });
    expect(created).toMatchObject({ status: 200, json: { user_id: customer, max_budget_nanos: String(budget) } });
    const [a, b] = await Promise.all([newKey(stack, {}, null), newKey(stack, {}, null)]);
    const asCustomer = async (key: string, i: number): Promise<Outcome> => {
      try {
        await client(key, i % 2 ? secondUrl : stack.gatewayUrl).chat.completions.create(
          {
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: PROMPT }],
            max_tokens: MAX_TOKENS,
            ...(i % 3 === 0 ? {} : { user: customer }),
          },
          i % 3 === 0 ? { headers: { 'x-switchyard-end-user': customer } } : {},
        );
        return { status: 200 };
      } catch (e) {
        if (e instanceof APIError) return { status: e.status ?? 0, body: { error: e.error as ErrorBody } };
        throw e;
      }
    };
    // The gateways load end users with limits in the background (within a second): a request whose reservation
    // alone passes the budget is refused by each once it knows the end user. Until then a probe runs, and is
    // charged to the end user (1 prompt token, 5 completion tokens).
    let probesServed = 0;
    for (const gw of [stack.gatewayUrl, secondUrl]) {
      await waitFor(
        async () => {
          const probe = await fetch(`${gw}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              model: 'gpt-4o-mini',
              messages: [{ role: 'user', content: 'x' }],
              user: customer,
              max_tokens: 1_000_000,
            }),
          });
          if (probe.status === 200) probesServed++;
          return probe.status === 402;
        },
        { timeoutMs: 3000, intervalMs: 100, what: `${gw} to know the end user` },
      );
    }
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => asCustomer(i % 2 ? a.key : b.key, i)));
    const ok = outcomes.filter((o) => o.status === 200).length;
    const probeSpend = BigInt(probesServed) * (150n + 5n * 600n);
    expect(ok).toBeGreaterThanOrEqual(Number((budget - probeSpend) / RESERVED));
    expect(BigInt(ok) * REAL + probeSpend).toBeLessThanOrEqual(budget);
    expect(outcomes.find((o) => o.status === 402)?.body?.error?.message).toMatch(
      new RegExp(`end user ${customer} has spent`),
    );
    // Another end user (or none) on the same keys is not limited by it.
    expect((await ask(client(a.key))).status).toBe(200);
    const info = await fetch(`${stack.adminUrl}/customer/info?end_user_id=${customer}`, {
      headers: { authorization: `Bearer ${stack.masterKey}` },
    });
    expect(info.status).toBe(200);
    await waitFor(
      async () => {
        const j = (await (
          await fetch(`${stack.adminUrl}/v1/end-users/${customer}`, {
            headers: { authorization: `Bearer ${stack.masterKey}` },
          })
        ).json()) as { spend_nanos: string };
        return BigInt(j.spend_nanos) === BigInt(ok) * REAL + probeSpend;
      },
      { timeoutMs: 20_000, what: "the end user's spend to be recorded" },
    );
    expect((await adminPost(stack, '/customer/block', { user_ids: [customer] })).status).toBe(200);
    await waitFor(async () => (await asCustomer(a.key, 1)).status === 403, {
      timeoutMs: 3000,
      intervalMs: 50,
      what: 'the blocked end user to be refused',
    });
  });

  // Last: it leaves this address throttled on the first gateway for a minute.
  it('throttles failed authentication per address before Postgres, and keeps cached keys working', async () => {
    const { key } = await newKey(stack, {}, null);
    expect((await ask(client(key))).status).toBe(200);
    const random = () => `sk-sy-${Math.random().toString(36).slice(2).padEnd(40, 'x')}`;
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await ask(client(random()))).status);
    expect(statuses.slice(0, 40).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(40).every((s) => s === 429)).toBe(true);
    const throttled = await fetch(`${stack.gatewayUrl}/v1/models`, {
      headers: { authorization: `Bearer ${random()}` },
    });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await throttled.json()) as { error: ErrorBody }).error.message).toMatch(/Too many failed authentication/);
    // A key the gateway already holds costs no query: it keeps working from the throttled address.
    expect((await ask(client(key))).status).toBe(200);
    // The count is per instance: the other gateway still looks keys up.
    expect((await ask(client(random(), secondUrl))).status).toBe(401);
  });
});

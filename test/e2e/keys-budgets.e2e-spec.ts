import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminPost,
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

type ErrorBody = { type?: string; code?: string; message?: string; param?: string | null };
type Outcome = { status: number; body?: { error?: ErrorBody } };

async function ask(client: OpenAI, model = 'gpt-4o-mini', user?: string): Promise<Outcome> {
  try {
    await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: MAX_TOKENS,
      ...(user !== undefined && { user }),
    });
    return { status: 200 };
  } catch (e) {
    if (e instanceof APIError) return { status: e.status ?? 0, body: { error: e.error as ErrorBody } };
    throw e;
  }
}

async function query<T>(stack: Stack, sql: string, params: unknown[]): Promise<T[]> {
  const pg = new PgClient({ connectionString: stack.databaseUrl });
  await pg.connect();
  try {
    return (await pg.query(sql, params)).rows as T[];
  } finally {
    await pg.end();
  }
}

async function admin<T = Record<string, unknown>>(
  stack: Stack,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const res = await fetch(`${stack.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as T };
}

/**
 * Key rotation, per-model budgets, reusable budgets and budget periods, through the real services with two
 * gateway instances: what one admin call changes holds on every instance.
 */
describe('keys and budgets through the real services', () => {
  let stack: Stack;
  let upstream: FakeUpstream;
  let second: ChildProcess;
  let secondUrl: string;

  beforeAll(async () => {
    upstream = await startFakeOpenAI();
    stack = await startStack({
      env: { FAKE_UPSTREAM_KEY: 'sk-upstream-secret-keys2' },
      configYaml: `
model_list:
  - model_name: gpt-4o-mini
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
  - model_name: other
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
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
  });

  const client = (apiKey: string, baseURL = stack.gatewayUrl) =>
    new OpenAI({ apiKey, baseURL: `${baseURL}/v1`, maxRetries: 0, timeout: 30_000 });
  const gateways = () => [stack.gatewayUrl, secondUrl];

  it('regenerates a key: the new secret works at once, the old one during grace_period, then nowhere within a second', async () => {
    const { id, key: old } = await newKey(stack, { key_alias: 'rotating', max_budget: 5 }, null);
    for (const gw of gateways()) expect((await ask(client(old, gw))).status).toBe(200);

    const r = await adminPost<Record<string, unknown>>(stack, `/key/${old}/regenerate`, {
      grace_period: '4s',
      max_budget: 7,
    });
    expect(r.status).toBe(200);
    const fresh = r.json['key'] as string;
    expect(fresh).toMatch(/^sk-sy-/);
    expect(fresh).not.toBe(old);
    expect(r.json).toMatchObject({ id, token_id: id, key_alias: 'rotating', max_budget: 7 });
    const validUntil = Date.parse(r.json['previous_key_valid_until'] as string);
    expect(validUntil).toBeGreaterThan(Date.now());
    // The new secret is stored as its HMAC: neither it nor the old one is in the table.
    const [row] = await query<{ key_hash: string }>(stack, 'SELECT key_hash FROM api_keys WHERE id = $1', [id]);
    expect(row!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(r.json)).not.toContain(row!.key_hash);

    // Both secrets work on both instances during the grace period.
    for (const gw of gateways()) {
      expect((await ask(client(fresh, gw))).status).toBe(200);
      expect((await ask(client(old, gw))).status).toBe(200);
    }
    // Past it, the old secret is refused on every instance within a second; the new one keeps working.
    await new Promise((res) => setTimeout(res, Math.max(0, validUntil - Date.now())));
    for (const gw of gateways()) {
      await waitFor(async () => (await ask(client(old, gw))).status === 401, {
        timeoutMs: Math.max(1, validUntil + 1000 - Date.now()),
        intervalMs: 20,
        what: `${gw} to refuse the old secret`,
      });
    }
    expect(Date.now() - validUntil).toBeLessThan(1000);
    const refused = await ask(client(old, secondUrl));
    expect(refused.body?.error?.message).toMatch(/regenerated and its grace period ended/);
    expect(refused.body?.error?.message).not.toContain(old);
    for (const gw of gateways()) expect((await ask(client(fresh, gw))).status).toBe(200);

    // The audit log names the rotation by display prefixes only.
    const audit = await query<{ details: unknown }>(
      stack,
      "SELECT details FROM audit_log WHERE action = 'key.regenerated' AND entity_id = $1",
      [id],
    );
    expect(audit).toHaveLength(1);
    const text = JSON.stringify(audit[0]!.details);
    expect(text).toContain('grace_period_seconds');
    expect(text).not.toContain(old);
    expect(text).not.toContain(fresh);
    expect(text).not.toContain(row!.key_hash);
  });

  it('regenerates without grace_period: the old secret is refused on every instance within a second', async () => {
    const { id, key: old } = await newKey(stack, {}, null);
    for (const gw of gateways()) expect((await ask(client(old, gw))).status).toBe(200);
    const at = Date.now();
    const r = await adminPost<{ key: string; previous_key_valid_until: string | null }>(
      stack,
      `/v1/keys/${id}/regenerate`,
      {},
    );
    expect(r.status).toBe(200);
    expect(r.json.previous_key_valid_until).toBeNull();
    for (const gw of gateways()) {
      await waitFor(async () => (await ask(client(old, gw))).status === 401, {
        timeoutMs: Math.max(1, 1000 - (Date.now() - at)),
        intervalMs: 10,
        what: `${gw} to refuse the old secret`,
      });
      expect((await ask(client(r.json.key, gw))).status).toBe(200);
    }
    expect(Date.now() - at).toBeLessThan(1000);
    // LiteLLM's body form, and the 400s.
    const again = await adminPost<{ key: string }>(stack, '/key/regenerate', { key: id, grace_period: '24h' });
    expect(again.status).toBe(200);
    const bad = await adminPost<{ error: ErrorBody }>(stack, '/key/regenerate', { key: id, grace_period: '1 week' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ type: 'invalid_request_error', param: 'grace_period' });
    const chosen = await adminPost<{ error: ErrorBody }>(stack, '/key/regenerate', { key: id, new_key: 'sk-mine' });
    expect(chosen.status).toBe(400);
    expect(chosen.json.error.param).toBe('new_key');
    const revoked = await newKey(stack, {}, null);
    expect((await admin(stack, 'DELETE', `/v1/keys/${revoked.id}`)).status).toBe(200);
    expect((await adminPost(stack, `/v1/keys/${revoked.id}/regenerate`, {})).status).toBe(400);
  });

  it('validates model_max_budget with clear 400s', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ 'gpt-4o-mini': { budget_limit: 1 } }, 'model_max_budget.gpt-4o-mini.time_period', /time_period/],
      [{ 'gpt-4o-mini': { budget_limit: -1, time_period: '1d' } }, 'model_max_budget.gpt-4o-mini.budget_limit', /≥ 0/],
      [
        { 'gpt-4o-mini': { budget_limit: '1.5x', time_period: '1d' } },
        'model_max_budget.gpt-4o-mini.budget_limit',
        /decimal/,
      ],
      [
        { 'gpt-4o-mini': { budget_limit: 1, time_period: '1 day' } },
        'model_max_budget.gpt-4o-mini.time_period',
        /unit/,
      ],
      [
        { 'gpt-4o-mini': { budget_limit: 1, time_period: '1d', rpm_limit: 5 } },
        'model_max_budget.gpt-4o-mini.rpm_limit',
        /Unknown field/,
      ],
    ];
    for (const [model_max_budget, param, message] of cases) {
      const r = await adminPost<{ error: ErrorBody }>(stack, '/v1/keys', { model_max_budget });
      expect(r.status, JSON.stringify(model_max_budget)).toBe(400);
      expect(r.json.error.param).toBe(param);
      expect(r.json.error.message).toMatch(message);
    }
  });

  it('model_max_budget holds under concurrency for its model only, and answers 402 naming key, model, spend, limit and reset', async () => {
    const limit = 3n * RESERVED;
    const { id, key } = await newKey(
      stack,
      {
        key_alias: 'per-model',
        model_max_budget: { 'gpt-4o-mini': { budget_limit: String(Number(limit) / 1e9), time_period: '1d' } },
      },
      null,
    );
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ask(client(key, i % 2 ? secondUrl : stack.gatewayUrl))),
    );
    const ok = outcomes.filter((o) => o.status === 200).length;
    const refused = outcomes.filter((o) => o.status === 402);
    expect(ok + refused.length).toBe(20);
    expect(ok).toBeGreaterThanOrEqual(3);
    expect(ok).toBeLessThanOrEqual(Number(limit / REAL));
    const error = refused[0]!.body!.error!;
    expect(error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' });
    expect(error.message).toMatch(
      new RegExp(
        `key "per-model" \\(${id}\\) for model "gpt-4o-mini" has spent \\$.* of its model_max_budget \\$0\\.00002925`,
      ),
    );
    expect(error.message).toMatch(/It resets at \d{4}-\d\d-\d\dT.* \(budget_duration 1d\)/);
    // Another model on the same key is not limited by it.
    expect((await ask(client(key), 'other')).status).toBe(200);
    // Spend charges the model's budget with what the requests cost, never past the limit.
    const spent = await waitFor(
      async () => {
        const [r] = await query<{ spend_nanos: string }>(
          stack,
          'SELECT spend_nanos FROM key_model_budgets WHERE key_id = $1',
          [id],
        );
        return r && BigInt(r.spend_nanos) === BigInt(ok) * REAL ? BigInt(r.spend_nanos) : undefined;
      },
      { timeoutMs: 20_000, what: 'the per-model spend to be recorded' },
    );
    expect(spent).toBeLessThanOrEqual(limit);
    const info = await admin<{ model_max_budget: Record<string, { spend_nanos: string; budget_limit: number }> }>(
      stack,
      'GET',
      `/v1/keys/${id}`,
    );
    expect(info.json.model_max_budget['gpt-4o-mini']).toMatchObject({
      spend_nanos: spent.toString(),
      budget_limit: 2.925e-5,
    });
    // Raising it applies on every instance within a second.
    const patched = await admin(stack, 'PATCH', `/v1/keys/${id}`, {
      model_max_budget: { 'gpt-4o-mini': { budget_limit: 1, time_period: '1d' } },
    });
    expect(patched.status).toBe(200);
    for (const gw of gateways())
      await waitFor(async () => (await ask(client(key, gw))).status === 200, {
        timeoutMs: 1000,
        intervalMs: 20,
        what: 'the raised model budget to apply',
      });
  });

  it('a budget reset by BullMQ lets the key spend again: max_budget and model_max_budget with a 30s period', async () => {
    const usd = Number(2n * RESERVED) / 1e9;
    const a = await newKey(stack, { max_budget: usd, budget_duration: '30s' }, null);
    const b = await newKey(stack, { model_max_budget: { other: { budget_limit: usd, time_period: '30s' } } }, null);
    const spendUntilRefused = async (key: string, model: string) => {
      let last: Outcome;
      let n = 0;
      while ((last = await ask(client(key), model)).status === 200 && n < 10) n++;
      expect(last.status).toBe(402);
      return last.body!.error!.message!;
    };
    expect(await spendUntilRefused(a.key, 'gpt-4o-mini')).toMatch(/of its max_budget .* \(budget_duration 30s\)/);
    expect(await spendUntilRefused(b.key, 'other')).toMatch(
      /for model "other" .* model_max_budget .*budget_duration 30s/,
    );
    const row = async (sql: string, id: string) =>
      (await query<{ spend_nanos: string; budget_reset_at: Date }>(stack, sql, [id]))[0]!;
    const KEY = 'SELECT spend_nanos, budget_reset_at FROM api_keys WHERE id = $1';
    const MODEL = 'SELECT spend_nanos, budget_reset_at FROM key_model_budgets WHERE key_id = $1';
    // Spend is recorded (settled) before the period ends, so the reset has something to undo.
    await waitFor(async () => BigInt((await row(KEY, a.id)).spend_nanos) > 0n, {
      timeoutMs: 20_000,
      what: 'key spend',
    });
    await waitFor(async () => BigInt((await row(MODEL, b.id)).spend_nanos) > 0n, {
      timeoutMs: 20_000,
      what: 'model spend',
    });
    const [periodA, periodB] = [(await row(KEY, a.id)).budget_reset_at, (await row(MODEL, b.id)).budget_reset_at];
    // The sweep (every minute) schedules each period's reset job at its end; the job zeroes Postgres and Redis.
    const reset = (sql: string, id: string, period: Date) => async () => {
      const r = await row(sql, id);
      return r.budget_reset_at.getTime() > period.getTime() && r.spend_nanos === '0';
    };
    await waitFor(reset(KEY, a.id, periodA), { timeoutMs: 100_000, intervalMs: 500, what: 'the key budget reset' });
    await waitFor(reset(MODEL, b.id, periodB), { timeoutMs: 100_000, intervalMs: 500, what: 'the model budget reset' });
    // Without any admin change, on both instances, the keys spend again.
    for (const gw of gateways()) {
      expect((await ask(client(a.key, gw))).status).toBe(200);
      expect((await ask(client(b.key, gw), 'other')).status).toBe(200);
    }
  }, 240_000);

  it('GET /key/list pages and filters keys as LiteLLM does, never with secrets or hashes', async () => {
    const team = await adminPost<{ id: string }>(stack, '/v1/teams', { team_alias: 'listed' });
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await newKey(stack, { team_id: team.json.id, key_alias: `list-${i}` }));
    const get = async (q: string) => {
      const res = await fetch(`${stack.adminUrl}/key/list?${q}`, {
        headers: { authorization: `Bearer ${stack.masterKey}` },
      });
      return { status: res.status, text: await res.text() };
    };
    const page1 = await get(`team_id=${team.json.id}&size=2&page=1`);
    expect(page1.status).toBe(200);
    const p1 = JSON.parse(page1.text) as {
      keys: string[];
      total_count: number;
      current_page: number;
      total_pages: number;
    };
    expect(p1).toMatchObject({ total_count: 5, current_page: 1, total_pages: 3 });
    expect(p1.keys).toHaveLength(2);
    const p3 = JSON.parse((await get(`team_id=${team.json.id}&size=2&page=3`)).text) as { keys: string[] };
    expect(p3.keys).toHaveLength(1);
    // Newest first: the last key made is on page 1, the first on page 3.
    expect(p1.keys[0]).toBe(made[4]!.id);
    expect(p3.keys[0]).toBe(made[0]!.id);
    const full = await get(`key_alias=list-2&return_full_object=true`);
    const f = JSON.parse(full.text) as { keys: { id: string; key_alias: string; key_name: string }[] };
    expect(f.keys).toHaveLength(1);
    expect(f.keys[0]).toMatchObject({ id: made[2]!.id, key_alias: 'list-2' });
    const hashes = await query<{ key_hash: string }>(stack, 'SELECT key_hash FROM api_keys WHERE team_id = $1', [
      team.json.id,
    ]);
    for (const t of [page1.text, full.text]) {
      for (const m of made) expect(t).not.toContain(m.key);
      for (const h of hashes) expect(t).not.toContain(h.key_hash);
    }
    expect((await get('size=0')).status).toBe(400);
    expect((await get('size=101')).status).toBe(400);
    expect((await get('sort_by=spend')).status).toBe(400);
  });

  it('reusable budgets: /budget/new, linked by /customer/new budget_id, changes follow, delete refused while linked', async () => {
    const limit = 2n * RESERVED;
    const created = await adminPost<Record<string, unknown>>(stack, '/budget/new', {
      budget_id: 'tier-free',
      max_budget: Number(limit) / 1e9,
      rpm_limit: 100,
    });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ budget_id: 'tier-free', max_budget_nanos: limit.toString(), rpm_limit: 100 });
    expect((await adminPost(stack, '/budget/new', { budget_id: 'tier-free' })).status).toBe(400);
    expect((await adminPost(stack, '/budget/new', { budget_id: 'x', model_max_budget: {} })).status).toBe(400);

    const both = await adminPost<{ error: ErrorBody }>(stack, '/customer/new', {
      user_id: 'cust-1',
      budget_id: 'tier-free',
      max_budget: 5,
    });
    expect(both.status).toBe(400);
    expect(both.json.error.param).toBe('max_budget');
    const missing = await adminPost<{ error: ErrorBody }>(stack, '/customer/new', {
      user_id: 'cust-1',
      budget_id: 'nope',
    });
    expect(missing.status).toBe(404);
    const linked = await adminPost<Record<string, unknown>>(stack, '/customer/new', {
      user_id: 'cust-1',
      budget_id: 'tier-free',
    });
    expect(linked.status).toBe(200);
    expect(linked.json).toMatchObject({
      user_id: 'cust-1',
      budget_id: 'tier-free',
      max_budget_nanos: limit.toString(),
    });

    // The end user's requests (any key) are held to the budget's limit.
    const { key } = await newKey(stack, {}, null);
    const refusal = await waitFor(
      async () => {
        const o = await ask(client(key), 'gpt-4o-mini', 'cust-1');
        return o.status === 402 ? o.body!.error!.message : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'the linked budget to refuse the end user' },
    );
    expect(refusal).toMatch(/end user cust-1 has spent .* of its max_budget \$0\.0000195/);
    // Raising the budget raises it for its end users (the gateways reload them within a second).
    const raised = await adminPost(stack, '/budget/update', { budget_id: 'tier-free', max_budget: 1 });
    expect(raised.status).toBe(200);
    await waitFor(async () => (await ask(client(key, secondUrl), 'gpt-4o-mini', 'cust-1')).status === 200, {
      timeoutMs: 3_000,
      intervalMs: 50,
      what: 'the raised budget to apply to the end user',
    });
    const info = await adminPost<{ budget_id: string; max_budget: number }[]>(stack, '/budget/info', {
      budgets: ['tier-free', 'unknown'],
    });
    expect(info.json).toEqual([expect.objectContaining({ budget_id: 'tier-free', max_budget: 1 })]);
    const list = await admin<{ budget_id: string }[]>(stack, 'GET', '/budget/list');
    expect(list.json.map((b) => b.budget_id)).toContain('tier-free');
    const del = await adminPost<{ error: ErrorBody }>(stack, '/budget/delete', { id: 'tier-free' });
    expect(del.status).toBe(400);
    expect(del.json.error.code).toBe('budget_in_use');
    expect((await adminPost(stack, '/customer/update', { user_id: 'cust-1', budget_id: null })).status).toBe(200);
    expect((await adminPost(stack, '/budget/delete', { id: 'tier-free' })).status).toBe(200);
    expect((await admin(stack, 'GET', '/v1/budgets/tier-free')).status).toBe(404);
    const audit = await query<{ action: string }>(
      stack,
      "SELECT action FROM audit_log WHERE entity = 'budget' AND entity_id = 'tier-free' ORDER BY at",
      [],
    );
    expect(audit.map((a) => a.action)).toEqual(['budget.created', 'budget.updated', 'budget.deleted']);
  });

  it('self-service limit_remaining is the smallest remainder of every budget over the key', async () => {
    const team = await adminPost<{ id: string }>(stack, '/v1/teams', { team_alias: 'tight', max_budget: 0.25 });
    const { key } = await newKey(stack, { team_id: team.json.id, max_budget: 1 });
    for (const gw of gateways()) {
      const res = await fetch(`${gw}/v1/key`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as { data: Record<string, unknown> };
      expect(data).toMatchObject({ limit: 1, limit_remaining: 0.25, limit_remaining_of: `team ${team.json.id}` });
    }
    const res = await fetch(`${stack.gatewayUrl}/key/info`, { headers: { authorization: `Bearer ${key}` } });
    const { info } = (await res.json()) as { info: Record<string, unknown> };
    expect(info).toMatchObject({ max_budget: 1, remaining_budget: 0.25, remaining_budget_of: `team ${team.json.id}` });
  });
});

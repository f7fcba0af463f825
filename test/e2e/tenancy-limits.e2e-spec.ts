import { Client as PgClient } from 'pg';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPost, startFakeOpenAI, startStack, waitFor, type FakeUpstream, type Stack } from '@switchyard/testing';

/** 100 characters: 25 prompt tokens for the gateway's estimate and for the fake upstream. */
const PROMPT = 'x'.repeat(100);
const MAX_TOKENS = 10;
// gpt-4o-mini: 150 nano-USD per input token, 600 per output token. The fake answers 5 completion tokens.
const RESERVED = 25n * 150n + BigInt(MAX_TOKENS) * 600n; // 9,750
const REAL = 25n * 150n + 5n * 600n; // 6,750

type Outcome = { status: number; message?: string };

/**
 * Budgets and limits set on users and organisations through the admin API are enforced by the gateway, across all
 * the keys under them, and a change reaches the gateway at once.
 */
describe('user and organisation limits through the real services', () => {
  let stack: Stack;
  let upstream: FakeUpstream;

  beforeAll(async () => {
    upstream = await startFakeOpenAI();
    stack = await startStack({
      env: { FAKE_UPSTREAM_KEY: 'sk-upstream-secret-tenancy' },
      configYaml: `
model_list:
  - model_name: gpt-4o-mini
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
`,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  const created = async <T = Record<string, string>>(path: string, body: unknown, status = 201): Promise<T> => {
    const r = await adminPost<T>(stack, path, body);
    expect(r.status, JSON.stringify(r.json)).toBe(status);
    return r.json;
  };
  const ask = async (key: string): Promise<Outcome> => {
    const client = new OpenAI({ apiKey: key, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0, timeout: 30_000 });
    try {
      await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: PROMPT }],
        max_tokens: MAX_TOKENS,
      });
      return { status: 200 };
    } catch (e) {
      if (e instanceof APIError) return { status: e.status ?? 0, message: (e.error as { message?: string })?.message };
      throw e;
    }
  };
  const spendOf = async (table: 'organizations' | 'users', id: string): Promise<bigint> => {
    const pg = new PgClient({ connectionString: stack.databaseUrl });
    await pg.connect();
    try {
      const r = await pg.query<{ spend_nanos: string }>(`SELECT spend_nanos FROM ${table} WHERE id = $1`, [id]);
      return BigInt(r.rows[0]!.spend_nanos);
    } finally {
      await pg.end();
    }
  };

  it('an organisation budget holds across the keys of its teams and users', async () => {
    const budget = 12n * RESERVED;
    const org = await created<{ id: string; max_budget_nanos: string }>('/v1/organizations', {
      organization_alias: 'acme',
      max_budget: Number(budget) / 1e9,
    });
    expect(org.max_budget_nanos).toBe(String(budget));
    const teams = await Promise.all(
      ['red', 'blue'].map((a) => created<{ id: string }>('/v1/teams', { team_alias: a, organization_id: org.id })),
    );
    const user = await created<{ user_id: string }>('/v1/users', { user_id: 'ann', organization_id: org.id });
    const keys = await Promise.all([
      created<{ key: string }>('/v1/keys', { team_id: teams[0]!.id }),
      created<{ key: string }>('/v1/keys', { team_id: teams[1]!.id }),
      // A user's key without a team is charged to the user's organisation.
      created<{ key: string }>('/v1/keys', { user_id: user.user_id }),
    ]);
    const outcomes = await Promise.all(Array.from({ length: 45 }, (_, i) => ask(keys[i % 3]!.key)));
    const ok = outcomes.filter((o) => o.status === 200).length;
    expect(ok).toBeGreaterThanOrEqual(12);
    expect(ok).toBeLessThanOrEqual(Number(budget / REAL));
    const refused = outcomes.filter((o) => o.status === 402);
    expect(refused.length).toBe(45 - ok);
    expect(refused[0]!.message).toMatch(new RegExp(`organization ${org.id} has spent`));
    const spent = await waitFor(
      async () => {
        const s = await spendOf('organizations', org.id);
        return s === BigInt(ok) * REAL ? s : undefined;
      },
      { timeoutMs: 20_000, what: "the organisation's requests to be billed" },
    );
    expect(spent).toBeLessThanOrEqual(budget);

    // Raising the organisation's budget reaches the gateway at once: the same keys work again.
    const raised = await fetch(`${stack.adminUrl}/v1/organizations/${org.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ max_budget: (Number(budget) * 10) / 1e9 }),
    });
    expect(raised.status).toBe(200);
    await waitFor(async () => (await ask(keys[0]!.key)).status === 200, {
      timeoutMs: 2000,
      intervalMs: 50,
      what: 'the raised organisation budget to apply',
    });
  });

  it("a user's rpm_limit holds across all of the user's keys, and a change applies at once", async () => {
    const user = await created<{ user_id: string; rpm_limit: number }>('/v1/users', {
      user_id: 'bob@example.com',
      rpm_limit: 5,
    });
    expect(user.rpm_limit).toBe(5);
    const team = await created<{ id: string }>('/v1/teams', { team_alias: 'bobs' });
    const keys = await Promise.all([
      created<{ key: string }>('/v1/keys', { user_id: user.user_id }),
      created<{ key: string }>('/v1/keys', { user_id: user.user_id, team_id: team.id }),
    ]);
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => ask(keys[i % 2]!.key)));
    expect(outcomes.filter((o) => o.status === 200)).toHaveLength(5);
    const refused = outcomes.filter((o) => o.status === 429);
    expect(refused).toHaveLength(7);
    expect(refused[0]!.message).toMatch(/user bob@example\.com allows 5 requests per minute \(rpm_limit\)/);

    // Another user's keys are not limited by it.
    const other = await created<{ user_id: string }>('/v1/users', { user_id: 'carol' });
    expect((await ask((await created<{ key: string }>('/v1/keys', { user_id: other.user_id })).key)).status).toBe(200);

    const res = await fetch(`${stack.adminUrl}/user/update`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: user.user_id, rpm_limit: 8 }),
    });
    expect(res.status).toBe(200);
    // The user, organisation and member routes answer on the gateway's port too, with the same roles.
    const viaGateway = await fetch(`${stack.gatewayUrl}/user/info`, {
      headers: { authorization: `Bearer ${keys[0]!.key}` },
    });
    expect(viaGateway.status).toBe(200);
    expect(((await viaGateway.json()) as { user_id: string }).user_id).toBe(user.user_id);
    const notAllowed = await fetch(`${stack.gatewayUrl}/v1/organizations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys[0]!.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ organization_alias: 'nope' }),
    });
    expect(notAllowed.status).toBe(403);
    await waitFor(async () => (await ask(keys[1]!.key)).status === 200, {
      timeoutMs: 2000,
      intervalMs: 50,
      what: "the user's raised rpm_limit to apply",
    });
  });
});

import OpenAI from 'openai';
import { Client as PgClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthReport } from '@switchyard/contracts';
import { startStack, waitFor, type Stack } from '@switchyard/testing';

/**
 * Liveness and readiness through the running services, with the stack's real Postgres made unreachable:
 * its database stops accepting connections and every open one is terminated, as in a failover or restart.
 */
describe('health under a Postgres outage', () => {
  let stack: Stack;
  let database: string;

  beforeAll(async () => {
    stack = await startStack({
      services: ['gateway', 'router', 'translator', 'admin'],
      configYaml: `
model_list:
  - model_name: demo
    litellm_params: { model: fake/gpt-4o }
`,
    });
    database = new URL(stack.databaseUrl).pathname.slice(1);
  });

  afterAll(async () => {
    if (stack) await setPostgres('up').catch(() => undefined);
    await stack?.stop();
  });

  /** Opens or closes the stack's database to every client but this one's maintenance connection. */
  async function setPostgres(state: 'up' | 'down'): Promise<void> {
    const url = new URL(stack.databaseUrl);
    url.pathname = '/postgres';
    const pg = new PgClient({ connectionString: url.toString() });
    await pg.connect();
    try {
      // The name is the stack's own (sy_test_[a-z0-9]+), safe to quote.
      await pg.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS ${state === 'up'}`);
      if (state === 'down') {
        await pg.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database]);
      }
    } finally {
      await pg.end();
    }
  }

  async function probe(base: string, path: string): Promise<{ status: number; body: HealthReport }> {
    const r = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000) });
    return { status: r.status, body: (await r.json()) as HealthReport };
  }

  /** Polls a readiness endpoint until it reports `status`, and returns that answer. */
  function readinessBecomes(base: string, status: HealthReport['status']) {
    return waitFor(
      async () => {
        const r = await probe(base, '/health/readiness');
        return r.body.status === status ? r : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: `${base}/health/readiness to report ${status}` },
    );
  }

  async function admin(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: { id: string; key: string } }> {
    const r = await fetch(`${stack.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, json: (await r.json()) as { id: string; key: string } };
  }

  const chat = (key: string) =>
    new OpenAI({ apiKey: key, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 }).chat.completions.create({
      model: 'demo',
      messages: [{ role: 'user', content: 'hi' }],
    });
  const statusOf = (p: Promise<unknown>) =>
    p.then(
      () => 200,
      (e: { status?: number }) => e.status ?? 0,
    );

  it('keeps a gateway with cached keys ready (degraded) while Postgres is down, and the admin not ready', async () => {
    const team = await admin('POST', '/v1/teams', { team_alias: 'health' });
    expect(team.status).toBe(201);
    const created = await admin('POST', '/v1/keys', { team_id: team.json.id });
    expect(created.status).toBe(201);
    const key = created.json.key as string;

    const healthy = await probe(stack.gatewayUrl, '/health/readiness');
    expect(healthy).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(healthy.body.checks).toMatchObject({ nats: { status: 'up' }, postgres: { status: 'up' } });
    expect(await probe(stack.adminUrl, '/health/readiness')).toMatchObject({ status: 200, body: { status: 'ok' } });

    // Postgres down before the gateway has seen any key: nothing to serve, so not ready.
    await setPostgres('down');
    const empty = await readinessBecomes(stack.gatewayUrl, 'unavailable');
    expect(empty.status).toBe(503);
    expect(empty.body.checks.postgres.status).toBe('down');
    expect(empty.body.checks.nats.status).toBe('up');
    expect(empty.body.checks.keyCache.detail).toMatch(/^0 key/);
    expect((await probe(stack.gatewayUrl, '/health')).status).toBe(503);
    expect(await probe(stack.gatewayUrl, '/health/liveness')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const adminDown = await readinessBecomes(stack.adminUrl, 'unavailable');
    expect(adminDown.status).toBe(503);
    expect(adminDown.body.checks.postgres.status).toBe('down');
    expect(await probe(stack.adminUrl, '/health/liveness')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await statusOf(chat(key))).toBe(503);

    // Back up: the key is used once and cached.
    await setPostgres('up');
    await readinessBecomes(stack.gatewayUrl, 'ok');
    await readinessBecomes(stack.adminUrl, 'ok');
    expect(await statusOf(chat(key))).toBe(200);

    // The blip: Postgres goes away again, and the gateway keeps serving the key it holds.
    await setPostgres('down');
    const degraded = await readinessBecomes(stack.gatewayUrl, 'degraded');
    expect(degraded.status).toBe(200);
    expect(degraded.body.checks.postgres.status).toBe('down');
    expect(degraded.body.checks.keyCache.detail).toMatch(/^1 key/);
    expect((await probe(stack.gatewayUrl, '/health')).status).toBe(200);
    expect(await statusOf(chat(key))).toBe(200);
    // A key it has not seen cannot be checked: refused as unavailable, not as invalid.
    expect(await statusOf(chat(`sk-${'0'.repeat(40)}`))).toBe(503);
    expect((await readinessBecomes(stack.adminUrl, 'unavailable')).status).toBe(503);

    await setPostgres('up');
    expect((await readinessBecomes(stack.gatewayUrl, 'ok')).status).toBe(200);
    expect((await readinessBecomes(stack.adminUrl, 'ok')).status).toBe(200);
  });
});

import IORedis from 'ioredis';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsClient } from '@switchyard/analytics';
import { type FakeUpstream, type Stack, startFakeOpenAI, startStack, waitFor } from '@switchyard/testing';

const COOLDOWN_S = 2;

/**
 * Retries, cooldowns and fallbacks through the five services, with two router instances sharing deployment state
 * through Redis, against fake upstreams that fail on command (one fake per deployment, so each one's traffic is
 * counted on its own).
 */
describe('routing end to end', () => {
  const fakes: Record<string, FakeUpstream> = {};
  let stack: Stack;
  let openai: OpenAI;

  beforeAll(async () => {
    for (const name of [
      'halfA',
      'halfB',
      'pairA',
      'pairB',
      'solo',
      'coolA',
      'coolB',
      'sharedA',
      'sharedB',
      'small',
      'large',
      'a',
      'b',
    ])
      fakes[name] = await startFakeOpenAI();
    const entry = (group: string, id: string, model = 'fake-gpt') =>
      `  - model_name: ${group}
    litellm_params: { model: openai/${model}, api_base: ${fakes[id]!.url}, api_key: sk-fake }
    model_info: { id: ${id} }`;
    stack = await startStack({
      routers: 2,
      configYaml: `
model_list:
${entry('half', 'halfA')}
${entry('half', 'halfB')}
${entry('pair', 'pairA')}
${entry('pair', 'pairB')}
${entry('solo', 'solo')}
${entry('cool', 'coolA')}
${entry('cool', 'coolB')}
${entry('shared', 'sharedA')}
${entry('shared', 'sharedB')}
${entry('small', 'small', 'fake-context-window')}
${entry('large', 'large')}
${entry('a', 'a', 'fake-500')}
${entry('b', 'b')}
router_settings:
  num_retries: 2
  allowed_fails: 1
  cooldown_time: ${COOLDOWN_S}
  context_window_fallbacks: [{ small: [large] }]
`,
    });
    openai = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all(Object.values(fakes).map((f) => f.close()));
  });

  const ask = (model: string, extra: Record<string, unknown> = {}) =>
    openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], ...extra } as never);

  it('serves all of 200 requests when one of two deployments fails every request', async () => {
    fakes.pairB!.failNext(Infinity, { status: 500 });
    const statuses: number[] = [];
    const queue = Array.from({ length: 200 }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (queue.shift() !== undefined) {
          const r = await ask('pair').then(
            () => 200,
            (e: { status?: number }) => e.status ?? 0,
          );
          statuses.push(r);
        }
      }),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(200);
    expect(fakes.pairA!.requests).toBe(200);
    // The failing deployment was tried, then cooled down: far fewer than its share of 200.
    expect(fakes.pairB!.requests).toBeGreaterThan(0);
    expect(fakes.pairB!.requests).toBeLessThan(60);
    fakes.pairB!.failNext(0);
  });

  it('serves at least 99.9% of 500 requests when one of two deployments fails half its requests, and cools it down', async () => {
    fakes.halfB!.failNext(Infinity, { status: 500, every: 2 });
    let ok = 0;
    const queue = Array.from({ length: 500 }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (queue.shift() !== undefined)
          await ask('half').then(
            () => ok++,
            () => undefined,
          );
      }),
    );
    expect(ok).toBeGreaterThanOrEqual(500 * 0.999);
    // Cooled down after its failures: it got far less than its half of the traffic.
    expect(fakes.halfB!.requests).toBeGreaterThan(0);
    expect(fakes.halfB!.requests).toBeLessThan(150);
    fakes.halfB!.failNext(0);
  });

  it('retries a 429 with retry-after: 1 after one second, not before', async () => {
    fakes.solo!.failNext(1, { status: 429, retryAfter: 1 });
    const started = Date.now();
    const answer = await ask('solo');
    expect(answer.choices[0]?.message.content).toBeTruthy();
    const [first, second] = fakes.solo!.requestTimes;
    expect(fakes.solo!.requests).toBe(2);
    expect(second! - first!).toBeGreaterThanOrEqual(1000);
    expect(second! - first!).toBeLessThan(2500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('sends a deployment in cooldown no request during cooldown_time, then uses it again', async () => {
    fakes.coolA!.failNext(1, { status: 401 });
    // The pick is random: ask until the failing deployment has been tried (its 401 is retried on the other one).
    await waitFor(async () => (await ask('cool'), fakes.coolA!.requests === 1), { timeoutMs: 10_000, intervalMs: 1 });
    const failedAt = fakes.coolA!.requestTimes[0]!;
    let during = 0;
    while (Date.now() < failedAt + COOLDOWN_S * 1000 - 150) {
      await ask('cool');
      during++;
    }
    expect(during).toBeGreaterThan(10);
    expect(fakes.coolA!.requests).toBe(1);
    // After the cooldown the deployment takes traffic again.
    while (Date.now() < failedAt + COOLDOWN_S * 1000 + 50) await new Promise((r) => setTimeout(r, 10));
    await waitFor(async () => (await ask('cool'), fakes.coolA!.requests > 1), { timeoutMs: 10_000, intervalMs: 1 });
  });

  it('shares a cooldown between the two router instances through Redis', async () => {
    fakes.sharedA!.failNext(1, { status: 401 });
    await waitFor(async () => (await ask('shared'), fakes.sharedA!.requests === 1), {
      timeoutMs: 10_000,
      intervalMs: 1,
    });
    const redis = new IORedis(stack.env.REDIS_URL!);
    try {
      const until = Number(await waitFor(() => redis.hget(`${stack.redisPrefix}:routing:cooldowns`, 'sharedA')));
      expect(until).toBeGreaterThan(Date.now());
      expect(until).toBeLessThanOrEqual(Date.now() + COOLDOWN_S * 1000);
      // Both routers run and sync their state (each names itself in the set of live routers).
      expect(await waitFor(async () => (await redis.zcard(`${stack.redisPrefix}:routing:routers`)) === 2)).toBe(true);
    } finally {
      redis.disconnect();
    }
    // 40 requests reach both routers (a NATS queue group spreads them); neither sends one to the cooling deployment.
    const failedAt = fakes.sharedA!.requestTimes[0]!;
    for (let i = 0; i < 40 && Date.now() < failedAt + COOLDOWN_S * 1000 - 150; i++) await ask('shared');
    expect(fakes.sharedA!.requests).toBe(1);
    // How many fit in the cooldown depends on the machine's load; enough that both routers took some.
    expect(fakes.sharedB!.requests).toBeGreaterThan(8);
  });

  it('falls back to the larger model group on a context-window error', async () => {
    const answer = await ask('small');
    expect(answer.choices[0]?.message.content).toBeTruthy();
    expect(fakes.small!.requests).toBe(1);
    expect(fakes.large!.requests).toBe(1);
  });

  it('records a fallback, not a retry, as fallback depth on the usage row', async () => {
    const ch = createAnalyticsClient({ url: stack.clickhouse.url });
    try {
      const rows = await waitFor(
        async () => {
          const r = await ch.query({
            query: `SELECT requested_model, deployment_id, fallback_depth FROM ${stack.clickhouse.database}.usage FINAL
                    WHERE requested_model IN ('small', 'solo') ORDER BY requested_model`,
            format: 'JSONEachRow',
          });
          const all = (await r.json()) as { requested_model: string; deployment_id: string; fallback_depth: number }[];
          return all.length === 2 ? all : undefined;
        },
        { timeoutMs: 20_000, what: 'the usage rows of the fallback and the retried request' },
      );
      expect(rows.map((r) => [r.requested_model, r.deployment_id, Number(r.fallback_depth)])).toEqual([
        ['small', 'large', 1],
        ['solo', 'solo', 0],
      ]);
    } finally {
      await ch.close();
    }
  });

  it('serves `models: [a, b]` from b when a fails, streams included (before their first chunk)', async () => {
    const answer = await ask('a', { models: ['a', 'b'] });
    expect(answer.choices[0]?.message.content).toBeTruthy();
    expect(fakes.b!.requests).toBe(1);
    const stream = (await ask('a', { models: ['a', 'b'], stream: true })) as unknown as AsyncIterable<{
      choices: { delta: { content?: string } }[];
    }>;
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from the fake OpenAI');
    expect(fakes.b!.requests).toBe(2);
    expect(fakes.a!.requests).toBeGreaterThanOrEqual(1);
    // Without fallbacks, a's failure reaches the client: its 500, or the 503 of a group cooling down after it.
    const refused = await ask('a', { models: ['a', 'b'], disable_fallbacks: true }).then(
      () => 200,
      (e: { status?: number }) => e.status,
    );
    expect([500, 503]).toContain(refused);
  });
});

import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import IORedis from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { Env, SwitchyardConfig } from '@switchyard/config';
import { waitFor } from '@switchyard/testing';
import { DeploymentState } from './deployment-state.service';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `test-state-${randomBytes(4).toString('hex')}`;
const started: DeploymentState[] = [];

async function state(url = REDIS_URL, allowedFails = 1): Promise<DeploymentState> {
  const env = { REDIS_URL: url, SWITCHYARD_REDIS_PREFIX: prefix } as Env;
  const config = { routerSettings: { cooldowns: { allowedFails, cooldownTimeMs: 5_000 } } } as SwitchyardConfig;
  const s = new DeploymentState(env, config);
  await s.onModuleInit();
  started.push(s);
  return s;
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(started.splice(0).map((s) => s.onApplicationShutdown()));
});

afterAll(async () => {
  const raw = new IORedis(REDIS_URL);
  const keys = await raw.keys(`${prefix}:*`);
  if (keys.length > 0) await raw.del(...keys);
  raw.disconnect();
});

describe('DeploymentState', () => {
  it('shares a cooldown with another router at once (pub/sub) and counts failures across routers', async () => {
    const one = await state();
    const two = await state();
    const three = await state();
    await waitFor(() => (one as unknown as { redis: { isAvailable: boolean } }).redis.isAvailable);
    // Give the subscriptions a moment to be made (they are not awaited at boot).
    await new Promise((r) => setTimeout(r, 100));
    const until = one.recordFailure('dep-429', { kind: 'rate_limited', status: 429, retryAfterS: 3 });
    expect(until).toBeGreaterThan(Date.now() + 2_500);
    await waitFor(() => two.cooldownUntil('dep-429') === until, { timeoutMs: 2_000, intervalMs: 5 });

    // allowed_fails 1: one failure on each of two routers is two in the minute, past the allowance.
    one.recordFailure('dep-500', { kind: 'upstream_5xx', status: 500 });
    expect(one.cooldownUntil('dep-500')).toBe(0);
    two.recordFailure('dep-500', { kind: 'upstream_5xx', status: 500 });
    await waitFor(() => three.cooldownUntil('dep-500') > Date.now(), { timeoutMs: 2_000, intervalMs: 5 });
    await waitFor(() => one.cooldownUntil('dep-500') > Date.now(), { timeoutMs: 2_000, intervalMs: 5 });
  });

  it('a router started later loads the cooldowns in force in its background refresh', async () => {
    const one = await state();
    await waitFor(() => (one as unknown as { redis: { isAvailable: boolean } }).redis.isAvailable);
    const until = one.recordFailure('dep-401', { kind: 'auth', status: 401 });
    await waitFor(async () => {
      const raw = new IORedis(REDIS_URL);
      try {
        return (await raw.hget(`${prefix}:routing:cooldowns`, 'dep-401')) !== null;
      } finally {
        raw.disconnect();
      }
    });
    const raw = new IORedis(REDIS_URL);
    try {
      await raw.hset(`${prefix}:routing:cooldowns`, 'ended', String(Date.now() - 1));
      const later = await state();
      await waitFor(() => later.cooldownUntil('dep-401') === until, { timeoutMs: 3_000, intervalMs: 10 });
      // The refresh drops ended cooldowns from Redis, and only those.
      expect(later.cooldownUntil('ended')).toBe(0);
      expect(await raw.hexists(`${prefix}:routing:cooldowns`, 'ended')).toBe(0);
      expect(await raw.hexists(`${prefix}:routing:cooldowns`, 'dep-401')).toBe(1);
    } finally {
      raw.disconnect();
    }
  });

  it("shares requests in flight per deployment, and drops a stopped router's", async () => {
    const one = await state();
    const two = await state();
    await waitFor(() => (two as unknown as { redis: { isAvailable: boolean } }).redis.isAvailable);
    for (let i = 0; i < 3; i++) one.started('busy');
    two.started('busy');
    expect(two.inFlight('busy')).toBe(1);
    await one.refresh();
    await two.refresh();
    expect(two.inFlight('busy')).toBe(4);
    for (let i = 0; i < 3; i++) one.finished('busy');
    expect(one.inFlight('busy')).toBe(0);
    await one.refresh();
    await two.refresh();
    expect(two.inFlight('busy')).toBe(1);
    one.started('busy');
    await one.refresh();
    await two.refresh();
    expect(two.inFlight('busy')).toBe(2);
    await one.onApplicationShutdown();
    await two.refresh();
    expect(two.inFlight('busy')).toBe(1);
  });

  it("averages latency over every router's recent samples", async () => {
    const one = await state();
    const two = await state();
    await waitFor(() => (two as unknown as { redis: { isAvailable: boolean } }).redis.isAvailable);
    one.recordLatency('lat', 100);
    one.recordLatency('lat', 300);
    two.recordLatency('lat', 600);
    expect(two.latencyMs('lat')).toBe(600);
    await one.refresh();
    await two.refresh();
    expect(two.latencyMs('lat')).toBe(1000 / 3);
    expect(two.latencyMs('never')).toBeUndefined();
  });

  it('decides from its own view when Redis is unreachable, and says so once', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const s = await state(`redis://127.0.0.1:${await closedPort()}`, 0);
    const t0 = performance.now();
    const until = s.recordFailure('dep', { kind: 'upstream_5xx', status: 500 });
    expect(performance.now() - t0).toBeLessThan(5);
    expect(until).toBeGreaterThan(Date.now());
    expect(s.cooldownUntil('dep')).toBe(until);
    await s.refresh(); // a refresh without Redis keeps the local view
    expect(s.cooldownUntil('dep')).toBe(until);
    await waitFor(() => warn.mock.calls.some(([m]) => /Redis is unreachable/.test(String(m))), { timeoutMs: 4_000 });
    await new Promise((r) => setTimeout(r, 500)); // reconnect attempts go on meanwhile
    expect(warn.mock.calls.filter(([m]) => /Redis is unreachable/.test(String(m)))).toHaveLength(1);
  });
});

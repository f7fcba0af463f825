import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HotRedis } from '../hot-redis.client';
import { LimitsStore, limitsBase, type LevelLimits } from './limits.store';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `test-limits-${randomBytes(4).toString('hex')}`;

function level(id: string, l: Partial<LevelLimits> = {}): LevelLimits {
  return {
    base: limitsBase('key', id),
    maxBudgetNanos: null,
    rpmLimit: null,
    tpmLimit: null,
    maxParallelRequests: null,
    seedSpendNanos: 0n,
    seedPeriodMs: 0,
    ...l,
  };
}

let n = 0;
const req = () => `req-${++n}`;

describe('LimitsStore against Redis', () => {
  let redis: HotRedis;
  let store: LimitsStore;
  // Two clients, as two gateway instances would have.
  let redis2: HotRedis;
  let store2: LimitsStore;

  beforeAll(async () => {
    redis = new HotRedis({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 2000 });
    redis2 = new HotRedis({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 2000 });
    await Promise.all([redis.waitUntilReady(5000), redis2.waitUntilReady(5000)]);
    store = new LimitsStore(redis, { reservationTtlMs: 60_000, parallelSlotTtlMs: 60_000 });
    store2 = new LimitsStore(redis2, { reservationTtlMs: 60_000, parallelSlotTtlMs: 60_000 });
  });

  afterAll(async () => {
    const raw = new IORedis(REDIS_URL);
    const keys = await raw.keys(`${prefix}:*`);
    if (keys.length) await raw.del(...keys);
    await raw.quit();
    await Promise.all([redis?.close(), redis2?.close()]);
  });

  it('reserves budgets so concurrent requests from two instances never pass the limit', async () => {
    const l = level('budget-1', { maxBudgetNanos: 1_000n });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? store : store2).admit(req(), [l], 20n, 0)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(50);
    const refused = results.find((r) => !r.ok);
    expect(refused).toMatchObject({ ok: false, what: 'budget', limit: '1000', current: '0', extra: 1000 });
  });

  it('seeds spend from Postgres on a miss and refuses once spent reaches the limit', async () => {
    const l = level('budget-2', { maxBudgetNanos: 100n, seedSpendNanos: 100n });
    expect(await store.admit(req(), [l], 0n, 0)).toMatchObject({ ok: false, what: 'budget', current: '100' });
  });

  it('is all or nothing across levels: a refusal at the team takes nothing at the key', async () => {
    const key = level('aon-key', { rpmLimit: 10, maxBudgetNanos: 1_000n });
    const team = { ...level('aon-team', { maxBudgetNanos: 10n }), base: limitsBase('team', 'aon-team') };
    const r = await store.admit(req(), [key, team], 50n, 0);
    expect(r).toMatchObject({ ok: false, scopeIndex: 1, what: 'budget' });
    // The key still has all ten requests and its whole budget.
    for (let i = 0; i < 10; i++) expect((await store.admit(req(), [key], 100n, 0)).ok).toBe(true);
    expect(await store.admit(req(), [key], 0n, 0)).toMatchObject({ ok: false, what: 'rpm', limit: '10' });
  });

  it('counts requests per minute exactly across instances, with the tightest level in the headers', async () => {
    const key = level('rpm-key', { rpmLimit: 100 });
    const team = { ...level('rpm-team', { rpmLimit: 1000 }), base: limitsBase('team', 'rpm-team') };
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => (i % 2 ? store : store2).admit(req(), [key, team], 0n, 0)),
    );
    const ok = results.filter((r) => r.ok);
    expect(ok).toHaveLength(100);
    const remaining = ok.map((r) => (r.ok ? r.requests?.remaining : -1)).sort((a, b) => a! - b!);
    expect(remaining[0]).toBe(0);
    expect(remaining[99]).toBe(99);
    const refused = results.find((r) => !r.ok);
    expect(refused).toMatchObject({ what: 'rpm', limit: '100', current: '100' });
    expect(refused && !refused.ok && refused.extra).toBeGreaterThan(55_000);
  });

  it('slides the minute window: requests older than 60 s no longer count', async () => {
    const key = level('rpm-slide', { rpmLimit: 2 });
    const t0 = Date.now();
    expect((await store.admit(req(), [key], 0n, 0, t0)).ok).toBe(true);
    expect((await store.admit(req(), [key], 0n, 0, t0 + 30_000)).ok).toBe(true);
    expect((await store.admit(req(), [key], 0n, 0, t0 + 59_000)).ok).toBe(false);
    expect((await store.admit(req(), [key], 0n, 0, t0 + 60_001)).ok).toBe(true);
  });

  it('counts tokens per minute and corrects the estimate at settlement', async () => {
    const key = level('tpm-key', { tpmLimit: 1000 });
    const a = req();
    expect(await store.admit(a, [key], 0n, 800)).toMatchObject({ ok: true, tokens: { limit: 1000, remaining: 200 } });
    expect(await store.admit(req(), [key], 0n, 300)).toMatchObject({ ok: false, what: 'tpm', current: '800' });
    // The request really used 100 tokens: the window has room again.
    await store.settle([{ requestId: a, tokens: 100 }], []);
    expect(await store.admit(req(), [key], 0n, 300)).toMatchObject({ ok: true, tokens: { remaining: 600 } });
  });

  it('holds at most max_parallel_requests slots until they are released', async () => {
    const key = level('par-key', { maxParallelRequests: 5 });
    const ids = Array.from({ length: 8 }, req);
    const results = await Promise.all(ids.map((id) => store.admit(id, [key], 0n, 0)));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(results.find((r) => !r.ok)).toMatchObject({ what: 'parallel', limit: '5', current: '5' });
    const admitted = ids.filter((_, i) => results[i]!.ok);
    await store.release(admitted[0]!, [key.base]);
    expect((await store.admit(req(), [key], 0n, 0)).ok).toBe(true);
    expect((await store.admit(req(), [key], 0n, 0)).ok).toBe(false);
  });

  it('frees a parallel slot that is never released once it expires', async () => {
    const short = new LimitsStore(redis, { reservationTtlMs: 60_000, parallelSlotTtlMs: 1_000 });
    const key = level('par-expire', { maxParallelRequests: 1 });
    const t0 = Date.now();
    expect((await short.admit(req(), [key], 0n, 0, t0)).ok).toBe(true);
    expect((await short.admit(req(), [key], 0n, 0, t0 + 500)).ok).toBe(false);
    expect((await short.admit(req(), [key], 0n, 0, t0 + 1_001)).ok).toBe(true);
  });

  it('settles a reservation against the real cost, once, and keeps the greater total within a period', async () => {
    const l = level('settle-key', { maxBudgetNanos: 100n });
    const a = req();
    expect((await store.admit(a, [l], 60n, 0)).ok).toBe(true);
    expect(await store.admit(req(), [l], 60n, 0)).toMatchObject({ ok: false, what: 'budget' });
    // The real cost was 10: Postgres now says 10 spent.
    expect(await store.settle([{ requestId: a, tokens: 0 }], [{ base: l.base, spendNanos: 10n, periodMs: 0 }])).toBe(1);
    expect(await store.settle([{ requestId: a, tokens: 0 }], [{ base: l.base, spendNanos: 10n, periodMs: 0 }])).toBe(0);
    // An older, smaller total arriving late does not lower it.
    await store.settle([], [{ base: l.base, spendNanos: 5n, periodMs: 0 }]);
    const b = req();
    expect((await store.admit(b, [l], 90n, 0)).ok).toBe(true);
    expect(await store.admit(req(), [l], 1n, 0)).toMatchObject({ ok: false, current: '10' });
  });

  it('lets a new budget period replace the old total, and ignores totals of the old period after it', async () => {
    const l = level('period-key', { maxBudgetNanos: 100n, seedSpendNanos: 100n, seedPeriodMs: 1000 });
    expect((await store.admit(req(), [l], 1n, 0)).ok).toBe(false);
    await store.resetBudget(l.base, 0n, 2000);
    await store.settle([], [{ base: l.base, spendNanos: 100n, periodMs: 1000 }]);
    expect((await store.admit(req(), [l], 1n, 0)).ok).toBe(true);
  });

  it('stops counting a reservation that is never settled once it expires', async () => {
    const short = new LimitsStore(redis, { reservationTtlMs: 1_000, parallelSlotTtlMs: 60_000 });
    const l = level('resv-expire', { maxBudgetNanos: 100n });
    const t0 = Date.now();
    expect((await short.admit(req(), [l], 100n, 0, t0)).ok).toBe(true);
    expect((await short.admit(req(), [l], 1n, 0, t0 + 500)).ok).toBe(false);
    expect((await short.admit(req(), [l], 100n, 0, t0 + 1_001)).ok).toBe(true);
  });

  it('reports what open reservations hold: settled and expired ones no longer count', async () => {
    const short = new LimitsStore(redis, { reservationTtlMs: 1_000, parallelSlotTtlMs: 60_000 });
    const l = level('resv-read', { maxBudgetNanos: 1_000n });
    const t0 = Date.now();
    const a = req();
    expect(await short.reservedNanos(l.base, t0)).toBe(0n);
    expect((await short.admit(a, [l], 100n, 0, t0)).ok).toBe(true);
    expect((await short.admit(req(), [l], 30n, 0, t0 + 500)).ok).toBe(true);
    expect(await short.reservedNanos(l.base, t0 + 600)).toBe(130n);
    await short.settle([{ requestId: a, tokens: 0 }], [{ base: l.base, spendNanos: 80n, periodMs: 0 }]);
    expect(await short.reservedNanos(l.base, t0 + 600)).toBe(30n);
    // The second one expires at t0 + 1500 without ever being settled.
    expect(await short.reservedNanos(l.base, t0 + 1_501)).toBe(0n);
  });
});

import type { NatsConnection } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '@switchyard/db';
import type { KeyCacheService } from '../auth/key-cache.service';
import { HealthService } from './health.service';

/** A Kysely stand-in whose raw `select 1` succeeds or fails. */
function fakeDb(up: boolean): Kysely<Database> {
  const executor = {
    transformQuery: (q: unknown) => q,
    compileQuery: (q: unknown) => ({ sql: 'select 1', parameters: [], query: q }),
    executeQuery: async () => {
      if (!up) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      return { rows: [{ '?column?': 1 }] };
    },
  };
  return { getExecutor: () => executor } as unknown as Kysely<Database>;
}

function service(opts: { nats: 'up' | 'closed' | 'hangs'; postgres: boolean; keys: number }): HealthService {
  const nc = {
    isClosed: () => opts.nats === 'closed',
    flush: () => (opts.nats === 'hangs' ? new Promise(() => undefined) : Promise.resolve()),
  } as unknown as NatsConnection;
  const keys = { servableKeys: () => opts.keys } as unknown as KeyCacheService;
  return new HealthService(nc, fakeDb(opts.postgres), keys);
}

describe('gateway readiness', () => {
  it('is ok with NATS and Postgres up', async () => {
    const r = await service({ nats: 'up', postgres: true, keys: 0 }).readiness();
    expect(r.status).toBe('ok');
    expect(r.checks.nats.status).toBe('up');
    expect(r.checks.postgres.status).toBe('up');
  });

  it('is degraded, not unavailable, with Postgres down while cached keys can be served', async () => {
    const r = await service({ nats: 'up', postgres: false, keys: 3 }).readiness();
    expect(r.status).toBe('degraded');
    expect(r.checks.postgres).toMatchObject({
      status: 'down',
      detail: expect.stringMatching(/ECONNREFUSED.*DATABASE_URL/),
    });
    expect(r.checks.keyCache.detail).toMatch(/^3 key/);
  });

  it('is unavailable with Postgres down and no key to serve', async () => {
    expect((await service({ nats: 'up', postgres: false, keys: 0 }).readiness()).status).toBe('unavailable');
  });

  it('is unavailable without NATS, whatever Postgres says', async () => {
    expect((await service({ nats: 'closed', postgres: true, keys: 5 }).readiness()).status).toBe('unavailable');
  });

  it('gives up on a NATS connection that does not answer (reconnecting) within the check timeout', async () => {
    const r = await service({ nats: 'hangs', postgres: true, keys: 5 }).readiness();
    expect(r.status).toBe('unavailable');
    expect(r.checks.nats.detail).toMatch(/no answer within/);
  }, 10_000);
});

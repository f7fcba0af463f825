import type { NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KeyGrant, KeysRepository } from '@switchyard/db';
import { KeyCacheService } from './key-cache.service';
import { KeyEventsController } from './key-events.controller';

const record = (revoked: boolean, teamId: string | null = null): KeyGrant =>
  ({
    id: 'k1',
    keyHash: 'h1',
    teamId,
    models: [],
    revokedAt: revoked ? new Date() : null,
    expiresAt: null,
  }) as unknown as KeyGrant;

/** A repository whose lookups the test resolves by hand, and the controller that delivers key events. */
function setup() {
  const lookups: ((r: KeyGrant | undefined) => void)[] = [];
  const repo = {
    findByHash: () => new Promise<KeyGrant | undefined>((r) => lookups.push(r)),
  } as unknown as KeysRepository;
  const nc = {
    status: () => ({ [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => undefined) }) }),
  } as unknown as NatsConnection;
  const cache = new KeyCacheService(repo, nc);
  cache.onApplicationBootstrap();
  const events = new KeyEventsController(cache);
  return {
    cache,
    lookups,
    revoke: () => events.changed({ keyId: 'k1', keyHash: 'h1', reason: 'revoked' }),
    teamChanged: (teamId: string) => events.teamChanged({ teamId, reason: 'updated' }),
    scopeChanged: (level: 'user' | 'organization', id: string) => events.scopeChanged({ level, id, reason: 'updated' }),
  };
}

describe('KeyCacheService', () => {
  it('shares one lookup between concurrent requests and then serves from memory', async () => {
    const { cache, lookups } = setup();
    const a = cache.get('h1');
    const b = cache.get('h1');
    expect(lookups).toHaveLength(1);
    lookups[0]!(record(false));
    expect(await a).toBe(await b);
    await cache.get('h1');
    expect(lookups).toHaveLength(1);
  });

  it('drops every secret of a key at once: the new one and the old one still in its grace period', async () => {
    const { cache, lookups } = setup();
    // The old secret (h0, within its grace period) and the new one (h2) both cached for key k1.
    const old = cache.get('h0');
    lookups[0]!(record(false));
    await old;
    const fresh = cache.get('h2');
    lookups[1]!(record(false));
    await fresh;
    expect(cache.answersFromMemory('h0')).toBe(true);
    expect(cache.answersFromMemory('h2')).toBe(true);
    // A change announced under the key's current hash (blocked, say) must drop the old secret's entry too.
    cache.invalidate('h2', 'k1');
    expect(cache.answersFromMemory('h0')).toBe(false);
    expect(cache.answersFromMemory('h2')).toBe(false);
  });

  it('drops a key when it is revoked', async () => {
    const { cache, lookups, revoke } = setup();
    const first = cache.get('h1');
    lookups[0]!(record(false));
    await first;
    revoke();
    const again = cache.get('h1');
    expect(lookups).toHaveLength(2);
    lookups[1]!(record(true));
    expect((await again)?.revokedAt).not.toBeNull();
  });

  it("drops every key of a team whose models changed, and keeps other teams' keys", async () => {
    const { cache, lookups, teamChanged } = setup();
    const a = cache.get('h1');
    lookups[0]!(record(false, 't1'));
    await a;
    const b = cache.get('h2');
    lookups[1]!(record(false, 't2'));
    await b;
    teamChanged('t1');
    void cache.get('h2');
    expect(lookups).toHaveLength(2); // t2's key still served from memory
    void cache.get('h1');
    expect(lookups).toHaveLength(3); // t1's key read again, with its team's new models
  });

  it("drops the keys of a user, or charged to an organisation, whose limits changed, and keeps others'", async () => {
    const { cache, lookups, scopeChanged } = setup();
    const grant = (userId: string | null, organizationId: string | null) =>
      ({ ...record(false), userId, organizationId }) as KeyGrant;
    for (const [hash, g] of [
      ['h1', grant('u1', null)],
      ['h2', grant('u2', 'o1')],
      ['h3', grant(null, 'o2')],
    ] as const) {
      const p = cache.get(hash);
      lookups.at(-1)!(g);
      await p;
    }
    scopeChanged('user', 'u1');
    void cache.get('h2');
    void cache.get('h3');
    expect(lookups).toHaveLength(3);
    void cache.get('h1');
    expect(lookups).toHaveLength(4);
    scopeChanged('organization', 'o1');
    void cache.get('h3');
    expect(lookups).toHaveLength(4);
    void cache.get('h2');
    expect(lookups).toHaveLength(5);
  });

  it('does not cache a row read before a team change that arrived during the lookup', async () => {
    const { cache, lookups, teamChanged } = setup();
    const stale = cache.get('h1');
    teamChanged('t1');
    lookups[0]!(record(false, 't1'));
    await stale;
    void cache.get('h1');
    expect(lookups).toHaveLength(2);
  });

  it('does not cache a row read before a revocation that arrived during the lookup', async () => {
    const { cache, lookups, revoke } = setup();
    const stale = cache.get('h1');
    revoke(); // committed in Postgres after our SELECT started
    lookups[0]!(record(false));
    expect((await stale)?.revokedAt).toBeNull(); // the request already in flight keeps its answer
    const next = cache.get('h1');
    expect(lookups).toHaveLength(2); // but the stale row was not cached
    lookups[1]!(record(true));
    expect((await next)?.revokedAt).not.toBeNull();
  });

  it('lets a failed lookup fail its requests without poisoning the cache', async () => {
    const { cache, lookups } = setup();
    const failing = cache.get('h1');
    expect(lookups).toHaveLength(1);
    // Reject through the same resolver slot: the stub only resolves, so fail via a thrown record access.
    lookups[0]!(Promise.reject(new Error('db down')) as unknown as KeyGrant);
    await expect(failing).rejects.toThrow('db down');
    void cache.get('h1');
    expect(lookups).toHaveLength(2);
  });

  describe('while Postgres is down', () => {
    afterEach(() => vi.useRealTimers());
    const fail = (lookup: (r: KeyGrant | undefined) => void) =>
      lookup(Promise.reject(new Error('db down')) as unknown as KeyGrant);

    it('keeps serving a key loaded within MAX_STALE_MS, at once, and retries the lookup behind it', async () => {
      vi.useFakeTimers();
      const { cache, lookups } = setup();
      const first = cache.get('h1');
      lookups[0]!(record(false));
      await first;
      expect(cache.servableKeys()).toBe(1);

      vi.advanceTimersByTime(KeyCacheService.TTL_MS + 1);
      const afterTtl = cache.get('h1');
      fail(lookups[1]!);
      expect((await afterTtl)?.id).toBe('k1');

      // Known outage: answered from memory without waiting, while one lookup runs behind it.
      const quick = cache.get('h1');
      expect(lookups).toHaveLength(3);
      expect((await quick)?.id).toBe('k1');
      fail(lookups[2]!);
      for (let i = 0; i < 5; i++) await Promise.resolve(); // let the lookup behind it settle

      vi.advanceTimersByTime(KeyCacheService.MAX_STALE_MS);
      expect(cache.servableKeys()).toBe(0);
      const tooOld = cache.get('h1');
      fail(lookups[3]!);
      await expect(tooOld).rejects.toThrow('db down');
    });

    it('never serves a remembered miss or an unknown key from memory', async () => {
      const { cache, lookups } = setup();
      const miss = cache.get('h1');
      lookups[0]!(undefined);
      expect(await miss).toBeUndefined();
      expect(cache.servableKeys()).toBe(0);
      const other = cache.get('h2');
      fail(lookups[1]!);
      await expect(other).rejects.toThrow('db down');
    });

    it('drops a stale key when it is revoked', async () => {
      vi.useFakeTimers();
      const { cache, lookups, revoke } = setup();
      const first = cache.get('h1');
      lookups[0]!(record(false));
      await first;
      revoke();
      expect(cache.servableKeys()).toBe(0);
      const after = cache.get('h1');
      fail(lookups[1]!);
      await expect(after).rejects.toThrow('db down');
    });
  });

  describe('under a flood of unknown keys', () => {
    afterEach(() => vi.restoreAllMocks());

    it('remembers an unknown key: asking again costs no query until MISS_TTL_MS', async () => {
      const { cache, lookups } = setup();
      const first = cache.get('nope');
      lookups[0]!(undefined);
      expect(await first).toBeUndefined();
      expect(await cache.get('nope')).toBeUndefined();
      expect(lookups).toHaveLength(1);
    });

    it('keeps valid keys while misses overflow their own bound, and evicts the oldest miss, not all', async () => {
      vi.spyOn(KeyCacheService, 'MAX_MISSES', 'get').mockReturnValue(3);
      const { cache, lookups } = setup();
      const valid = cache.get('h1');
      lookups[0]!(record(false));
      await valid;
      for (const h of ['m1', 'm2', 'm3', 'm4']) {
        const p = cache.get(h);
        lookups[lookups.length - 1]!(undefined);
        await p;
      }
      const before = lookups.length;
      await cache.get('h1');
      await cache.get('m4');
      await cache.get('m2');
      expect(lookups).toHaveLength(before);
      // m1 was the oldest miss: it alone was forgotten.
      void cache.get('m1');
      expect(lookups).toHaveLength(before + 1);
    });

    it('evicts the least recently used key when full, instead of clearing the cache', async () => {
      vi.spyOn(KeyCacheService, 'MAX_ENTRIES', 'get').mockReturnValue(2);
      const { cache, lookups } = setup();
      for (const h of ['h1', 'h2']) {
        const p = cache.get(h);
        lookups[lookups.length - 1]!(record(false));
        await p;
      }
      await cache.get('h1'); // h1 is now the most recently used
      const p = cache.get('h3');
      lookups[lookups.length - 1]!(record(false));
      await p;
      const before = lookups.length;
      await cache.get('h1');
      await cache.get('h3');
      expect(lookups).toHaveLength(before);
      void cache.get('h2');
      expect(lookups).toHaveLength(before + 1);
    });
  });
});

import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { KeysRepository, type KeyGrant } from '@switchyard/db';
import { NATS } from '@switchyard/nats';

/** A key found in Postgres. */
type Entry = { record: KeyGrant; loadedAt: number };

/**
 * In-process cache of virtual keys by hash, so steady-state requests touch no database. Admin publishes
 * a KeyChanged event when a key is revoked or changed and every gateway drops it at once; the TTL is a
 * safety net for a notification missed while disconnected from NATS.
 *
 * When Postgres cannot be reached, a key found before keeps being served for up to MAX_STALE_MS after it
 * was loaded (stale-if-error): revocations still arrive over NATS, and a reconnect to NATS empties the
 * cache, so a stale entry is one no notification has invalidated. The gateway reports itself `degraded`
 * meanwhile (see HealthService).
 */
@Injectable()
export class KeyCacheService implements OnApplicationBootstrap {
  /** Keys found, least recently used first (a hit moves its entry to the end). */
  private readonly entries = new Map<string, Entry>();
  /**
   * Hashes Postgres has no key for, with when that was learnt, oldest first: a bounded cache of its own, so a
   * flood of random keys neither queries Postgres again for a hash it already asked about nor pushes valid keys
   * out of `entries`.
   */
  private readonly misses = new Map<string, number>();
  /**
   * Key id → the hashes its entries are cached under: more than one while a regenerated key's old secret is in its
   * grace period (checked against the entries before use: it may be outdated).
   */
  private readonly hashById = new Map<string, Set<string>>();
  /** One database lookup per hash at a time, however many requests arrive with it. */
  private readonly loading = new Map<string, Promise<KeyGrant | undefined>>();
  /**
   * Bumped by every change notification and every reconnect. A lookup that was in flight meanwhile may
   * have read a row from before the change: its result serves the requests waiting on it but is not
   * cached, so the next request reads the row again.
   */
  private generation = 0;
  static readonly TTL_MS = 60_000;
  /**
   * How long an unknown hash is remembered. A new key's secret is random and shown first when it is created, so
   * no client can present it before it exists: remembering a miss never hides a real key.
   */
  static readonly MISS_TTL_MS = 60_000;
  static readonly MAX_ENTRIES: number = 100_000;
  static readonly MAX_MISSES: number = 50_000;
  /** How long after its load a key is still served while Postgres is down. */
  static readonly MAX_STALE_MS = 15 * 60_000;
  private readonly logger = new Logger('KeyCache');
  /** Set while lookups fail and stale keys are served, so the switch is logged once per outage. */
  private servingStale = false;

  constructor(
    @Inject(KeysRepository) private readonly keys: KeysRepository,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {}

  /** A key changed or was revoked (KeyEventsController): forget it, and any lookup of it in flight. */
  invalidate(keyHash: string, keyId?: string): void {
    this.generation++;
    // A key cached under its HMAC may be announced under the hash its row held when the event was sent.
    const cachedAs = keyId === undefined ? undefined : this.hashById.get(keyId);
    if (cachedAs !== undefined) {
      for (const h of cachedAs) this.entries.delete(h);
      this.hashById.delete(keyId!);
    }
    this.entries.delete(keyHash);
    this.misses.delete(keyHash);
    this.loading.delete(keyHash);
  }

  /**
   * A team changed (its models): forget every key of it. Lookups in flight may have read the team from
   * before the change; the generation bump keeps their results out of the cache.
   */
  invalidateTeam(teamId: string): void {
    this.generation++;
    for (const [hash, e] of this.entries) if (e.record.teamId === teamId) this.entries.delete(hash);
  }

  /** A user's or an organisation's limits changed: forget every key of that user, or charged to that organisation. */
  invalidateScope(level: 'user' | 'organization', id: string): void {
    this.generation++;
    for (const [hash, e] of this.entries) {
      if ((level === 'user' ? e.record.userId : e.record.organizationId) === id) this.entries.delete(hash);
    }
  }

  onApplicationBootstrap(): void {
    // Reconnecting after an outage may have cost us notifications: start from an empty cache.
    void (async () => {
      for await (const s of this.nc.status()) {
        if (s.type !== 'reconnect') continue;
        this.generation++;
        this.entries.clear();
        this.hashById.clear();
        this.misses.clear();
        this.loading.clear();
      }
    })().catch(() => undefined);
  }

  /** True when `get(hash)` would answer from memory now (a fresh key or a remembered miss): no Postgres query. */
  answersFromMemory(hash: string, now = Date.now()): boolean {
    const hit = this.entries.get(hash);
    if (hit && now - hit.loadedAt < KeyCacheService.TTL_MS) return true;
    const missedAt = this.misses.get(hash);
    return missedAt !== undefined && now - missedAt < KeyCacheService.MISS_TTL_MS;
  }

  /** `legacyHash`: the key's pre-HMAC form, looked up too (and upgraded) so keys stored before HMAC keep working. */
  async get(hash: string, legacyHash?: string): Promise<KeyGrant | undefined> {
    const now = Date.now();
    const hit = this.entries.get(hash);
    if (hit && now - hit.loadedAt < KeyCacheService.TTL_MS) {
      // Most recently used last, so eviction takes the coldest key.
      this.entries.delete(hash);
      this.entries.set(hash, hit);
      return hit.record;
    }
    const missedAt = this.misses.get(hash);
    if (missedAt !== undefined) {
      if (now - missedAt < KeyCacheService.MISS_TTL_MS) return undefined;
      this.misses.delete(hash);
    }
    const inFlight = this.loading.get(hash);
    // While Postgres is known to be failing, a stale key answers at once and the lookup retries behind it,
    // so requests do not wait on a database that may hang rather than refuse.
    const stale = this.servingStale && hit !== undefined && now - hit.loadedAt < KeyCacheService.MAX_STALE_MS;
    if (inFlight) return stale ? hit.record : inFlight;
    const lookup = this.lookup(hash, legacyHash);
    if (stale) {
      lookup.catch(() => undefined);
      return hit.record;
    }
    return lookup;
  }

  private lookup(hash: string, legacyHash?: string): Promise<KeyGrant | undefined> {
    const startedAt = this.generation;
    const pending: Promise<KeyGrant | undefined> = this.keys.findByHash(hash, legacyHash).then(
      (record) => {
        this.forget(hash, pending);
        if (this.servingStale) {
          this.servingStale = false;
          this.logger.log('key lookups answer again; stale keys are no longer served');
        }
        if (this.generation === startedAt) {
          if (record) {
            this.entries.delete(hash);
            while (this.entries.size >= KeyCacheService.MAX_ENTRIES) {
              const [oldest, e] = this.entries.entries().next().value as [string, Entry];
              this.entries.delete(oldest);
              const of = this.hashById.get(e.record.id);
              of?.delete(oldest);
              if (of?.size === 0) this.hashById.delete(e.record.id);
            }
            this.entries.set(hash, { record, loadedAt: Date.now() });
            const hashes = this.hashById.get(record.id) ?? new Set<string>();
            hashes.add(hash);
            this.hashById.set(record.id, hashes);
          } else {
            this.entries.delete(hash);
            evictOldest(this.misses, KeyCacheService.MAX_MISSES);
            this.misses.set(hash, Date.now());
          }
        }
        return record;
      },
      (e: unknown) => {
        this.forget(hash, pending);
        const stale = this.entries.get(hash);
        if (stale && Date.now() - stale.loadedAt < KeyCacheService.MAX_STALE_MS) {
          if (!this.servingStale) {
            this.servingStale = true;
            this.logger.warn(
              `key lookups fail (${(e as Error).message}); serving keys cached in the last ${KeyCacheService.MAX_STALE_MS / 60_000} min until Postgres answers again. Check DATABASE_URL.`,
            );
          }
          return stale.record;
        }
        throw e;
      },
    );
    this.loading.set(hash, pending);
    return pending;
  }

  /** Keys (not remembered misses) that would be served now without Postgres: loaded within MAX_STALE_MS. */
  servableKeys(now = Date.now()): number {
    let n = 0;
    for (const e of this.entries.values()) if (now - e.loadedAt < KeyCacheService.MAX_STALE_MS) n++;
    return n;
  }

  private forget(hash: string, lookup: Promise<KeyGrant | undefined>): void {
    if (this.loading.get(hash) === lookup) this.loading.delete(hash);
  }
}

/** Makes room for one more entry by dropping the oldest (first inserted) ones past `max`. */
function evictOldest<V>(map: Map<string, V>, max: number): void {
  while (map.size >= max) {
    const oldest = map.keys().next();
    if (oldest.done) return;
    map.delete(oldest.value);
  }
}

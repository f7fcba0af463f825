import type { HotRedis } from '../hot-redis.client';
import { admitScript, settleScript, type AdmitReply } from './limits.scripts';

/** One level's limits for one request (null: no limit at that level for that dimension). */
export interface LevelLimits {
  /** The level's key base (see limitsBase), unprefixed. */
  base: string;
  maxBudgetNanos: bigint | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
  /** Postgres spend as last read, used only when Redis holds no total for this level (first use, after a flush). */
  seedSpendNanos: bigint;
  /** The budget period the seed belongs to (budget_reset_at, epoch ms; 0 without one). */
  seedPeriodMs: number;
}

export interface LimitsStoreOptions {
  /** A reservation never settled (its usage event lost or very late) stops counting after this long. */
  reservationTtlMs: number;
  /** A parallel slot never released (a gateway that died mid-request) frees itself after this long. */
  parallelSlotTtlMs: number;
}

/** The key base of a level's counters: ids are encoded, since end-user and user ids are free text. */
export function limitsBase(level: string, id: string): string {
  return `lim:${level}:${encodeURIComponent(id)}`;
}

const RESERVATION = 'lim:resv:';

/**
 * Budgets, rate limits and parallel-request slots shared by every gateway (admission) and spend instance
 * (settlement) through the hot-path Redis client. Each call is one round trip.
 */
export class LimitsStore {
  constructor(
    /** The client the store runs on (its owner closes it). */
    readonly redis: HotRedis,
    private readonly opts: LimitsStoreOptions,
  ) {
    redis.define(settleScript);
  }

  /** Checks and takes every limit of every level at once, or nothing (see admitScript). */
  admit(
    requestId: string,
    levels: readonly LevelLimits[],
    costNanos: bigint,
    tokens: number,
    now = Date.now(),
  ): Promise<AdmitReply> {
    const args: (string | number)[] = [
      now,
      requestId,
      this.opts.reservationTtlMs,
      this.opts.parallelSlotTtlMs,
      costNanos.toString(),
      Math.max(0, Math.ceil(tokens)),
      this.redis.key(RESERVATION + requestId),
      levels.length,
    ];
    const opt = (v: number | bigint | null) => (v === null ? '' : v.toString());
    for (const l of levels) {
      args.push(
        this.redis.key(l.base),
        opt(l.maxBudgetNanos),
        opt(l.rpmLimit),
        opt(l.tpmLimit),
        opt(l.maxParallelRequests),
        l.seedSpendNanos.toString(),
        l.seedPeriodMs,
      );
    }
    return this.redis.eval(admitScript, [], args);
  }

  /** Frees the request's parallel slots (the request ended): one round trip. */
  async release(requestId: string, bases: readonly string[]): Promise<void> {
    if (bases.length === 0) return;
    await this.redis.pipeline((p) => {
      for (const b of bases) p.commands.zrem(`${b}:par`, requestId);
    });
  }

  /**
   * Undoes an admission whose answer never came (a timeout: the script may or may not have run): the request is
   * taken out of every window and slot, and its reservation released. Harmless when nothing was taken.
   */
  async cancel(requestId: string, bases: readonly string[]): Promise<void> {
    await this.redis.pipeline((p) => {
      p.eval(settleScript, [], [this.redis.key(RESERVATION), 1, requestId, 0]);
      for (const b of bases) {
        p.commands.zrem(`${b}:rpm`, requestId);
        p.commands.zrem(`${b}:par`, requestId);
      }
    });
  }

  /**
   * Releases the reservations of these requests (their real cost is now in Postgres) and sets each level's spend
   * to the total Postgres committed. Idempotent: a request settled twice is released once.
   */
  settle(
    requests: readonly { requestId: string; tokens: number }[],
    totals: readonly { base: string; spendNanos: bigint; periodMs: number }[],
  ): Promise<number> {
    const args: (string | number)[] = [this.redis.key(RESERVATION), requests.length];
    for (const r of requests) args.push(r.requestId, Math.max(0, Math.round(r.tokens)));
    for (const t of totals) args.push(this.redis.key(t.base), t.spendNanos.toString(), t.periodMs);
    return this.redis.eval(settleScript, [], args);
  }

  /**
   * What requests in flight hold against a level's budget now: its reservations not yet settled nor expired
   * (nano-USD). A read for the self-service routes; the admission script does its own accounting.
   */
  async reservedNanos(base: string, now = Date.now()): Promise<bigint> {
    const open = await this.redis.commands.zrangebyscore(`${base}:r`, `(${now}`, '+inf');
    let sum = 0n;
    for (const m of open) {
      const amount = /\|(\d+)$/.exec(m)?.[1];
      if (amount !== undefined) sum += BigInt(amount);
    }
    return sum;
  }

  /** Sets a level's spend to `spendNanos` for a new period (a budget reset), whatever Redis held. */
  async resetBudget(base: string, spendNanos: bigint, periodMs: number): Promise<void> {
    await this.redis.commands.hset(`${base}:b`, 'spent', spendNanos.toString(), 'period', String(periodMs));
  }
}

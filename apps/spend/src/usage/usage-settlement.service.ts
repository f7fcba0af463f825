import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ENV, type Env } from '@switchyard/config';
import type { UsageRecordedEvent } from '@switchyard/contracts';
import type { SpendTotal } from '@switchyard/db';
import { HotRedis, LimitsStore, limitsBase } from '@switchyard/redis';

/**
 * Settles the budget reservations the gateway took for a batch of requests, once their real cost is in Postgres:
 * each reservation is released, each request's token estimate corrected to what it used, and each level's spend
 * counter in Redis set to the total Postgres committed (Postgres is the record; Redis follows it). One round trip
 * per batch.
 *
 * A failure is logged, not thrown: spend is already durable in Postgres, the reservations expire on their own,
 * and the next batch for the same level writes its total again.
 */
@Injectable()
export class UsageSettlementService implements OnApplicationShutdown {
  private readonly logger = new Logger('UsageSettlement');
  private readonly store: LimitsStore;
  private failing = false;

  constructor(@Inject(ENV) env: Env) {
    const redis = new HotRedis({
      url: env.REDIS_URL,
      keyPrefix: env.SWITCHYARD_REDIS_PREFIX,
      name: 'switchyard-spend-limits',
      commandTimeoutMs: 1000,
    });
    const holdMs = env.SWITCHYARD_LIMIT_HOLD_TTL_S * 1000;
    this.store = new LimitsStore(redis, { reservationTtlMs: holdMs, parallelSlotTtlMs: holdMs });
  }

  async settle(events: readonly UsageRecordedEvent[], totals: readonly SpendTotal[]): Promise<void> {
    if (events.length === 0 && totals.length === 0) return;
    try {
      await this.store.settle(
        events.map((e) => ({ requestId: e.requestId, tokens: e.promptTokens + e.completionTokens })),
        totals.map((t) => ({
          base: limitsBase(t.level, t.id),
          spendNanos: t.spendNanos,
          periodMs: t.budgetResetAt?.getTime() ?? 0,
        })),
      );
      if (this.failing) {
        this.failing = false;
        this.logger.log('budget counters in Redis are settled again');
      }
    } catch (e) {
      if (!this.failing) {
        this.failing = true;
        this.logger.warn(
          `could not settle budget reservations in Redis (${(e as Error).message}); spend is recorded in Postgres, reservations expire after SWITCHYARD_LIMIT_HOLD_TTL_S. Check REDIS_URL.`,
        );
      }
    }
  }

  /**
   * Sets a level's Redis budget counter to `spendNanos` for the period ending at `periodMs` (a budget reset).
   * Throws on failure: the reset job retries, since until it lands the gateways still count the old period.
   */
  async resetBudget(level: string, id: string, spendNanos: bigint, periodMs: number): Promise<void> {
    await this.store.resetBudget(limitsBase(level, id), spendNanos, periodMs);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.redis.close();
  }
}

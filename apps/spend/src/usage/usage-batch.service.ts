import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { ANALYTICS_DATABASE, CLICKHOUSE, insertUsageRows, usageRowFromEvent } from '@switchyard/analytics';
import type { UsageRecordedEvent } from '@switchyard/contracts';
import { SpendRepository } from '@switchyard/db';
import { priceUsageEvent } from './usage-pricing';

/**
 * Makes a batch of usage events durable: spend in Postgres (ledger + key and team totals, one
 * transaction, each request id counted once), then rows in ClickHouse (ReplacingMergeTree collapses a
 * redelivered row). Either step failing throws; the caller naks and the whole batch comes back, which
 * both steps tolerate.
 */
@Injectable()
export class UsageBatchService {
  private readonly logger = new Logger('UsageBatch');
  private readonly unpriced = new Set<string>();

  constructor(
    @Inject(SpendRepository) private readonly spend: SpendRepository,
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    @Inject(ANALYTICS_DATABASE) private readonly database: string,
  ) {}

  async process(events: UsageRecordedEvent[]): Promise<{ newlyCounted: number }> {
    if (events.length === 0) return { newlyCounted: 0 };
    const priced = events.map((e) => ({ event: e, ...priceUsageEvent(e) }));
    for (const p of priced) {
      const model = p.event.upstreamModel ?? p.event.requestedModel;
      if (p.pricedAs === null && p.event.promptTokens + p.event.completionTokens > 0 && !this.unpriced.has(model)) {
        this.unpriced.add(model);
        this.logger.warn(
          `model "${model}" has no price in libs/pricing/src/catalogue.json; its requests cost 0 until it is added`,
        );
      }
    }
    let newIds: string[];
    try {
      newIds = await this.spend.recordSpend(
        priced.map((p) => ({
          requestId: p.event.requestId,
          keyId: p.event.keyId,
          teamId: p.event.teamId,
          costNanos: p.costNanos,
        })),
      );
    } catch (e) {
      throw new Error(
        `Postgres recordSpend failed for ${events.length} events: ${(e as Error).message}. Check DATABASE_URL and that db migrations ran.`,
      );
    }
    await insertUsageRows(
      this.clickhouse,
      this.database,
      priced.map((p) => usageRowFromEvent(p.event, p.costNanos)),
    );
    return { newlyCounted: newIds.length };
  }
}

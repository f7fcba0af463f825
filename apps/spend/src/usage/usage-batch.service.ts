import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  ANALYTICS_DATABASE,
  CLICKHOUSE,
  insertUsageRows,
  usageRowFromEvent,
  type UsageCost,
} from '@switchyard/analytics';
import { CONFIG, type SwitchyardConfig } from '@switchyard/config';
import type { UsageRecordedEvent } from '@switchyard/contracts';
import { SpendRepository } from '@switchyard/db';
import { priceUsageEvent, type DeploymentPricing, type PricedUsage } from './usage-pricing';
import { SoftBudgetAlertJobs } from '../budgets/soft-budget-alert.jobs';
import { UsageSettlementService } from './usage-settlement.service';

/** Why a store refused a batch, as far as the consumer must know to decide what to retry. */
export type UsageStoreFailure =
  /** The store is down, missing its schema, overloaded, or hit a transient conflict: retry everything later. */
  | 'unavailable'
  /** The store refused the data itself (a Postgres data or constraint error, a ClickHouse parse error). */
  | 'rejected'
  /** Anything else. */
  | 'unknown';

export class UsageStoreError extends Error {
  constructor(
    message: string,
    readonly store: 'postgres' | 'clickhouse',
    readonly failure: UsageStoreFailure,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'UsageStoreError';
  }
}

/** SQLSTATE classes: 08 connection, 53 resources, 57 operator intervention, 58 system, 3D no such database, 40 rollback (deadlock, serialization). */
const PG_UNAVAILABLE = /^(?:08|53|57|58|3D|40)...$|^42P01$/;
/** SQLSTATE classes 22 (data exception, e.g. U+0000 in text, bigint out of range) and 23 (integrity constraint). */
const PG_REJECTED = /^(?:22|23)...$/;
const UNAVAILABLE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|socket hang up|timeout|timed out|Connection terminated|UNKNOWN_DATABASE|UNKNOWN_TABLE|doesn't exist|does not exist|TOO_MANY_SIMULTANEOUS|MEMORY_LIMIT|Authentication|password/i;
const CH_REJECTED =
  /CANNOT_PARSE|Cannot parse|CANNOT_READ|INCORRECT_DATA|TYPE_MISMATCH|ARGUMENT_OUT_OF_BOUND|TOO_LARGE_STRING_SIZE|CANNOT_CONVERT/i;

/** Classifies a store error by its Postgres SQLSTATE, socket error code or message (following `cause`). */
export function classifyStoreFailure(error: unknown): UsageStoreFailure {
  const chain: unknown[] = [];
  for (let e = error; e instanceof Error && chain.length < 5; e = (e as Error & { cause?: unknown }).cause)
    chain.push(e);
  const codes = chain.map((e) => (e as { code?: unknown }).code).filter((c): c is string => typeof c === 'string');
  const text = chain.map((e) => (e as Error).message).join(' | ');
  if (codes.some((c) => PG_REJECTED.test(c))) return 'rejected';
  if (codes.some((c) => PG_UNAVAILABLE.test(c)) || UNAVAILABLE.test(`${codes.join(' ')} ${text}`)) return 'unavailable';
  if (CH_REJECTED.test(text)) return 'rejected';
  return 'unknown';
}

/**
 * Makes a batch of usage events durable: spend in Postgres (ledger + key and team totals, one
 * transaction, each request id counted once), then rows in ClickHouse (ReplacingMergeTree collapses a
 * redelivered row). Either step failing throws a UsageStoreError; the caller retries the batch, or
 * parts of it, which both steps tolerate.
 */
@Injectable()
export class UsageBatchService {
  private readonly logger = new Logger('UsageBatch');
  private readonly unpriced = new Set<string>();
  private readonly deployments: ReadonlyMap<string, DeploymentPricing>;

  constructor(
    @Inject(SpendRepository) private readonly spend: SpendRepository,
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    @Inject(ANALYTICS_DATABASE) private readonly database: string,
    @Inject(CONFIG) config: SwitchyardConfig,
    @Inject(UsageSettlementService) private readonly settlement: UsageSettlementService,
    @Inject(SoftBudgetAlertJobs) private readonly softBudgetAlerts: SoftBudgetAlertJobs,
  ) {
    this.deployments = new Map(config.deployments.map((d) => [d.id, d]));
  }

  async process(events: UsageRecordedEvent[]): Promise<{ newlyCounted: number }> {
    if (events.length === 0) return { newlyCounted: 0 };
    const priced = events.map((e) => ({ event: e, ...priceUsageEvent(e, this.deployments) }));
    for (const p of priced) {
      const model = p.pricedAs ?? p.event.upstreamModel ?? p.event.deploymentId ?? p.event.requestedModel;
      if (p.unpriced && !this.unpriced.has(model)) {
        this.unpriced.add(model);
        this.logger.warn(
          `model "${model}" (deployment ${p.event.deploymentId ?? '?'}) has no price: its requests are recorded as unpriced (cost 0). ` +
            'Set model_info.base_model to a catalogue model, or its prices (model_info.input_cost_per_token, output_cost_per_token) in the config.',
        );
      }
    }
    let newIds: string[];
    try {
      const recorded = await this.spend.recordSpendTotals(
        priced.map((p) => ({
          requestId: p.event.requestId,
          keyId: p.event.keyId,
          teamId: p.event.teamId,
          userId: p.event.userId,
          endUser: p.event.endUser,
          model: p.event.requestedModel,
          costNanos: p.costNanos,
        })),
      );
      newIds = recorded.newIds;
      // Budget counters follow Postgres, and the gateway's reservations end, as soon as spend is durable.
      await this.settlement.settle(events, recorded.totals);
      await this.softBudgetAlerts.afterSpend(recorded.totals);
    } catch (e) {
      const failure = classifyStoreFailure(e);
      const hint = failure === 'unavailable' ? ' Check DATABASE_URL and that db migrations ran.' : '';
      throw new UsageStoreError(
        `Postgres recordSpend failed for ${events.length} events: ${(e as Error).message}.${hint}`,
        'postgres',
        failure,
        e,
      );
    }
    try {
      await insertUsageRows(
        this.clickhouse,
        this.database,
        priced.map((p) => usageRowFromEvent(p.event, p.costNanos, p.event.orgId, usageCost(p))),
      );
    } catch (e) {
      throw new UsageStoreError((e as Error).message, 'clickhouse', classifyStoreFailure(e), e);
    }
    return { newlyCounted: newIds.length };
  }
}

/** The analytics row's view of a priced event. */
function usageCost(p: PricedUsage): UsageCost {
  return {
    inputCostNanos: p.parts.inputNanos,
    cachedCostNanos: p.parts.cachedNanos,
    cacheWriteCostNanos: p.parts.cacheWriteNanos,
    outputCostNanos: p.parts.outputNanos,
    reasoningCostNanos: p.parts.reasoningNanos,
    otherCostNanos: p.parts.requestNanos + p.parts.imageNanos,
    retryCostNanos: p.retryCostNanos,
    billedAttempts: p.billedAttempts,
    unpriced: p.unpriced,
    priceSource: p.source ?? '',
    pricedAs: p.pricedAs ?? '',
    catalogueVersion: p.catalogueVersion,
  };
}

import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Redis } from 'ioredis';
import { ANALYTICS_DATABASE, analyticsReport, CLICKHOUSE, type AnalyticsRow } from '@switchyard/analytics';
import { CONFIG, ENV, type Env, type SwitchyardConfig } from '@switchyard/config';
import { BudgetsRepository } from '@switchyard/db';
import { JobHandler, JobRunner, JOBS_OPTIONS, JOBS_REDIS, type JobPayload, type JobsOptions } from '@switchyard/jobs';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** How many top spenders of each kind a report lists (LiteLLM's reports show five). */
export const REPORT_TOP = 5;
/** Periods a tick reports at most (after a long outage of the job workers, the most recent ones). */
const MAX_PERIODS_PER_TICK = 24;

/** general_settings.spend_report_frequency (`30s`, `15m`, `12h`, `1d`, ...) in ms; the config schema checked the form. */
export function reportPeriodMs(frequency: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(frequency);
  if (!m) throw new Error(`spend_report_frequency "${frequency}" is not a duration like 1d`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** The periods [from, to) of length `periodMs`, aligned to the epoch, that closed after `lastEndMs` and by `nowMs`. */
export function closedPeriods(
  periodMs: number,
  nowMs: number,
  lastEndMs: number | undefined,
): { fromMs: number; toMs: number }[] {
  const end = Math.floor(nowMs / periodMs) * periodMs;
  const first = Math.max(lastEndMs ?? end - periodMs, end - MAX_PERIODS_PER_TICK * periodMs);
  const out: { fromMs: number; toMs: number }[] = [];
  for (let to = first + periodMs; to <= end; to += periodMs) out.push({ fromMs: to - periodMs, toMs: to });
  return out;
}

const usd = (nanos: string) => Number(BigInt(nanos)) / 1e9;

/**
 * Scheduled spend reports, as LiteLLM's `spend_reports` (general_settings.alerting: ["webhook"],
 * spend_report_frequency, alert_types): a repeating BullMQ tick enqueues one report job per closed period (the
 * period is its job id, and the last period reported is kept in Redis, so no period is skipped or sent twice
 * when a tick runs late or on several instances); the report job reads the period's spend from ClickHouse
 * (usage FINAL: exact under redelivery) and POSTs it to WEBHOOK_URL, retried with backoff until it answers 2xx.
 */
@Injectable()
export class SpendReportJobs implements OnApplicationBootstrap {
  private readonly logger = new Logger('SpendReport');
  private readonly periodMs: number | undefined;
  private readonly webhookUrl: string | undefined;
  private readonly lastKey: string;

  constructor(
    @Inject(JobRunner) private readonly jobs: JobRunner,
    @Inject(JOBS_REDIS) private readonly redis: Redis,
    @Inject(JOBS_OPTIONS) opts: JobsOptions,
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    @Inject(ANALYTICS_DATABASE) private readonly database: string,
    @Inject(BudgetsRepository) private readonly budgets: BudgetsRepository,
    @Inject(ENV) env: Env,
    @Inject(CONFIG) config: SwitchyardConfig,
  ) {
    const wanted =
      config.spendReportFrequency !== undefined &&
      (config.alerting ?? []).includes('webhook') &&
      (config.alertTypes?.includes('spend_reports') ?? true);
    if (wanted && !env.WEBHOOK_URL)
      this.logger.warn(
        'general_settings.spend_report_frequency is set with alerting ["webhook"] but WEBHOOK_URL is not: no spend reports are sent. Set WEBHOOK_URL.',
      );
    this.webhookUrl = wanted ? env.WEBHOOK_URL : undefined;
    this.periodMs = this.webhookUrl ? reportPeriodMs(config.spendReportFrequency!) : undefined;
    this.lastKey = `${opts.prefix}:spend-report:last-end`;
  }

  async onApplicationBootstrap(): Promise<void> {
    // Also when reports are off: a schedule left by an earlier config stops.
    await this.jobs.schedule('reports.spend-report-tick', this.periodMs);
    if (this.periodMs !== undefined)
      this.logger.log(`a spend report goes to the webhook every ${this.periodMs / 1000} s of closed usage`);
  }

  @JobHandler('reports.spend-report-tick')
  async tick(): Promise<{ enqueued: number }> {
    if (this.periodMs === undefined) return { enqueued: 0 };
    const last = await this.redis.get(this.lastKey);
    const periods = closedPeriods(this.periodMs, Date.now(), last === null ? undefined : Number(last));
    for (const p of periods)
      await this.jobs.enqueue('reports.spend-report', p, { jobId: `spend-report.${p.fromMs}.${p.toMs}` });
    if (periods.length > 0) await this.redis.set(this.lastKey, String(periods.at(-1)!.toMs));
    return { enqueued: periods.length };
  }

  @JobHandler('reports.spend-report')
  async send(payload: JobPayload<'reports.spend-report'>): Promise<{ status: number }> {
    if (this.webhookUrl === undefined) throw new Error('WEBHOOK_URL is not set; the spend report cannot be sent.');
    const from = new Date(payload.fromMs);
    const to = new Date(payload.toMs);
    const [teams, keys] = await Promise.all([
      analyticsReport(this.clickhouse, this.database, { groupBy: ['team'], from, to }),
      analyticsReport(this.clickhouse, this.database, { groupBy: ['key'], from, to }),
    ]);
    const top = async (rows: AnalyticsRow[], level: 'team' | 'key') =>
      Promise.all(
        [...rows]
          .sort((a, b) => {
            const d = BigInt(b.spend_nanos) - BigInt(a.spend_nanos);
            return d > 0n ? 1 : d < 0n ? -1 : 0;
          })
          .slice(0, REPORT_TOP)
          .map(async (r) => {
            const id = String(r.dimensions[level] ?? '');
            const about = id ? await this.budgets.describe(level, id) : null;
            return {
              [`${level}_id`]: id || null,
              [`${level}_alias`]: about?.alias ?? null,
              spend: usd(r.spend_nanos),
              spend_nanos: r.spend_nanos,
              requests: Number(r.requests),
            };
          }),
      );
    const total = teams.totals;
    const body = {
      event: 'spend_report',
      event_group: 'spend_report',
      event_message: `Spend report ${from.toISOString()} to ${to.toISOString()}: $${usd(total.spend_nanos)} over ${Number(total.requests)} requests.`,
      period_start: from.toISOString(),
      period_end: to.toISOString(),
      spend: usd(total.spend_nanos),
      spend_nanos: total.spend_nanos,
      requests: Number(total.requests),
      top_teams: await top(teams.rows, 'team'),
      top_keys: await top(keys.rows, 'key'),
    };
    const res = await fetch(this.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    await res.body?.cancel().catch(() => undefined);
    // Not 2xx: fail, and BullMQ tries again after a backoff.
    if (res.status < 200 || res.status > 299) throw new Error(`the webhook answered ${res.status}; will retry`);
    return { status: res.status };
  }
}

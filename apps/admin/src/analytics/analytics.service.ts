import { Inject, Injectable } from '@nestjs/common';
import {
  ANALYTICS_DATABASE,
  analyticsReport,
  CLICKHOUSE,
  encodeReportCursor,
  usageLogs,
  type AnalyticsDimension,
  type AnalyticsMetrics,
  type AnalyticsRow,
  type ClickHouseClient,
  type UsageFilter,
  type UsageLogRow,
} from '@switchyard/analytics';
import { Errors, nanosToUsd } from '@switchyard/contracts';
import { ApiException } from '../common/api.exception';
import { isUnavailable } from '../spend/spend.service';
import { encodeCursor, MAX_LOG_LIMIT, parseAnalyticsQuery, parseLogsQuery } from './analytics-query';
import {
  toGlobalSpendReport,
  toKeySpendReport,
  toLitellmSpendLog,
  type GlobalSpendGroup,
  type LitellmSpendLog,
} from './litellm-spend';
import { toCsv } from './csv';

/** An answer in JSON, or CSV text when format=csv was asked for; `next` is the cursor of the next page, if any. */
export type Answer<T> = { json: T } | { csv: string; next?: string | null };

type MetricsJson = Omit<AnalyticsMetrics, 'spend_nanos'> & { spend: number; spend_nanos: string };
export type AnalyticsRowJson = Record<string, string | number | null>;

const METRIC_COLUMNS = [
  'spend',
  'spend_nanos',
  'requests',
  'errors',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'reasoning_tokens',
  'latency_ms_p50',
  'latency_ms_p95',
  'latency_ms_p99',
  'ttft_ms_p50',
  'unpriced_requests',
] as const;

function metricsJson(m: AnalyticsMetrics): MetricsJson {
  const { spend_nanos, ...rest } = m;
  return { spend: nanosToUsd(spend_nanos), spend_nanos, ...rest };
}

function rowJson(r: AnalyticsRow): AnalyticsRowJson {
  const { dimensions, bucket, ...m } = r;
  return { ...(bucket && { bucket: bucket.toISOString() }), ...dimensions, ...metricsJson(m) };
}

function logJson(r: UsageLogRow): AnalyticsRowJson & { tags: string } {
  return {
    request_id: r.request_id,
    created_at: new Date(r.ts * 1000).toISOString(),
    organization: r.org_id,
    team: r.team_id,
    key: r.key_id,
    user: r.user_id,
    end_user: r.end_user,
    tags: r.tags.join('|'),
    model: r.requested_model,
    deployment: r.deployment_id,
    provider: r.provider,
    upstream_model: r.upstream_model,
    status: r.status,
    error_type: r.error_type,
    prompt_tokens: Number(r.prompt_tokens),
    completion_tokens: Number(r.completion_tokens),
    cached_tokens: Number(r.cached_tokens),
    cache_write_tokens: Number(r.cache_write_tokens),
    reasoning_tokens: Number(r.reasoning_tokens),
    spend: nanosToUsd(r.cost_nanos),
    spend_nanos: r.cost_nanos,
    unpriced: Number(r.unpriced) === 1 ? 1 : 0,
    price_source: r.price_source,
    latency_ms: Number(r.latency_ms),
    ttft_ms: r.ttft_ms === null ? null : Number(r.ttft_ms),
    stream: Number(r.stream),
    fallback_depth: Number(r.fallback_depth),
    finish_reason: r.finish_reason || null,
  };
}

/** GET /v1/analytics and GET /v1/logs over the usage rows in ClickHouse. */
@Injectable()
export class AnalyticsService {
  constructor(
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    @Inject(ANALYTICS_DATABASE) private readonly database: string,
  ) {}

  async report(
    query: Record<string, unknown>,
  ): Promise<Answer<{ data: AnalyticsRowJson[]; totals: MetricsJson; next_cursor: string | null }>> {
    const q = parseAnalyticsQuery(query);
    const { rows, totals, next } = await this.guard(() =>
      analyticsReport(this.clickhouse, this.database, q, { page: q.page }),
    );
    const data = rows.map(rowJson);
    const nextCursor = next ? encodeReportCursor(next) : null;
    if (q.format === 'csv')
      return {
        csv: toCsv([...(q.interval ? ['bucket'] : []), ...q.groupBy, ...METRIC_COLUMNS], data),
        next: nextCursor,
      };
    return { json: { data, totals: metricsJson(totals), next_cursor: nextCursor } };
  }

  async logs(
    query: Record<string, unknown>,
  ): Promise<Answer<{ data: AnalyticsRowJson[]; next_cursor: string | null }>> {
    const q = parseLogsQuery(query);
    const rows = await this.guard(() => usageLogs(this.clickhouse, this.database, q.filter, q.limit, q.after));
    const data = rows.map(logJson);
    const last = rows[rows.length - 1];
    const next = rows.length === q.limit && last ? encodeCursor({ ts: last.ts, requestId: last.request_id }) : null;
    if (q.format === 'csv') return { csv: toCsv(data.length > 0 ? Object.keys(data[0]!) : ['request_id'], data), next };
    return { json: { data, next_cursor: next } };
  }

  /** LiteLLM's GET /spend/logs: requests newest first (at most 1000), by key id, user, request id or dates. */
  async litellmSpendLogs(filter: UsageFilter): Promise<LitellmSpendLog[]> {
    const rows = await this.guard(() => usageLogs(this.clickhouse, this.database, filter, MAX_LOG_LIMIT));
    return rows.map(toLitellmSpendLog);
  }

  /**
   * LiteLLM's GET /global/spend/report: spend per day and team (or customer, or key), per key and model; `names`
   * gives the teams' aliases, looked up by the caller from the team ids the rows carry.
   */
  async globalSpendReport(
    filter: UsageFilter,
    group: GlobalSpendGroup,
    names: (teamIds: string[]) => Promise<ReadonlyMap<string, string>>,
  ): Promise<Record<string, unknown>[]> {
    const dimension = group === 'team' ? 'team' : group === 'customer' ? 'end_user' : 'key';
    const groupBy: AnalyticsDimension[] = dimension === 'key' ? ['key', 'model'] : [dimension, 'key', 'model'];
    const { rows } = await this.guard(() =>
      analyticsReport(this.clickhouse, this.database, { ...filter, groupBy, interval: 'day' }),
    );
    const teamNames =
      group === 'team' ? await names([...new Set(rows.map((r) => String(r.dimensions.team)))]) : undefined;
    return toGlobalSpendReport(group, dimension, rows, teamNames);
  }

  /** LiteLLM's GET /global/spend/report?api_key= (or internal_user_id=): per key, per model. */
  async keySpendReport(filter: UsageFilter): Promise<Record<string, unknown>[]> {
    const { rows } = await this.guard(() =>
      analyticsReport(this.clickhouse, this.database, { ...filter, groupBy: ['key', 'model'] }),
    );
    return toKeySpendReport(rows);
  }

  private async guard<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      if (!isUnavailable(e)) throw e;
      throw new ApiException(Errors.unavailable(`Analytics unavailable: ${(e as Error).message}`));
    }
  }
}

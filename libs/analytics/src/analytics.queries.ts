import type { ClickHouseClient } from '@clickhouse/client';
import { analyticsError } from './analytics-client';
import { lit, sql, type SqlFragment } from './sql-literal';

/** What analytics groups and filters by, in the API's words, and the usage column (or expression) of each. */
export const ANALYTICS_DIMENSIONS = {
  team: sql`team_id`,
  key: sql`key_id`,
  user: sql`user_id`,
  end_user: sql`end_user`,
  organization: sql`org_id`,
  model: sql`requested_model`,
  deployment: sql`deployment_id`,
  provider: sql`provider`,
  // A request with several tags counts once under each (and under '' when it has none).
  tag: sql`arrayJoin(if(empty(tags), [''], tags))`,
  status: sql`status`,
} as const;
export type AnalyticsDimension = keyof typeof ANALYTICS_DIMENSIONS;
export const ANALYTICS_DIMENSION_NAMES = Object.keys(ANALYTICS_DIMENSIONS) as AnalyticsDimension[];

export type AnalyticsInterval = 'hour' | 'day' | 'month';

export interface UsageFilter {
  /** Inclusive, to the second. */
  from?: Date;
  /** Exclusive, to the second. */
  to?: Date;
  /** dimension → the one value it must have (status: a number). */
  equals?: Partial<Record<AnalyticsDimension, string | number>>;
  /** One request (found through the sort key's ts when `from`/`to` bound it; else a scan of the range). */
  requestId?: string;
}

export interface AnalyticsQuery extends UsageFilter {
  groupBy: AnalyticsDimension[];
  interval?: AnalyticsInterval;
}

export interface AnalyticsMetrics {
  spend_nanos: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  latency_ms_p50: number;
  latency_ms_p95: number;
  latency_ms_p99: number;
  /** null when no request of the row streamed a first token. */
  ttft_ms_p50: number | null;
  unpriced_requests: number;
}

export interface AnalyticsRow extends AnalyticsMetrics {
  /** The row's dimension values, by dimension name. */
  dimensions: Partial<Record<AnalyticsDimension, string | number>>;
  /** Start of the row's time bucket, when an interval was asked for. */
  bucket?: Date;
}

/** WHERE clause of a usage filter: every value through lit, so nothing a caller sends is SQL. */
export function usageWhere(f: UsageFilter): SqlFragment {
  const where: SqlFragment[] = [sql`1 = 1`];
  if (f.from) where.push(sql`ts >= ${lit.dateTime(f.from)}`);
  if (f.to) where.push(sql`ts < ${lit.dateTime(f.to)}`);
  for (const [dim, value] of Object.entries(f.equals ?? {}) as [AnalyticsDimension, string | number][]) {
    if (value === undefined) continue;
    if (dim === 'status') where.push(sql`status = ${lit.int(Number(value), { min: 0n, max: 999n })}`);
    else if (dim === 'tag') where.push(sql`has(tags, ${lit.string(String(value), { maxLength: 256 })})`);
    else where.push(sql`${ANALYTICS_DIMENSIONS[dim]} = ${lit.string(String(value), { maxLength: 256 })}`);
  }
  if (f.requestId !== undefined) where.push(sql`request_id = ${lit.string(f.requestId, { maxLength: 128 })}`);
  return sql.join(where, sql` AND `);
}

const METRICS = sql`toString(sum(cost_nanos)) AS spend_nanos,
  count() AS requests,
  countIf(status >= 400) AS errors,
  sum(prompt_tokens) AS prompt_tokens,
  sum(completion_tokens) AS completion_tokens,
  sum(cached_tokens) AS cached_tokens,
  sum(reasoning_tokens) AS reasoning_tokens,
  quantilesTiming(0.5, 0.95, 0.99)(latency_ms) AS latency_q,
  quantileTiming(0.5)(ttft_ms) AS ttft_p50,
  countIf(ttft_ms IS NOT NULL) AS ttft_n,
  sum(unpriced) AS unpriced_requests`;

const BUCKETS: Record<AnalyticsInterval, SqlFragment> = {
  hour: sql`intDiv(toUnixTimestamp(ts), 3600) * 3600`,
  day: sql`intDiv(toUnixTimestamp(ts), 86400) * 86400`,
  // toYYYYMM of a DateTime('UTC') column is the UTC month, whatever the server's time zone.
  month: sql`toYYYYMM(ts)`,
};

interface RawMetrics {
  spend_nanos: string;
  requests: string | number;
  errors: string | number;
  prompt_tokens: string | number;
  completion_tokens: string | number;
  cached_tokens: string | number;
  reasoning_tokens: string | number;
  latency_q: number[];
  ttft_p50: number | null;
  ttft_n: string | number;
  unpriced_requests: string | number;
}

function metrics(r: RawMetrics): AnalyticsMetrics {
  const q = r.latency_q ?? [];
  return {
    spend_nanos: r.spend_nanos,
    requests: Number(r.requests),
    errors: Number(r.errors),
    prompt_tokens: Number(r.prompt_tokens),
    completion_tokens: Number(r.completion_tokens),
    cached_tokens: Number(r.cached_tokens),
    reasoning_tokens: Number(r.reasoning_tokens),
    latency_ms_p50: Number(q[0] ?? 0),
    latency_ms_p95: Number(q[1] ?? 0),
    latency_ms_p99: Number(q[2] ?? 0),
    ttft_ms_p50: Number(r.ttft_n) > 0 && r.ttft_p50 !== null ? Number(r.ttft_p50) : null,
    unpriced_requests: Number(r.unpriced_requests),
  };
}

function bucketDate(interval: AnalyticsInterval, raw: string | number): Date {
  const n = Number(raw);
  if (interval === 'month') return new Date(Date.UTC(Math.floor(n / 100), (n % 100) - 1, 1));
  return new Date(n * 1000);
}

/**
 * Spend, requests, errors, tokens and latency grouped by any dimensions and, optionally, a time bucket,
 * with totals over the whole filtered range (computed apart, so a request with several tags is counted
 * once in the totals). Reads `usage FINAL`, so a redelivered event never counts twice.
 */
export async function analyticsReport(
  client: ClickHouseClient,
  database: string,
  q: AnalyticsQuery,
): Promise<{ rows: AnalyticsRow[]; totals: AnalyticsMetrics }> {
  const keys: { name: string; expr: SqlFragment }[] = q.groupBy.map((d) => ({
    name: d,
    expr: ANALYTICS_DIMENSIONS[d],
  }));
  if (q.interval) keys.unshift({ name: 'bucket', expr: BUCKETS[q.interval] });
  const table = lit.table(database, 'usage');
  const where = usageWhere(q);
  const select = keys.map((k) => sql`${k.expr} AS ${lit.ident(`k_${k.name}`)}`);
  const grouped =
    keys.length === 0
      ? undefined
      : sql`SELECT ${sql.join(select, sql`, `)}, ${METRICS} FROM ${table} FINAL WHERE ${where}
GROUP BY ${sql.join(
          keys.map((k) => lit.ident(`k_${k.name}`)),
          sql`, `,
        )}
ORDER BY ${q.interval ? sql`k_bucket ASC, ` : sql``}sum(cost_nanos) DESC, count() DESC
LIMIT 10000`;
  const totalsQuery = sql`SELECT ${METRICS} FROM ${table} FINAL WHERE ${where}`;
  try {
    const [rows, totals] = await Promise.all([
      grouped ? json<RawMetrics & Record<string, string | number>>(client, grouped) : Promise.resolve([]),
      json<RawMetrics>(client, totalsQuery),
    ]);
    return {
      rows: rows.map((r) => {
        const dimensions: AnalyticsRow['dimensions'] = {};
        for (const d of q.groupBy) dimensions[d] = d === 'status' ? Number(r[`k_${d}`]) : String(r[`k_${d}`]);
        return {
          dimensions,
          ...(q.interval && { bucket: bucketDate(q.interval, r['k_bucket']!) }),
          ...metrics(r),
        };
      }),
      totals: metrics(totals[0]!),
    };
  } catch (e) {
    throw analyticsError('analytics report', database, e);
  }
}

async function json<T>(client: ClickHouseClient, query: SqlFragment): Promise<T[]> {
  const rs = await client.query({ query: query.text, format: 'JSONEachRow' });
  return rs.json<T>();
}

/** One request of GET /v1/logs. */
export interface UsageLogRow {
  request_id: string;
  ts: number;
  org_id: string;
  team_id: string;
  key_id: string;
  user_id: string;
  end_user: string;
  tags: string[];
  requested_model: string;
  deployment_id: string;
  provider: string;
  upstream_model: string;
  status: number;
  error_type: string;
  prompt_tokens: string;
  completion_tokens: string;
  cached_tokens: string;
  cache_write_tokens: string;
  reasoning_tokens: string;
  cost_nanos: string;
  unpriced: number;
  price_source: string;
  finish_reason: string;
  latency_ms: number;
  ttft_ms: number | null;
  stream: number;
  fallback_depth: number;
}

/** Where a page of logs ends: the next page starts strictly after it (newest first). */
export interface LogCursor {
  ts: number;
  requestId: string;
}

/**
 * Requests newest first, `limit` at a time; `after` is the last row of the previous page, so pages never
 * overlap or skip a row even as new requests arrive (they are newer than every page already read).
 */
export async function usageLogs(
  client: ClickHouseClient,
  database: string,
  f: UsageFilter,
  limit: number,
  after?: LogCursor,
): Promise<UsageLogRow[]> {
  const conditions = [usageWhere(f)];
  if (after) {
    const at = lit.dateTime(new Date(after.ts * 1000));
    const id = lit.string(after.requestId, { maxLength: 128 });
    conditions.push(sql`(ts < ${at} OR (ts = ${at} AND request_id < ${id}))`);
  }
  const query = sql`SELECT request_id, toUnixTimestamp(ts) AS ts, org_id, team_id, key_id, user_id, end_user, tags,
  requested_model, deployment_id, provider, upstream_model, status, error_type, toString(prompt_tokens) AS prompt_tokens,
  toString(completion_tokens) AS completion_tokens, toString(cached_tokens) AS cached_tokens,
  toString(cache_write_tokens) AS cache_write_tokens, toString(reasoning_tokens) AS reasoning_tokens,
  toString(cost_nanos) AS cost_nanos, unpriced, price_source, finish_reason, latency_ms, ttft_ms, stream, fallback_depth
FROM ${lit.table(database, 'usage')} FINAL
WHERE ${sql.join(conditions, sql` AND `)}
ORDER BY ts DESC, request_id DESC
LIMIT ${lit.int(limit, { min: 1n, max: 10_000n })}`;
  try {
    return (await json<UsageLogRow>(client, query)).map((r) => ({ ...r, ts: Number(r.ts) }));
  } catch (e) {
    throw analyticsError('usage logs', database, e);
  }
}

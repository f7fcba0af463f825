import type { ClickHouseClient } from '@clickhouse/client';
import { clampTokens, nanosToUsd, storableText } from '@switchyard/contracts';
import { analyticsError } from './analytics-client';
import { lit, sql, type SqlFragment } from './sql-literal';
import type { UsageRow } from './usage-row';

const UINT32_MAX = 4_294_967_295;
const UINT8_MAX = 255;

// Measurements beyond the column's range (a 49-day latency, a 256th fallback) are recorded as its maximum;
// money is never capped (token counts are bounded by the usage event, which flags a clamped one).
const cap = (n: number, max: number): number => Math.min(Math.max(0, Math.round(n)), max);

/**
 * Every string as ClickHouse takes it (well-formed UTF-16: a lone surrogate makes it refuse the whole
 * insert), bounded. Usage events are made storable where they are built; this keeps one row that was not
 * from costing its whole batch its place.
 */
const text = (s: string): string => storableText(s, MAX_TEXT);
const MAX_TEXT = 1024;

function toRecord(r: UsageRow, version: number) {
  const c = r.cost;
  const date = new Date(r.ts).toISOString();
  return {
    request_id: text(r.requestId),
    ts: Math.floor(r.ts / 1000),
    date: date.slice(0, 10),
    org_id: text(r.orgId),
    team_id: text(r.teamId),
    user_id: text(r.userId),
    key_id: text(r.keyId),
    end_user: text(r.endUser),
    tags: r.tags.map(text),
    requested_model: text(r.requestedModel),
    deployment_id: text(r.deploymentId),
    provider: text(r.provider),
    upstream_model: text(r.upstreamModel),
    status: r.status,
    error_type: text(r.errorType),
    prompt_tokens: clampTokens(r.promptTokens),
    completion_tokens: clampTokens(r.completionTokens),
    cached_tokens: clampTokens(r.cachedTokens),
    reasoning_tokens: clampTokens(r.reasoningTokens),
    cost_nanos: r.costNanos.toString(),
    latency_ms: cap(r.latencyMs, UINT32_MAX),
    ttft_ms: r.ttftMs === null ? null : cap(r.ttftMs, UINT32_MAX),
    stream: r.stream ? 1 : 0,
    cache_hit: r.cacheHit ? 1 : 0,
    fallback_depth: cap(r.fallbackDepth, UINT8_MAX),
    usage_estimated: r.usageEstimated ? 1 : 0,
    usage_clamped: r.usageClamped ? 1 : 0,
    cache_write_tokens: clampTokens(r.cacheWriteTokens ?? 0),
    input_cost_nanos: (c?.inputCostNanos ?? 0n).toString(),
    cached_cost_nanos: (c?.cachedCostNanos ?? 0n).toString(),
    cache_write_cost_nanos: (c?.cacheWriteCostNanos ?? 0n).toString(),
    output_cost_nanos: (c?.outputCostNanos ?? 0n).toString(),
    reasoning_cost_nanos: (c?.reasoningCostNanos ?? 0n).toString(),
    other_cost_nanos: (c?.otherCostNanos ?? 0n).toString(),
    retry_cost_nanos: (c?.retryCostNanos ?? 0n).toString(),
    billed_attempts: cap(c?.billedAttempts ?? 0, UINT8_MAX),
    unpriced: c?.unpriced ? 1 : 0,
    price_source: text(c?.priceSource ?? ''),
    priced_as: text(c?.pricedAs ?? ''),
    catalogue_version: text(c?.catalogueVersion ?? ''),
    finish_reason: text(r.finishReason ?? ''),
    inserted_at: Math.floor(version / 1000),
    version,
  };
}

/** Inserts usage rows in one request. A row inserted twice (same request) collapses: see the migration. */
export async function insertUsageRows(client: ClickHouseClient, database: string, rows: UsageRow[]): Promise<void> {
  if (rows.length === 0) return;
  const table = lit.table(database, 'usage').text;
  const version = Date.now();
  try {
    await client.insert({ table, values: rows.map((r) => toRecord(r, version)), format: 'JSONEachRow' });
  } catch (e) {
    throw analyticsError(`insert of ${rows.length} usage row(s)`, database, conciseClickHouseError(e));
  }
}

/**
 * ClickHouse's answer to a refused insert is many lines (its stack trace, and on some versions the rows it
 * could not parse): one line of it, bounded, is what a log needs. The original stays as `cause`.
 */
export function conciseClickHouseError(e: unknown): Error {
  const message = e instanceof Error ? e.message : String(e);
  const line = message.replace(/\s*\n[\s\S]*$/, '').replace(/, e\.what\(\) = .*$/, '');
  const out = new Error(line.length > 300 ? `${line.slice(0, 300)}…` : line);
  const code = (e as { code?: unknown } | null)?.code;
  if (code !== undefined) (out as Error & { code?: unknown }).code = code;
  (out as Error & { cause?: unknown }).cause = e;
  return out;
}

export interface SpendReportQuery {
  groupBy: 'team' | 'model';
  /** Inclusive. Rows have one-second resolution: bounds are rounded down to the second. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  teamId?: string;
}

export interface SpendReportRow {
  group: string;
  /** USD, for display; spendNanos is the exact amount. */
  spend: number;
  spendNanos: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
}

function usageFilters(q: { from?: Date; to?: Date; teamId?: string; keyId?: string }): SqlFragment {
  const where: SqlFragment[] = [sql`1 = 1`];
  // Both bounds round down to the second, so back-to-back windows [a, b) and [b, c) never share a row.
  if (q.from) where.push(sql`ts >= ${lit.dateTime(q.from)}`);
  if (q.to) where.push(sql`ts < ${lit.dateTime(q.to)}`);
  if (q.teamId !== undefined) where.push(sql`team_id = ${lit.string(q.teamId, { maxLength: 128 })}`);
  if (q.keyId !== undefined) where.push(sql`key_id = ${lit.string(q.keyId, { maxLength: 128 })}`);
  return sql.join(where, sql` AND `);
}

/** Spend per team or per requested model, deduplicated, biggest first. */
export async function spendReport(
  client: ClickHouseClient,
  database: string,
  q: SpendReportQuery,
): Promise<SpendReportRow[]> {
  const column = q.groupBy === 'team' ? sql`team_id` : sql`requested_model`;
  const query = sql`
SELECT ${column} AS grp,
  toString(sum(cost_nanos)) AS spend_nanos,
  count() AS requests,
  sum(prompt_tokens) AS prompt_tokens,
  sum(completion_tokens) AS completion_tokens
FROM ${lit.table(database, 'usage')} FINAL
WHERE ${usageFilters(q)}
GROUP BY grp
ORDER BY sum(cost_nanos) DESC, grp ASC`;
  let rows: {
    grp: string;
    spend_nanos: string;
    requests: string | number;
    prompt_tokens: string | number;
    completion_tokens: string | number;
  }[];
  try {
    const rs = await client.query({ query: query.text, format: 'JSONEachRow' });
    rows = await rs.json();
  } catch (e) {
    throw analyticsError('spend report', database, e);
  }
  return rows.map((r) => ({
    group: r.grp,
    spend: nanosToUsd(r.spend_nanos),
    spendNanos: r.spend_nanos,
    requests: Number(r.requests),
    prompt_tokens: Number(r.prompt_tokens),
    completion_tokens: Number(r.completion_tokens),
  }));
}

/** Number of distinct usage rows (duplicates collapsed), optionally of one key. */
export async function countUsageRows(
  client: ClickHouseClient,
  database: string,
  filter: { keyId?: string } = {},
): Promise<number> {
  const query = sql`SELECT count() AS n FROM ${lit.table(database, 'usage')} FINAL WHERE ${usageFilters(filter)}`;
  try {
    const rs = await client.query({ query: query.text, format: 'JSONEachRow' });
    const rows = await rs.json<{ n: string | number }>();
    return Number(rows[0]?.n ?? 0);
  } catch (e) {
    throw analyticsError('usage row count', database, e);
  }
}

/** One request's stored usage row, as ClickHouse returns it (64-bit integers as strings). */
export interface StoredUsageRecord {
  request_id: string;
  ts: string;
  team_id: string;
  key_id: string;
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
  input_cost_nanos: string;
  cached_cost_nanos: string;
  cache_write_cost_nanos: string;
  output_cost_nanos: string;
  reasoning_cost_nanos: string;
  other_cost_nanos: string;
  retry_cost_nanos: string;
  unpriced: number;
  price_source: string;
  priced_as: string;
  catalogue_version: string;
  finish_reason: string;
  latency_ms: number;
  ttft_ms: number | null;
  stream: number;
}

const RECORD_COLUMNS = sql`request_id, toUnixTimestamp(ts) AS ts, team_id, key_id, requested_model, deployment_id,
  provider, upstream_model, status, error_type, toString(prompt_tokens) AS prompt_tokens,
  toString(completion_tokens) AS completion_tokens, toString(cached_tokens) AS cached_tokens,
  toString(cache_write_tokens) AS cache_write_tokens, toString(reasoning_tokens) AS reasoning_tokens,
  toString(cost_nanos) AS cost_nanos, toString(input_cost_nanos) AS input_cost_nanos,
  toString(cached_cost_nanos) AS cached_cost_nanos, toString(cache_write_cost_nanos) AS cache_write_cost_nanos,
  toString(output_cost_nanos) AS output_cost_nanos, toString(reasoning_cost_nanos) AS reasoning_cost_nanos,
  toString(other_cost_nanos) AS other_cost_nanos, toString(retry_cost_nanos) AS retry_cost_nanos, unpriced,
  price_source, priced_as, catalogue_version, finish_reason, latency_ms, ttft_ms, stream`;

/**
 * One request's row by its id, without a full scan: usage_by_request gives its (team, ts), the usage table's
 * sort key, so both reads are primary-key lookups. Undefined when spend has not recorded it (yet).
 */
export async function findUsageRecord(
  client: ClickHouseClient,
  database: string,
  requestId: string,
): Promise<StoredUsageRecord | undefined> {
  const id = lit.string(requestId, { maxLength: 128 });
  try {
    const located = await client.query({
      query: sql`SELECT team_id, toUnixTimestamp(ts) AS ts FROM ${lit.table(database, 'usage_by_request')} FINAL
WHERE request_id = ${id} LIMIT 1`.text,
      format: 'JSONEachRow',
    });
    const [where] = await located.json<{ team_id: string; ts: number | string }>();
    if (!where) return undefined;
    const rs = await client.query({
      // Every column of the condition is in the sort key FINAL collapses by, so it may run as PREWHERE.
      query: sql`SELECT ${RECORD_COLUMNS} FROM ${lit.table(database, 'usage')} FINAL
PREWHERE team_id = ${lit.string(where.team_id, { maxLength: 1024 })} AND ts = toDateTime(${lit.uint(Number(where.ts))})
  AND request_id = ${id} LIMIT 1`.text,
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<StoredUsageRecord>();
    return row;
  } catch (e) {
    throw analyticsError('usage lookup by request id', database, e);
  }
}

/** Where the current UTC day, week (from Monday, as OpenRouter counts it) and month began, at `now`. */
export function usageWindowStarts(now: Date): { day: Date; week: Date; month: Date } {
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return {
    day,
    week: new Date(day.getTime() - sinceMonday * 86_400_000),
    month: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
  };
}

/** A key's recorded spend (nano-USD) in all, and in the current UTC day, week and month. */
export interface KeyUsageWindows {
  totalNanos: bigint;
  dailyNanos: bigint;
  weeklyNanos: bigint;
  monthlyNanos: bigint;
}

/**
 * One key's spend per calendar window, deduplicated (FINAL), in one query. `keyId` '' is the master key's
 * requests. Read by the self-service routes, never on the request path.
 */
export async function keyUsageWindows(
  client: ClickHouseClient,
  database: string,
  keyId: string,
  now: Date = new Date(),
): Promise<KeyUsageWindows> {
  const w = usageWindowStarts(now);
  const query = sql`SELECT toString(sum(cost_nanos)) AS total,
  toString(sumIf(cost_nanos, ts >= ${lit.dateTime(w.day)})) AS daily,
  toString(sumIf(cost_nanos, ts >= ${lit.dateTime(w.week)})) AS weekly,
  toString(sumIf(cost_nanos, ts >= ${lit.dateTime(w.month)})) AS monthly
FROM ${lit.table(database, 'usage')} FINAL
WHERE ${usageFilters({ keyId })}`;
  let row: { total: string; daily: string; weekly: string; monthly: string } | undefined;
  try {
    const rs = await client.query({ query: query.text, format: 'JSONEachRow' });
    [row] = await rs.json<{ total: string; daily: string; weekly: string; monthly: string }>();
  } catch (e) {
    throw analyticsError('key usage windows', database, e);
  }
  return {
    totalNanos: BigInt(row?.total ?? '0'),
    dailyNanos: BigInt(row?.daily ?? '0'),
    weeklyNanos: BigInt(row?.weekly ?? '0'),
    monthlyNanos: BigInt(row?.monthly ?? '0'),
  };
}

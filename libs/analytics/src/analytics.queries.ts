import type { ClickHouseClient } from '@clickhouse/client';
import { analyticsError } from './analytics-client';
import { planSegments, type PlanSegment, type PlanSource, type RollupCoverage } from './analytics-plan';
import { bucketsAfter, bucketStart, nextWindowBuckets, pageOfWindow, type ReportCursor } from './analytics-pages';
import { lit, sql, type SqlFragment } from './sql-literal';
import {
  readRollupCoverage,
  rollupCubeFor,
  rollupRows,
  usagePrewhere,
  usageTimeRange,
  type RollupCube,
} from './usage-rollups';

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

/**
 * The same metrics in two steps, so parts of a range read from different sources (raw rows, hourly and daily
 * rollups) merge exactly: sums add up, and quantileTiming states merge into the same quantiles as one pass
 * over all the rows (the state is the multiset of values, or its exact histogram above 5,670 values).
 */
const PARTIAL_FROM_RAW = sql`sum(cost_nanos) AS p_cost, count() AS p_requests, countIf(status >= 400) AS p_errors,
  sum(prompt_tokens) AS p_prompt, sum(completion_tokens) AS p_completion, sum(cached_tokens) AS p_cached,
  sum(reasoning_tokens) AS p_reasoning, sum(unpriced) AS p_unpriced, countIf(ttft_ms IS NOT NULL) AS p_ttft_n,
  quantilesTimingState(0.5, 0.95, 0.99)(latency_ms) AS p_latency,
  quantileTimingStateIf(0.5)(assumeNotNull(ttft_ms), isNotNull(ttft_ms)) AS p_ttft`;
const PARTIAL_FROM_ROLLUP = sql`sum(cost_nanos) AS p_cost, sum(requests) AS p_requests, sum(errors) AS p_errors,
  sum(prompt_tokens) AS p_prompt, sum(completion_tokens) AS p_completion, sum(cached_tokens) AS p_cached,
  sum(reasoning_tokens) AS p_reasoning, sum(unpriced) AS p_unpriced, sum(ttft_n) AS p_ttft_n,
  quantilesTimingMergeState(0.5, 0.95, 0.99)(latency_q) AS p_latency, quantileTimingMergeState(0.5)(ttft_q) AS p_ttft`;
const MERGED_METRICS = sql`toString(sum(p_cost)) AS spend_nanos,
  sum(p_requests) AS requests,
  sum(p_errors) AS errors,
  sum(p_prompt) AS prompt_tokens,
  sum(p_completion) AS completion_tokens,
  sum(p_cached) AS cached_tokens,
  sum(p_reasoning) AS reasoning_tokens,
  quantilesTimingMerge(0.5, 0.95, 0.99)(p_latency) AS latency_q,
  quantileTimingMerge(0.5)(p_ttft) AS ttft_p50,
  sum(p_ttft_n) AS ttft_n,
  sum(p_unpriced) AS unpriced_requests`;

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

export interface AnalyticsReportOptions {
  /**
   * 'auto' (default) reads the rollups for the closed buckets they hold and the raw rows for the rest;
   * 'raw' reads only the raw rows (the reference the rollup path is tested and measured against).
   */
  source?: 'auto' | 'raw';
  /** One page of the grouped rows (every row when absent): `limit` rows after `after`. */
  page?: { limit: number; after?: ReportCursor };
}

interface ReportKey {
  name: string;
  expr: SqlFragment;
}

const seconds = (d: Date | undefined): number | undefined => (d ? Math.floor(d.getTime() / 1000) : undefined);

type RawRow = RawMetrics & Record<string, string | number>;
/** The query of a report's rows (or totals, without keys) over a range, by whichever sources the plan picks. */
type BuildQuery = (range: AnalyticsQuery, keys: ReportKey[], limit?: RowLimit, withTotals?: boolean) => SqlFragment;

/**
 * Spend, requests, errors, tokens and latency grouped by any dimensions and, optionally, a time bucket,
 * with totals over the whole filtered range (computed apart, so a request with several tags is counted
 * once in the totals). Reads `usage FINAL`, so a redelivered event never counts twice; closed hours and days
 * come from the rollups when a rollup cube holds every dimension asked for (see usage-rollups.ts), with
 * results identical to reading the raw rows. With `page`, returns that page of the rows and the cursor of
 * the next (`next`, absent on the last page); a bucketed report reads only the buckets the page needs.
 */
export async function analyticsReport(
  client: ClickHouseClient,
  database: string,
  q: AnalyticsQuery,
  opts: AnalyticsReportOptions = {},
): Promise<AnalyticsReport> {
  if (opts.source === 'raw') return reportWith(client, database, q, opts, undefined);
  let fresh: RollupCoverage;
  try {
    const reading = readRollupCoverage(client, database);
    const last = lastCoverage.get(database);
    if (last) {
      // Planned with the coverage the last report read, while this one's is read: when they are the same
      // (they change when a rollup run ends or a closed hour receives rows), the answer is the one this
      // coverage gives, a round trip sooner; otherwise it is planned again.
      const [guess, now] = await Promise.all([
        reportWith(client, database, q, opts, last).catch(() => undefined),
        reading,
      ]);
      lastCoverage.set(database, now);
      if (guess && sameCoverage(last, now)) return guess;
      fresh = now;
    } else {
      fresh = await reading;
      lastCoverage.set(database, fresh);
    }
  } catch (e) {
    throw analyticsError('analytics report', database, e);
  }
  return reportWith(client, database, q, opts, fresh);
}

export interface AnalyticsReport {
  rows: AnalyticsRow[];
  totals: AnalyticsMetrics;
  next?: ReportCursor;
}

/** The rollup coverage each database's last report read (see analyticsReport). */
const lastCoverage = new Map<string, RollupCoverage>();

function sameCoverage(a: RollupCoverage, b: RollupCoverage): boolean {
  if (a.watermark !== b.watermark || a.staleHours.length !== b.staleHours.length) return false;
  const hours = new Set(a.staleHours);
  return b.staleHours.every((h) => hours.has(h));
}

/** A report planned against `coverage` (raw rows only when undefined). */
async function reportWith(
  client: ClickHouseClient,
  database: string,
  q: AnalyticsQuery,
  opts: AnalyticsReportOptions,
  coverage: RollupCoverage | undefined,
): Promise<AnalyticsReport> {
  const keys: ReportKey[] = q.groupBy.map((d) => ({ name: d, expr: ANALYTICS_DIMENSIONS[d] }));
  if (q.interval) keys.unshift({ name: 'bucket', expr: BUCKETS[q.interval] });
  try {
    // Every query of the report plans against the same coverage: the parts of one answer agree.
    const build: BuildQuery = (range, k, limit, withTotals) => {
      const { cube, segments } = coverage ? planWith(coverage, range) : {};
      return segments && cube
        ? plannedQuery(database, range, k, cube, segments, limit, withTotals)
        : rawQuery(database, range, k, limit, withTotals);
    };
    const page = opts.page;
    const from = seconds(q.from);
    const to = seconds(q.to);
    // The first page of a range of a few buckets is read whole, as a report without interval is: one query.
    const fewBuckets =
      q.interval !== undefined &&
      !page?.after &&
      from !== undefined &&
      to !== undefined &&
      from < to &&
      bucketsBetween(q.interval, from, to) <= FEW_BUCKETS;
    const windowed = page !== undefined && q.interval !== undefined && !fewBuckets;
    // Rows over the whole range (not a window of buckets), none counted twice (a request with several tags is
    // a row under each): one pass gives the rows and, WITH TOTALS, the totals. Otherwise the totals are a
    // query apart, from the smallest cube holding the filters, whatever the grouping.
    const together = keys.length > 0 && !windowed && !q.groupBy.includes('tag');
    const totalsQuery = together
      ? undefined
      : json<RawMetrics>(client, build({ ...q, groupBy: [], interval: undefined }, []));
    // Awaited after the rows: should the rows fail first, its own failure must not go unhandled.
    totalsQuery?.catch(() => undefined);
    let rows: RawRow[] = [];
    let next: ReportCursor | undefined;
    let totals: RawMetrics | undefined;
    if (windowed)
      ({ rows, next } = await bucketedPage(client, database, { ...q, interval: q.interval! }, keys, page!, build));
    else if (keys.length > 0) {
      const offset = page?.after?.offset ?? 0;
      const got = await rowsAndTotals<RawRow, RawMetrics>(
        client,
        build(q, keys, page && { offset, count: page.limit + 1 }, together),
        together,
      );
      totals = got.totals;
      rows = got.data;
      if (page && q.interval) {
        const cut = pageOfWindow(
          rows.map((r) => bucketStartOf(q.interval!, r['k_bucket']!)),
          0,
          page.limit,
          true,
        );
        rows = rows.slice(cut.from, cut.to);
        next = cut.next;
      } else if (page) {
        if (rows.length > page.limit) next = { offset: offset + page.limit };
        rows = rows.slice(0, page.limit);
      }
    }
    totals ??= (await totalsQuery!)[0]!;
    return { rows: rows.map((r) => reportRow(q, r)), totals: metrics(totals), ...(next && { next }) };
  } catch (e) {
    throw analyticsError('analytics report', database, e);
  }
}

function reportRow(q: AnalyticsQuery, r: RawRow): AnalyticsRow {
  const dimensions: AnalyticsRow['dimensions'] = {};
  for (const d of q.groupBy) dimensions[d] = d === 'status' ? Number(r[`k_${d}`]) : String(r[`k_${d}`]);
  return {
    dimensions,
    ...(q.interval && { bucket: bucketDate(q.interval, r['k_bucket']!) }),
    ...metrics(r),
  };
}

/**
 * One page of a bucketed report: windows of whole buckets from the cursor's bucket (or the first bucket with
 * rows), each wider than the last, until one holds the page or reaches the end of the range.
 */
async function bucketedPage(
  client: ClickHouseClient,
  database: string,
  q: AnalyticsQuery & { interval: AnalyticsInterval },
  keys: ReportKey[],
  page: { limit: number; after?: ReportCursor },
  build: BuildQuery,
): Promise<{ rows: RawRow[]; next?: ReportCursor }> {
  const from = seconds(q.from);
  const to = seconds(q.to) ?? Infinity;
  let start = page.after?.bucket !== undefined ? Math.max(from ?? 0, page.after.bucket) : from;
  if (start === undefined) {
    // No lower bound: start at the first row the filters keep.
    const [first] = await json<{ n: string; first: string | number }>(
      client,
      sql`SELECT count() AS n, toUnixTimestamp(min(ts)) AS first FROM ${lit.table(database, 'usage')} WHERE ${usageWhere(q)}`,
    );
    if (Number(first?.n ?? 0) === 0) return { rows: [] };
    start = Number(first!.first);
  }
  if (!(start < to)) return { rows: [] };
  const offset = page.after?.bucket !== undefined ? page.after.offset : 0;
  const needed = offset + page.limit + 1;
  // A range without an end reaches to now; the window that passes now has no end (a row stamped ahead of
  // this clock is still read).
  const now = Math.floor(Date.now() / 1000);
  const span = Math.max(1, bucketsBetween(q.interval, start, Number.isFinite(to) ? to : Math.max(start, now) + 1));
  // The first window is a day (24 hourly buckets, or one daily), and a range of a few buckets (a quarter by
  // month) is read whole: a second round trip costs more than a few more rows.
  let spanned = span <= FEW_BUCKETS ? span : Math.min(span, q.interval === 'hour' ? 24 : 1);
  for (;;) {
    let end = Math.min(to, bucketsAfter(q.interval, start, spanned));
    if (!Number.isFinite(to) && end > now) end = Infinity;
    const reachedEnd = end >= to;
    const range: AnalyticsQuery = {
      ...q,
      from: new Date(start * 1000),
      ...(Number.isFinite(end) ? { to: new Date(end * 1000) } : { to: undefined }),
    };
    const got = await json<RawRow>(client, build(range, keys, { offset: 0, count: needed }));
    const buckets = got.map((r) => bucketStartOf(q.interval, r['k_bucket']!));
    const cut = pageOfWindow(buckets, offset, page.limit, reachedEnd);
    if (cut.complete) return { rows: got.slice(cut.from, cut.to), ...(cut.next && { next: cut.next }) };
    spanned = nextWindowBuckets(spanned, got.length, needed, span);
  }
}

/** A bucketed range of at most this many buckets is read in one window. */
const FEW_BUCKETS = 4;

/** Buckets from the one holding `a` up to `b` (exclusive end, epoch seconds). */
function bucketsBetween(interval: AnalyticsInterval, a: number, b: number): number {
  if (interval !== 'month') return Math.ceil((b - bucketStart(interval, a)) / (interval === 'hour' ? 3_600 : 86_400));
  const x = new Date(a * 1000);
  const y = new Date((b - 1) * 1000);
  return (y.getUTCFullYear() - x.getUTCFullYear()) * 12 + (y.getUTCMonth() - x.getUTCMonth()) + 1;
}

/** A row's bucket (as ClickHouse returns it: epoch seconds, or YYYYMM for months) as its start, epoch seconds. */
function bucketStartOf(interval: AnalyticsInterval, raw: string | number): number {
  return bucketDate(interval, raw).getTime() / 1000;
}

/**
 * How a report is read: the rollup cube holding its dimensions and the range split by source, or nothing
 * when it is read from the raw rows only (no cube holds a dimension, a request id is asked for, or no part
 * of the range is rolled up).
 */
export async function analyticsPlan(
  client: ClickHouseClient,
  database: string,
  q: AnalyticsQuery,
): Promise<{ cube?: RollupCube; segments?: PlanSegment[] }> {
  return planWith(await readRollupCoverage(client, database), q);
}

function planWith(coverage: RollupCoverage, q: AnalyticsQuery): { cube?: RollupCube; segments?: PlanSegment[] } {
  const filtered = (Object.keys(q.equals ?? {}) as AnalyticsDimension[]).filter((d) => q.equals?.[d] !== undefined);
  const cube = q.requestId !== undefined ? undefined : rollupCubeFor([...q.groupBy, ...filtered]);
  if (!cube) return {};
  const segments = planSegments(
    {
      from: seconds(q.from),
      to: seconds(q.to),
      allowHours: cube.grains.includes('hour'),
      allowDays: cube.grains.includes('day') && q.interval !== 'hour',
    },
    coverage,
  );
  return segments.every((s) => s.source === 'raw') ? {} : { cube, segments };
}

const keyNames = (keys: ReportKey[]): SqlFragment =>
  sql.join(
    keys.map((k) => lit.ident(`k_${k.name}`)),
    sql`, `,
  );
const keySelect = (keys: ReportKey[]): SqlFragment =>
  sql.join(
    keys.map((k) => sql`${k.expr} AS ${lit.ident(`k_${k.name}`)}, `),
    sql``,
  );

/** Rows `offset` to `offset + count` of the ordered grouped rows. */
interface RowLimit {
  offset: number;
  count: number;
}

/**
 * Grouped rows: buckets in order, then biggest spend first; ties broken by the keys, so the order is stable
 * (pages never overlap). `limit`: rows `offset` to `offset + count`; all rows when absent.
 */
function groupTail(
  q: AnalyticsQuery,
  keys: ReportKey[],
  spend: SqlFragment,
  count: SqlFragment,
  limit: RowLimit | undefined,
  withTotals = false,
): SqlFragment {
  if (keys.length === 0) return sql``;
  const rest = keys.filter((k) => k.name !== 'bucket').map((k) => sql`${lit.ident(`k_${k.name}`)} ASC`);
  return sql`
GROUP BY ${keyNames(keys)}${withTotals ? sql` WITH TOTALS` : sql``}
ORDER BY ${q.interval ? sql`k_bucket ASC, ` : sql``}${spend} DESC, ${count} DESC${sql.join(
    rest.map((r) => sql`, ${r}`),
    sql``,
  )}${
    limit
      ? sql`
LIMIT ${lit.uint(limit.offset)}, ${lit.uint(limit.count)}`
      : sql``
  }`;
}

const teamOf = (f: UsageFilter): string | undefined =>
  f.equals?.team === undefined ? undefined : String(f.equals.team);

/** A filter's time range and team as PREWHERE under FINAL (see usagePrewhere); its WHERE still holds them. */
function filterPrewhere(f: UsageFilter): SqlFragment {
  const from = seconds(f.from);
  const to = seconds(f.to);
  return usagePrewhere(from === undefined && to === undefined ? [] : [[from ?? 0, to ?? Infinity]], teamOf(f));
}

/** The whole range from the raw rows, in one pass. */
function rawQuery(
  database: string,
  q: AnalyticsQuery,
  keys: ReportKey[],
  limit?: RowLimit,
  withTotals?: boolean,
): SqlFragment {
  return sql`SELECT ${keySelect(keys)}${METRICS} FROM ${lit.table(database, 'usage')} FINAL${filterPrewhere(q)} WHERE ${usageWhere(q)}${groupTail(
    q,
    keys,
    sql`sum(cost_nanos)`,
    sql`count()`,
    limit,
    withTotals,
  )}`;
}

/** Each source's part of the range as partial metrics (one subquery per source), merged into the same rows. */
function plannedQuery(
  database: string,
  q: AnalyticsQuery,
  keys: ReportKey[],
  cube: RollupCube,
  segments: PlanSegment[],
  limit?: RowLimit,
  withTotals?: boolean,
): SqlFragment {
  const db = lit.ident(database);
  const filters = usageWhere({ equals: q.equals });
  const innerGroup = keys.length > 0 ? sql` GROUP BY ${keyNames(keys)}` : sql``;
  const parts: SqlFragment[] = [];
  for (const source of ['raw', 'hour', 'day'] as PlanSource[]) {
    const mine = segments.filter((s) => s.source === source);
    if (mine.length === 0) continue;
    const table = source === 'raw' ? 'usage' : 'rollups';
    const ranges = sql.join(
      mine.map((s) => sql`(${usageTimeRange(s.from, s.to, table)})`),
      sql` OR `,
    );
    parts.push(
      source === 'raw'
        ? sql`SELECT ${keySelect(keys)}${PARTIAL_FROM_RAW} FROM ${db}.usage FINAL${usagePrewhere(
            mine.map((x) => [x.from, x.to] as const),
            teamOf(q),
          )} WHERE (${ranges}) AND ${filters}${innerGroup}`
        : sql`SELECT ${keySelect(keys)}${PARTIAL_FROM_ROLLUP} FROM ${rollupRows(db, source, cube, ranges)} AND ${filters}${innerGroup}`,
    );
  }
  const outerKeys = keys.length > 0 ? sql`${keyNames(keys)}, ` : sql``;
  return sql`SELECT ${outerKeys}${MERGED_METRICS} FROM (${sql.join(
    parts,
    sql`
UNION ALL
`,
  )})${groupTail(q, keys, sql`sum(p_cost)`, sql`sum(p_requests)`, limit, withTotals)}`;
}

async function json<T>(client: ClickHouseClient, query: SqlFragment): Promise<T[]> {
  const rs = await client.query({ query: query.text, format: 'JSONEachRow' });
  return rs.json<T>();
}

/** The rows of a query and, when it is GROUP BY ... WITH TOTALS, its totals row (the aggregates over every row). */
async function rowsAndTotals<T, U>(
  client: ClickHouseClient,
  query: SqlFragment,
  withTotals: boolean,
): Promise<{ data: T[]; totals?: U }> {
  if (!withTotals) return { data: await json<T>(client, query) };
  const rs = await client.query({ query: query.text, format: 'JSON' });
  const body = await rs.json<T>();
  if (!body.totals) throw new Error('ClickHouse answered a WITH TOTALS query without its totals.');
  return { data: body.data, totals: body.totals as U };
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
 * How far back a page of logs looks, in seconds: from the newest hour, four times further each time (4 h,
 * 16 h, 2.7 days, 10.7 days, 43 days, 171 days), then everything, stopping at the first window that holds a
 * whole page. The table is sorted by (team, ts) and partitioned by month, so a window reads only its granules
 * instead of every row of the filter (ClickHouse 18.16 sorts the whole filtered set for ORDER BY ts DESC
 * LIMIT n); steps of four keep the last window at most four times the one needed (a week after an empty
 * day read 780k rows at ten million rows over 90 days).
 */
const LOG_WINDOWS = [1, 4, 16, 64, 256, 1_024, 4_096].map((h) => h * 3_600).concat(Infinity);

/**
 * The end of the newest day holding usage rows (epoch seconds), from the parts' metadata (no row is read):
 * where a page without an upper bound starts looking, even when the newest rows are not from today.
 */
async function newestUsageDayEnd(client: ClickHouseClient, database: string): Promise<number | undefined> {
  const [r] = await json<{ day: string }>(
    client,
    sql`SELECT toString(max(max_date)) AS day FROM system.parts
WHERE database = ${lit.string(database)} AND table = 'usage' AND active`,
  );
  const t = Date.parse(`${r?.day ?? ''}T00:00:00Z`);
  return Number.isFinite(t) && t > 0 ? t / 1000 + 86_400 : undefined;
}

/**
 * Requests newest first, `limit` at a time; `after` is the last row of the previous page, so pages never
 * overlap or skip a row even as new requests arrive (they are newer than every page already read).
 * A window that holds `limit` rows holds the newest `limit` rows of the filter: every row outside it is older.
 */
export async function usageLogs(
  client: ClickHouseClient,
  database: string,
  f: UsageFilter,
  limit: number,
  after?: LogCursor,
  now: Date = new Date(),
): Promise<UsageLogRow[]> {
  const conditions = [usageWhere(f)];
  let upper = seconds(f.to) ?? Infinity;
  if (after) {
    const at = lit.dateTime(new Date(after.ts * 1000));
    const id = lit.string(after.requestId, { maxLength: 128 });
    conditions.push(sql`ts <= ${at} AND (ts < ${at} OR (ts = ${at} AND request_id < ${id}))`);
    upper = Math.min(upper, after.ts + 1);
  }
  const lower = seconds(f.from) ?? 0;
  const limitSql = lit.int(limit, { min: 1n, max: 10_000n });
  try {
    const newest = Number.isFinite(upper)
      ? upper
      : Math.min(Math.floor(now.getTime() / 1000) + 1, (await newestUsageDayEnd(client, database)) ?? Infinity);
    for (const window of LOG_WINDOWS) {
      const from = Math.max(lower, newest - window);
      const last = from <= lower;
      const query = sql`SELECT request_id, toUnixTimestamp(ts) AS ts, org_id, team_id, key_id, user_id, end_user, tags,
  requested_model, deployment_id, provider, upstream_model, status, error_type, toString(prompt_tokens) AS prompt_tokens,
  toString(completion_tokens) AS completion_tokens, toString(cached_tokens) AS cached_tokens,
  toString(cache_write_tokens) AS cache_write_tokens, toString(reasoning_tokens) AS reasoning_tokens,
  toString(cost_nanos) AS cost_nanos, unpriced, price_source, finish_reason, latency_ms, ttft_ms, stream, fallback_depth
FROM ${lit.table(database, 'usage')} FINAL${usagePrewhere([[from, upper]], teamOf(f))}
WHERE ${sql.join(conditions, sql` AND `)} AND ${usageTimeRange(from, upper)}
ORDER BY ts DESC, request_id DESC
LIMIT ${limitSql}`;
      const rows = await json<UsageLogRow>(client, query);
      if (rows.length >= limit || last) return rows.map((r) => ({ ...r, ts: Number(r.ts) }));
    }
    return [];
  } catch (e) {
    throw analyticsError('usage logs', database, e);
  }
}

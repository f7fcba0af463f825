import type { ClickHouseClient } from '@clickhouse/client';
import { analyticsError } from './analytics-client';
import { DAY_SECONDS, HOUR_SECONDS, type RollupCoverage } from './analytics-plan';
import type { AnalyticsDimension } from './analytics.queries';
import { lit, sql, type SqlFragment } from './sql-literal';

/**
 * Rollups of the usage rows: per hour and per day, sums (spend, requests, errors, tokens, unpriced) and
 * quantile states of latency and time to first token, grouped by one of a few "cubes" (dimension sets), so a
 * dashboard query reads a few thousand rollup rows instead of millions of requests.
 *
 * Exact under redelivery: a bucket is always computed whole, from `usage FINAL` (duplicates collapsed), and
 * written with a new version; `usage_rollup_buckets` records each bucket's latest version and readers take
 * only rows of that version, so recomputing a bucket replaces it exactly (even a group that disappeared).
 * Late rows: a materialized view notes, for every insert into usage, the hours it touched and when
 * (`usage_seen_hours`, ClickHouse's clock); each run that catches up recomputes the hours touched since
 * the previous such run began (less a margin for inserts still in flight), and until it has, readers take
 * those hours from the raw rows (see planSegments). Noted rows no run will read again are dropped by month.
 */

/** A cube's id is stored with its rows: never change a cube's id or dimensions; add a cube with a new id. */
export interface RollupCube {
  id: number;
  dimensions: readonly AnalyticsDimension[];
  /** The grains it is kept at: a cube with as many groups as an hour has requests is kept per day only. */
  grains: readonly RollupGrain[];
}

/** In order of preference (smallest first): a query is answered by the first cube holding all its dimensions. */
export const ROLLUP_CUBES: readonly RollupCube[] = [
  { id: 1, dimensions: ['organization', 'team', 'model', 'provider', 'status'], grains: ['hour', 'day'] },
  { id: 2, dimensions: ['organization', 'team', 'tag', 'model', 'provider', 'status'], grains: ['hour', 'day'] },
  {
    id: 3,
    dimensions: ['organization', 'team', 'key', 'user', 'model', 'deployment', 'provider', 'status'],
    grains: ['hour', 'day'],
  },
  { id: 4, dimensions: ['organization', 'team', 'key', 'end_user', 'model', 'status'], grains: ['day'] },
];

/** The rollup column of each dimension (named as in usage, so the same expressions read both) and its blank. */
const ROLLUP_COLUMNS: Record<AnalyticsDimension, { column: SqlFragment; blank: SqlFragment }> = {
  organization: { column: sql`org_id`, blank: sql`''` },
  team: { column: sql`team_id`, blank: sql`''` },
  key: { column: sql`key_id`, blank: sql`''` },
  user: { column: sql`user_id`, blank: sql`''` },
  end_user: { column: sql`end_user`, blank: sql`''` },
  tag: { column: sql`tags`, blank: sql`emptyArrayString()` },
  model: { column: sql`requested_model`, blank: sql`''` },
  deployment: { column: sql`deployment_id`, blank: sql`''` },
  provider: { column: sql`provider`, blank: sql`''` },
  status: { column: sql`status`, blank: sql`toUInt16(0)` },
};
const DIMENSIONS = Object.keys(ROLLUP_COLUMNS) as AnalyticsDimension[];

/** The cube that answers a query over these dimensions (grouped by or filtered on), if any. */
export function rollupCubeFor(dimensions: readonly AnalyticsDimension[]): RollupCube | undefined {
  return ROLLUP_CUBES.find((c) => dimensions.every((d) => c.dimensions.includes(d)));
}

export type RollupGrain = 'hour' | 'day';
const GRAIN_SECONDS: Record<RollupGrain, number> = { hour: HOUR_SECONDS, day: DAY_SECONDS };

export const createUsageRollups = (db: SqlFragment) => sql`
CREATE TABLE IF NOT EXISTS ${db}.usage_rollups (
  grain String,
  cube_id UInt8,
  ts DateTime('UTC'),
  org_id String,
  team_id String,
  key_id String,
  user_id String,
  end_user String,
  tags Array(String),
  requested_model String,
  deployment_id String,
  provider String,
  status UInt16,
  cost_nanos Int64,
  requests UInt64,
  errors UInt64,
  prompt_tokens UInt64,
  completion_tokens UInt64,
  cached_tokens UInt64,
  reasoning_tokens UInt64,
  unpriced UInt64,
  ttft_n UInt64,
  latency_q AggregateFunction(quantilesTiming(0.5, 0.95, 0.99), UInt32),
  ttft_q AggregateFunction(quantileTiming(0.5), UInt32),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(ts)
ORDER BY (grain, cube_id, ts, team_id, requested_model, org_id, key_id, user_id, end_user, tags, deployment_id, provider, status)`;

export const createUsageRollupBuckets = (db: SqlFragment) => sql`
CREATE TABLE IF NOT EXISTS ${db}.usage_rollup_buckets (
  grain String,
  ts DateTime('UTC'),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(ts)
ORDER BY (grain, ts)`;

/**
 * One row per rollup step. `started_at` is the step's seen cursor: every usage row ClickHouse noted (in
 * usage_seen_hours) before it, less ROLLUP_SEEN_MARGIN_SECONDS, is reflected in the rollups below `watermark`.
 */
export const createUsageRollupRuns = (db: SqlFragment) => sql`
CREATE TABLE IF NOT EXISTS ${db}.usage_rollup_runs (
  started_at DateTime('UTC'),
  watermark DateTime('UTC'),
  finished_at DateTime('UTC'),
  hours UInt32,
  days UInt32
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(started_at)
ORDER BY started_at`;

export const createUsageSeenHours = (db: SqlFragment) => sql`
CREATE TABLE IF NOT EXISTS ${db}.usage_seen_hours (
  seen_at DateTime('UTC'),
  hour DateTime('UTC')
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(seen_at)
ORDER BY (seen_at, hour)`;

export const createUsageSeenHoursView = (db: SqlFragment) => sql`
CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.usage_seen_hours_mv TO ${db}.usage_seen_hours
AS SELECT now() AS seen_at, toDateTime(intDiv(toUnixTimestamp(ts), 3600) * 3600, 'UTC') AS hour
FROM ${db}.usage GROUP BY hour`;

/** How long an insert may take to become visible after ClickHouse noted it: its hours are recomputed that long. */
export const ROLLUP_SEEN_MARGIN_SECONDS = 300;
/** Buckets computed by one INSERT ... SELECT at most (a first run over months of rows goes in pieces). */
const MAX_SECONDS_PER_INSERT: Record<RollupGrain, number> = { hour: DAY_SECONDS, day: 7 * DAY_SECONDS };
/**
 * Newly closed time one step rolls up at most: a first run over a long history goes in steps, each recorded,
 * so a failure (or a timeout) loses one step, never the whole backfill.
 */
const MAX_NEW_SECONDS_PER_STEP = 14 * DAY_SECONDS;

const isoDay = (seconds: number): SqlFragment => lit.string(new Date(seconds * 1000).toISOString().slice(0, 10));

/**
 * `ts` in [from, to) (epoch seconds, `to` may be Infinity). On usage, plus the same bound on `date` (the
 * partition key, UTC day of ts) so ClickHouse skips the months outside the range: a condition on ts alone
 * reads every partition of a table sorted by team. The rollups are partitioned by ts itself.
 */
export function usageTimeRange(from: number, to: number, table: 'usage' | 'rollups' = 'usage'): SqlFragment {
  const parts = [sql`ts >= ${lit.dateTime(new Date(from * 1000))}`];
  if (table === 'usage') parts.push(sql`date >= toDate(${isoDay(from)})`);
  if (Number.isFinite(to)) {
    parts.push(sql`ts < ${lit.dateTime(new Date(to * 1000))}`);
    if (table === 'usage') parts.push(sql`date <= toDate(${isoDay(to - 1)})`);
  }
  return sql.join(parts, sql` AND `);
}

/**
 * The part of a usage read that every version of a row shares, so it may run as PREWHERE under FINAL: its
 * time (`ts` is in the sort key FINAL collapses by, and `date` is derived from it) and, when given, its team
 * (also in the sort key). ClickHouse then collapses only the rows it keeps instead of every row of the
 * granules it reads (a ragged hour of raw rows at a million rows: 19 ms instead of 51-70 ms). A condition on
 * anything a redelivered row may change (its model, say) must stay in WHERE, after the collapse: filtered
 * before, an older version could survive alone. `ranges` are [from, to) pairs (epoch seconds, `to` may be
 * Infinity), any of which a row may fall in.
 */
export function usagePrewhere(ranges: readonly (readonly [number, number])[], team?: string): SqlFragment {
  const time = sql.join(
    ranges.map(([a, b]) => sql`(${usageTimeRange(a, b)})`),
    sql` OR `,
  );
  const parts = ranges.length > 0 ? [sql`(${time})`] : [];
  if (team !== undefined) parts.push(sql`team_id = ${lit.string(team, { maxLength: 256 })}`);
  return parts.length > 0 ? sql` PREWHERE ${sql.join(parts, sql` AND `)}` : sql``;
}

function fillStatement(db: SqlFragment, grain: RollupGrain, from: number, to: number, version: bigint): SqlFragment {
  const step = lit.uint(GRAIN_SECONDS[grain]);
  const kept = ROLLUP_CUBES.filter((c) => c.grains.includes(grain));
  const cubes = sql.join(
    kept.map((c) => lit.uint(c.id)),
    sql`, `,
  );
  const dims = DIMENSIONS.map((d) => {
    const ids = kept.filter((c) => c.dimensions.includes(d)).map((c) => lit.uint(c.id));
    const { column, blank } = ROLLUP_COLUMNS[d];
    const alias = lit.ident(`r_${column.text}`);
    if (ids.length === 0) return sql`${blank} AS ${alias}`;
    return sql`if(cube_id IN (${sql.join(ids, sql`, `)}), ${column}, ${blank}) AS ${alias}`;
  });
  const dimAliases = DIMENSIONS.map((d) => lit.ident(`r_${ROLLUP_COLUMNS[d].column.text}`));
  return sql`INSERT INTO ${db}.usage_rollups (grain, cube_id, ts, ${sql.join(
    DIMENSIONS.map((d) => ROLLUP_COLUMNS[d].column),
    sql`, `,
  )}, cost_nanos, requests, errors, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, unpriced, ttft_n,
  latency_q, ttft_q, version)
SELECT ${lit.string(grain)}, cube_id, toDateTime(intDiv(toUnixTimestamp(ts), ${step}) * ${step}, 'UTC') AS r_ts,
  ${sql.join(dims, sql`, `)},
  sum(cost_nanos), count(), countIf(status >= 400), sum(prompt_tokens), sum(completion_tokens), sum(cached_tokens),
  sum(reasoning_tokens), sum(unpriced), countIf(ttft_ms IS NOT NULL),
  quantilesTimingState(0.5, 0.95, 0.99)(latency_ms), quantileTimingStateIf(0.5)(assumeNotNull(ttft_ms), isNotNull(ttft_ms)),
  ${lit.uint(version)}
FROM ${db}.usage FINAL ARRAY JOIN [${cubes}] AS cube_id${usagePrewhere([[from, to]])}
WHERE ${usageTimeRange(from, to)}
GROUP BY cube_id, r_ts, ${sql.join(dimAliases, sql`, `)}`;
}

/** Half-open ranges, sorted and merged where they touch. */
function mergeRanges(ranges: [number, number][]): [number, number][] {
  const sorted = ranges.filter(([a, b]) => a < b).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function chunks([a, b]: [number, number], size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let x = a; x < b; x += size) out.push([x, Math.min(b, x + size)]);
  return out;
}

async function rows<T>(client: ClickHouseClient, query: SqlFragment): Promise<T[]> {
  const rs = await client.query({ query: query.text, format: 'JSONEachRow' });
  return rs.json<T>();
}

export interface RollupRefreshResult {
  /** Every hour before it is rolled up (epoch seconds). */
  watermark: number;
  /** Hour and day buckets (re)computed by this run. */
  hours: number;
  days: number;
  /** Steps (each recorded in usage_rollup_runs) the run took. */
  steps: number;
  /** False when the run stopped after maxSteps with closed hours left for the next run. */
  caughtUp: boolean;
}

/**
 * One rollup run: computes every hour that closed since the last run and every hour that received rows since
 * the seen cursor (late or redelivered events), and every closed day holding one of them, from the
 * deduplicated usage rows; then records the run. It goes in steps of at most two weeks of newly closed time,
 * each recorded: a step that fails records nothing, and the next run redoes it; only the step that catches
 * up recomputes the hours that received rows (once, not once a step of a long backfill). Safe to run concurrently
 * (each bucket takes the version of one whole computation).
 */
export async function refreshUsageRollups(
  client: ClickHouseClient,
  database: string,
  opts: { maxSteps?: number } = {},
): Promise<RollupRefreshResult> {
  const total: RollupRefreshResult = { watermark: 0, hours: 0, days: 0, steps: 0, caughtUp: false };
  const maxSteps = opts.maxSteps ?? 100;
  while (total.steps < maxSteps && !total.caughtUp) {
    const step = await rollupStep(client, database);
    total.watermark = step.watermark;
    total.hours += step.hours;
    total.days += step.days;
    total.caughtUp = step.caughtUp;
    total.steps++;
  }
  return total;
}

async function rollupStep(
  client: ClickHouseClient,
  database: string,
): Promise<{ watermark: number; hours: number; days: number; caughtUp: boolean }> {
  const db = lit.ident(database);
  let step = 'read the last run';
  try {
    const [state] = await rows<{
      now: number | string;
      watermark: number | string;
      started: number | string;
      runs: string;
    }>(
      client,
      sql`SELECT toUnixTimestamp(now()) AS now, toUnixTimestamp(max(watermark)) AS watermark,
  toUnixTimestamp(max(started_at)) AS started, count() AS runs FROM ${db}.usage_rollup_runs`,
    );
    const now = Number(state!.now);
    const closed = Math.floor(now / HOUR_SECONDS) * HOUR_SECONDS;
    // The seen cursor this step records (as started_at): every row ClickHouse noted before it, less the
    // margin, is in the rollups below the watermark. A step that recomputes the seen hours moves it to now.
    let cursor = now;
    let end = closed;
    const hourRanges: [number, number][] = [];
    if (Number(state!.runs) === 0) {
      step = 'find the first usage row';
      const [first] = await rows<{ n: string; first: number | string }>(
        client,
        sql`SELECT count() AS n, toUnixTimestamp(min(ts)) AS first FROM ${db}.usage`,
      );
      if (Number(first!.n) > 0) {
        const start = Math.floor(Number(first!.first) / HOUR_SECONDS) * HOUR_SECONDS;
        end = Math.min(closed, start + MAX_NEW_SECONDS_PER_STEP);
        hourRanges.push([start, end]);
      }
    } else {
      const watermark = Number(state!.watermark);
      end = Math.max(watermark, Math.min(closed, watermark + MAX_NEW_SECONDS_PER_STEP));
      hourRanges.push([watermark, end]);
      if (end >= closed) {
        // The step that catches up also recomputes the hours that received rows since the seen cursor. The
        // steps of a backfill before it only extend the watermark and carry the cursor forward: rows inserted
        // just before a long backfill would otherwise make every step recompute every hour they touched.
        const since = Math.max(0, Number(state!.started) - ROLLUP_SEEN_MARGIN_SECONDS);
        step = 'read the hours that received rows';
        const seen = await rows<{ hour: number | string }>(
          client,
          sql`SELECT DISTINCT toUnixTimestamp(hour) AS hour FROM ${db}.usage_seen_hours
WHERE seen_at >= ${lit.dateTime(new Date(since * 1000))} AND hour < ${lit.dateTime(new Date(watermark * 1000))}`,
        );
        for (const { hour } of seen) hourRanges.push([Number(hour), Number(hour) + HOUR_SECONDS]);
      } else cursor = Number(state!.started);
    }
    const hours = mergeRanges(hourRanges);
    const lastDay = Math.floor(end / DAY_SECONDS) * DAY_SECONDS;
    const days = mergeRanges(
      hours.map(([a, b]) => [
        Math.floor(a / DAY_SECONDS) * DAY_SECONDS,
        Math.min(lastDay, Math.ceil(b / DAY_SECONDS) * DAY_SECONDS),
      ]),
    );
    // Days with rows at all: an empty stretch (a first run over a quiet month) needs its buckets recorded,
    // not an INSERT ... SELECT per day. A row arriving meanwhile is seen, so the next run recomputes its hour.
    step = 'find the days with rows';
    const busy = new Set<number>();
    if (hours.length > 0) {
      const ranges = sql.join(
        hours.map(([a, b]) => sql`(${usageTimeRange(a, b)})`),
        sql` OR `,
      );
      for (const { d } of await rows<{ d: number | string }>(
        client,
        sql`SELECT DISTINCT intDiv(toUnixTimestamp(ts), 86400) * 86400 AS d FROM ${db}.usage WHERE ${ranges}`,
      ))
        busy.add(Number(d));
    }
    const hasRows = (a: number, b: number): boolean => {
      for (let d = Math.floor(a / DAY_SECONDS) * DAY_SECONDS; d < b; d += DAY_SECONDS) if (busy.has(d)) return true;
      return false;
    };
    // Unique per computation: two runs racing on one bucket each write a whole version of it.
    const version = BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000));
    const buckets: { grain: RollupGrain; ts: number; version: string }[] = [];
    for (const [grain, ranges] of [
      ['hour', hours],
      ['day', days],
    ] as const) {
      for (const range of ranges) {
        for (const [a, b] of chunks(range, MAX_SECONDS_PER_INSERT[grain])) {
          if (!hasRows(a, b)) continue;
          step = `compute the ${grain} rollups of ${new Date(a * 1000).toISOString()} to ${new Date(b * 1000).toISOString()}`;
          await client.command({ query: fillStatement(db, grain, a, b, version).text });
        }
        for (let t = range[0]; t < range[1]; t += GRAIN_SECONDS[grain])
          buckets.push({ grain, ts: t, version: version.toString() });
      }
    }
    step = 'record the buckets';
    if (buckets.length > 0)
      await client.insert({ table: `${database}.usage_rollup_buckets`, values: buckets, format: 'JSONEachRow' });
    step = 'record the run';
    const hourCount = buckets.filter((b) => b.grain === 'hour').length;
    await client.insert({
      table: `${database}.usage_rollup_runs`,
      values: [
        {
          started_at: cursor,
          watermark: end,
          finished_at: Math.floor(Date.now() / 1000),
          hours: hourCount,
          days: buckets.length - hourCount,
        },
      ],
      format: 'JSONEachRow',
    });
    if (cursor === now) {
      step = 'drop the seen hours no run will read again';
      await pruneSeenHours(client, database, now - ROLLUP_SEEN_MARGIN_SECONDS);
    }
    return { watermark: end, hours: hourCount, days: buckets.length - hourCount, caughtUp: end >= closed };
  } catch (e) {
    throw analyticsError(`usage rollup (${step})`, database, e);
  }
}

/**
 * Drops the months of `usage_seen_hours` that end before `before` (epoch seconds): once a run has recomputed
 * the hours seen since `before`, rows noted earlier never make an hour stale again (each was either visible to
 * its hour's last computation or made that hour stale, and it was recomputed). Whole partitions only: cheap,
 * and at most one month and a bit is kept, whatever the traffic.
 */
async function pruneSeenHours(client: ClickHouseClient, database: string, before: number): Promise<void> {
  const d = new Date(before * 1000);
  const month = d.getUTCFullYear() * 100 + d.getUTCMonth() + 1;
  const parts = await rows<{ partition: string }>(
    client,
    sql`SELECT DISTINCT partition FROM system.parts WHERE database = ${lit.string(database)}
  AND table = 'usage_seen_hours' AND active`,
  );
  for (const { partition } of parts) {
    const p = Number(partition);
    if (Number.isSafeInteger(p) && p < month)
      await client.command({
        query: sql`ALTER TABLE ${lit.ident(database)}.usage_seen_hours DROP PARTITION ${lit.uint(p)}`.text,
      });
  }
}

/**
 * What the rollups cover now: the last run's watermark, and the hours before it that received rows since
 * that run began (taken from the raw rows until the next run recomputes them).
 */
export async function readRollupCoverage(client: ClickHouseClient, database: string): Promise<RollupCoverage> {
  const db = lit.ident(database);
  const margin = lit.uint(ROLLUP_SEEN_MARGIN_SECONDS);
  const [r] = await rows<{ watermark: number | string; stale: (number | string)[] }>(
    client,
    sql`SELECT toUnixTimestamp(max(watermark)) AS watermark,
  (SELECT groupUniqArray(toUnixTimestamp(hour)) FROM ${db}.usage_seen_hours
    WHERE seen_at >= toDateTime(toUInt32(greatest(toInt64((SELECT toUnixTimestamp(max(started_at)) FROM ${db}.usage_rollup_runs)), ${margin}) - ${margin}))) AS stale
FROM ${db}.usage_rollup_runs`,
  );
  const watermark = Number(r?.watermark ?? 0);
  return { watermark, staleHours: watermark === 0 ? [] : (r?.stale ?? []).map(Number) };
}

/** The rows of one grain's rollups whose bucket is in one of `ranges`, at each bucket's latest version. */
export function rollupRows(db: SqlFragment, grain: RollupGrain, cube: RollupCube, ranges: SqlFragment): SqlFragment {
  const g = lit.string(grain);
  return sql`${db}.usage_rollups WHERE grain = ${g} AND cube_id = ${lit.uint(cube.id)} AND (${ranges})
  AND (ts, version) IN (SELECT ts, max(version) FROM ${db}.usage_rollup_buckets WHERE grain = ${g} AND (${ranges}) GROUP BY ts)`;
}

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  analyticsPlan,
  analyticsReport,
  createAnalyticsClient,
  decodeReportCursor,
  encodeReportCursor,
  insertUsageRows,
  lit,
  migrateAnalytics,
  readRollupCoverage,
  refreshUsageRollups,
  sql,
  type AnalyticsDimension,
  type AnalyticsQuery,
  type ClickHouseClient,
  type ReportCursor,
  type UsageRow,
  usageLogs,
} from './index';

const url = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const database = `sy_test_${randomBytes(6).toString('hex')}`;
let client: ClickHouseClient;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Three closed days, from a Monday 00:00 UTC.
const T0 = Date.UTC(2025, 2, 3);

/** A deterministic generator, so a failure is reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function makeRow(i: number, ts: number, r: () => number): UsageRow {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const key = Math.floor(r() * 9);
  const model = pick(['gpt-4o', 'gpt-4o-mini', 'claude-sonnet', 'llama']);
  const status = pick([200, 200, 200, 200, 200, 429, 500, 499]);
  const tagSets: string[][] = [[], ['prod'], ['prod', 'batch'], ['eval'], ['eval', 'prod', 'x']];
  const streamed = r() < 0.5;
  const latency = r() < 0.1 ? 1000 + Math.floor(r() * 40_000) : Math.floor(r() * 2_000);
  return {
    requestId: `req-${i}`,
    ts,
    orgId: key < 6 ? 'org-a' : 'org-b',
    teamId: `team-${key % 3}`,
    userId: `user-${key % 4}`,
    keyId: `key-${key}`,
    endUser: r() < 0.3 ? '' : `end-${Math.floor(r() * 12)}`,
    tags: pick(tagSets),
    requestedModel: model,
    deploymentId: `${model}-dep-${Math.floor(r() * 2)}`,
    provider: model.startsWith('gpt') ? 'openai' : model === 'llama' ? 'ollama' : 'anthropic',
    upstreamModel: model,
    status,
    errorType: status >= 400 ? 'upstream' : '',
    promptTokens: Math.floor(r() * 5000),
    completionTokens: Math.floor(r() * 900),
    cachedTokens: Math.floor(r() * 100),
    reasoningTokens: Math.floor(r() * 50),
    costNanos: BigInt(Math.floor(r() * 1e9)) * 37n,
    latencyMs: latency,
    ttftMs: streamed ? Math.floor(r() * 800) : null,
    stream: streamed,
    cacheHit: false,
    fallbackDepth: 0,
    usageEstimated: false,
    usageClamped: false,
    cost: {
      inputCostNanos: 0n,
      cachedCostNanos: 0n,
      cacheWriteCostNanos: 0n,
      outputCostNanos: 0n,
      reasoningCostNanos: 0n,
      otherCostNanos: 0n,
      retryCostNanos: 0n,
      billedAttempts: 1,
      unpriced: model === 'llama',
      priceSource: model === 'llama' ? '' : 'catalogue',
      pricedAs: model,
      catalogueVersion: 'test',
    },
  };
}

const r = rng(42);
// 9,000 requests over three closed days (a total above 5,670 latencies puts quantileTiming in its histogram
// mode), a few in the current hour and the one before (the open edge).
const closedRows = Array.from({ length: 9_000 }, (_, i) => makeRow(i, T0 + Math.floor(r() * 3 * DAY), r));
const nowRows = Array.from({ length: 40 }, (_, i) => makeRow(100_000 + i, Date.now() - Math.floor(r() * 2 * HOUR), r));

const DIMS: AnalyticsDimension[] = [
  'team',
  'key',
  'user',
  'end_user',
  'organization',
  'model',
  'deployment',
  'provider',
  'tag',
  'status',
];

/** Ranges on and off the hour and day, inside and across the rolled-up part and up to the open edge. */
const RANGES: { name: string; from?: Date; to?: Date }[] = [
  { name: 'everything' },
  { name: 'closed days exactly', from: new Date(T0), to: new Date(T0 + 3 * DAY) },
  { name: 'ragged ends', from: new Date(T0 + 5 * HOUR + 1_234_000), to: new Date(T0 + 2 * DAY + 17 * HOUR + 59_000) },
  { name: 'within one hour', from: new Date(T0 + DAY + 10 * 60_000), to: new Date(T0 + DAY + 50 * 60_000) },
  { name: 'hours only', from: new Date(T0 + 3 * HOUR), to: new Date(T0 + 20 * HOUR) },
  { name: 'to the open edge', from: new Date(T0 + DAY + 7 * HOUR + 5_000) },
  { name: 'before a point', to: new Date(T0 + DAY + 30 * 60_000) },
];

function queries(): { name: string; q: AnalyticsQuery }[] {
  const out: { name: string; q: AnalyticsQuery }[] = [];
  const groupings: AnalyticsDimension[][] = [
    [],
    ...DIMS.map((d) => [d]),
    ['team', 'model'],
    ['tag', 'status'],
    ['key', 'user', 'deployment'],
    ['end_user', 'model'],
    ['organization', 'provider', 'status'],
  ];
  const filters: AnalyticsQuery['equals'][] = [
    {},
    { team: 'team-1' },
    { tag: 'prod' },
    { status: 429 },
    { key: 'key-4', model: 'gpt-4o' },
  ];
  let n = 0;
  for (const groupBy of groupings) {
    for (const interval of [undefined, 'hour', 'day', 'month'] as const) {
      // Every grouping with every interval; filters and ranges rotate so the whole matrix stays quick.
      const range = RANGES[n % RANGES.length]!;
      const equals = filters[n % filters.length]!;
      n++;
      out.push({
        name: `group_by=${groupBy.join(',')} interval=${interval ?? '-'} ${JSON.stringify(equals)} ${range.name}`,
        q: { groupBy, interval, equals, from: range.from, to: range.to },
      });
    }
  }
  for (const range of RANGES) {
    out.push({
      name: `team,model by day, ${range.name}`,
      q: { groupBy: ['team', 'model'], interval: 'day', ...range },
    });
    out.push({ name: `totals, ${range.name}`, q: { groupBy: [], ...range } });
  }
  return out;
}

/** The whole matrix, or every `stride`-th query of it (quicker, for the checks between runs). */
async function expectSameAsRaw(stride = 1): Promise<number> {
  let rolled = 0;
  for (const { name, q } of queries().filter((_, i) => i % stride === 0)) {
    const [raw, auto, plan] = await Promise.all([
      analyticsReport(client, database, q, { source: 'raw' }),
      analyticsReport(client, database, q),
      analyticsPlan(client, database, q),
    ]);
    expect(auto, name).toEqual(raw);
    // Totals from the grouped rows' own pass (WITH TOTALS) or a query apart: the same as the ungrouped report.
    if (q.groupBy.length > 0 || q.interval) {
      const whole = await analyticsReport(
        client,
        database,
        { ...q, groupBy: [], interval: undefined },
        { source: 'raw' },
      );
      expect(auto.totals, `${name}: totals`).toEqual(whole.totals);
    }
    if (plan.segments?.some((s) => s.source !== 'raw')) rolled++;
  }
  return rolled;
}

/**
 * As if the rows so far were inserted long ago: a run treats the hours that received rows in the few minutes
 * before the previous run began as possibly not yet visible to it (ROLLUP_SEEN_MARGIN_SECONDS), and readers
 * take those from the raw rows; a test cannot wait that long.
 */
async function forgetRecentInserts(): Promise<void> {
  await client.command({ query: sql`TRUNCATE TABLE ${lit.table(database, 'usage_seen_hours')}`.text });
}

/** Rows of the hourly rollup (cube 1, latest version) for one hour: what the job wrote. */
async function rolledRequests(hourStart: number): Promise<number> {
  const db = lit.ident(database);
  const at = lit.dateTime(new Date(hourStart));
  const rs = await client.query({
    query: sql`SELECT sum(requests) AS n FROM ${db}.usage_rollups WHERE grain = 'hour' AND cube_id = 1 AND ts = ${at}
  AND (ts, version) IN (SELECT ts, max(version) FROM ${db}.usage_rollup_buckets WHERE grain = 'hour' AND ts = ${at} GROUP BY ts)`
      .text,
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
}

beforeAll(async () => {
  // A busy machine (several test files and benches at once) can take longer than the default 30 s a query.
  client = createAnalyticsClient({ url, requestTimeoutMs: 120_000 });
  await migrateAnalytics({ url, database });
  // In batches, as spend writes them; a tenth of the rows delivered twice (a redelivered event).
  for (let i = 0; i < closedRows.length; i += 1_000)
    await insertUsageRows(client, database, closedRows.slice(i, i + 1_000));
  await insertUsageRows(
    client,
    database,
    closedRows.filter((_, i) => i % 10 === 0),
  );
  await insertUsageRows(client, database, nowRows);
});

afterAll(async () => {
  await client.command({ query: sql`DROP DATABASE IF EXISTS ${lit.ident(database)}`.text });
  await client.close();
});

describe('usage rollups against ClickHouse', () => {
  it('reads the raw rows only until the first rollup run', async () => {
    expect(await readRollupCoverage(client, database)).toEqual({ watermark: 0, staleHours: [] });
    expect(await analyticsPlan(client, database, { groupBy: ['team'] })).toEqual({});
  });

  it('answers every grouping, interval, filter and range exactly as the raw rows do', async () => {
    const run = await refreshUsageRollups(client, database);
    expect(run.watermark).toBe(Math.floor(Date.now() / HOUR) * 3600);
    expect(run.hours).toBeGreaterThanOrEqual(3 * 24);
    // A backfill of many steps (months of closed time, 14 days a step) computes each hour once, and the
    // hours that just received rows once more, in the step that caught up: not once more in every step.
    expect(run.steps).toBeGreaterThan(10);
    const walked = (run.watermark - Math.floor(T0 / HOUR) * 3600) / 3600;
    expect(run.hours).toBeLessThanOrEqual(walked + 3 * 24 + 3);
    // Until the inserts are a few minutes old, their hours are read raw: still exact.
    expect((await readRollupCoverage(client, database)).staleHours.length).toBeGreaterThan(3 * 24);
    await expectSameAsRaw(9);
    await forgetRecentInserts();
    const plan = await analyticsPlan(client, database, { groupBy: ['team'], ...RANGES[2] });
    expect(plan.cube?.id).toBe(1);
    expect(plan.segments?.map((s) => s.source)).toEqual(['raw', 'hour', 'day', 'hour', 'raw']);
    expect(await analyticsPlan(client, database, { groupBy: ['team'], requestId: 'req-1' })).toEqual({});
    // The rollups answered most of the matrix (the rest: a range within one hour).
    expect(await expectSameAsRaw()).toBeGreaterThan(40);
    const totals = await analyticsReport(client, database, { groupBy: [] });
    expect(totals.totals.requests).toBe(closedRows.length + nowRows.length);
  }, 400_000);

  it('recomputes an hour that received late and redelivered rows, and reads it raw until then', async () => {
    const lateHour = T0 + DAY + 5 * HOUR;
    expect(await rolledRequests(lateHour)).toBeGreaterThan(0);
    const before = await rolledRequests(lateHour);
    const lr = rng(7);
    const late = Array.from({ length: 25 }, (_, i) => makeRow(200_000 + i, lateHour + Math.floor(lr() * HOUR), lr));
    // A redelivered event that changed its group (re-priced under another model): the old group must vanish.
    const moved = closedRows.find((x) => x.ts >= lateHour && x.ts < lateHour + HOUR && x.requestedModel === 'llama')!;
    await insertUsageRows(client, database, [
      ...late,
      ...closedRows.filter((x) => x.ts >= lateHour && x.ts < lateHour + HOUR),
    ]);
    await insertUsageRows(client, database, [{ ...moved, requestedModel: 'gpt-4o', provider: 'openai' }]);
    const coverage = await readRollupCoverage(client, database);
    expect(coverage.staleHours).toContain(lateHour / 1000);
    const plan = await analyticsPlan(client, database, { groupBy: ['model'] });
    expect(plan.segments).toContainEqual({ source: 'raw', from: lateHour / 1000, to: lateHour / 1000 + 3600 });
    await expectSameAsRaw(6);

    const run = await refreshUsageRollups(client, database);
    expect(run.hours).toBeGreaterThanOrEqual(1);
    expect(run.days).toBeGreaterThanOrEqual(1);
    expect(await rolledRequests(lateHour)).toBe(before + late.length);
    await expectSameAsRaw(6);
    // Read from the rollups only (as once the stale marks age out): still exact, the moved row counted once.
    const q: AnalyticsQuery = { groupBy: ['model'], interval: 'day', from: new Date(T0), to: new Date(T0 + 3 * DAY) };
    const raw = await analyticsReport(client, database, q, { source: 'raw' });
    await forgetRecentInserts();
    expect((await analyticsPlan(client, database, q)).segments).toEqual([
      { source: 'day', from: T0 / 1000, to: (T0 + 3 * DAY) / 1000 },
    ]);
    expect(await analyticsReport(client, database, q)).toEqual(raw);
  }, 300_000);

  it('an idle run recomputes nothing closed and moves no watermark backwards', async () => {
    const run = await refreshUsageRollups(client, database);
    expect(run.watermark).toBeGreaterThanOrEqual(Math.floor(Date.now() / HOUR) * 3600 - 3600);
    expect(run.hours).toBeLessThanOrEqual(1);
    expect(run.days).toBeLessThanOrEqual(1);
    await expectSameAsRaw(8);
  }, 120_000);

  it('pages the grouped rows, window by window, into exactly the rows of one unpaged answer', async () => {
    const cases: AnalyticsQuery[] = [
      { groupBy: ['end_user', 'model'], interval: 'hour', from: new Date(T0), to: new Date(T0 + 3 * DAY) },
      { groupBy: ['team'], interval: 'day' },
      { groupBy: ['model', 'status'], interval: 'month', from: new Date(T0 + 5 * HOUR + 17_000) },
      { groupBy: ['key'], equals: { team: 'team-2' } },
      { groupBy: ['tag'], interval: 'day', to: new Date(T0 + 2 * DAY + 1_000) },
      // Three buckets: the first page reads them whole, with its totals in the same pass; the next by window.
      { groupBy: ['team', 'status'], interval: 'day', from: new Date(T0 + 7_000), to: new Date(T0 + 3 * DAY) },
    ];
    for (const q of cases)
      for (const source of ['auto', 'raw'] as const) {
        const whole = await analyticsReport(client, database, q, { source });
        expect(whole.next).toBeUndefined();
        for (const limit of [1, 37, 500]) {
          if (limit === 1 && whole.rows.length > 200) continue;
          const rows: typeof whole.rows = [];
          let after: ReportCursor | undefined;
          for (let pages = 0; ; pages++) {
            expect(pages, 'a page too many').toBeLessThan(whole.rows.length / limit + 2);
            const page = await analyticsReport(client, database, q, {
              source,
              page: { limit, ...(after && { after }) },
            });
            expect(page.totals).toEqual(whole.totals);
            rows.push(...page.rows);
            if (!page.next) break;
            expect(page.rows).toHaveLength(limit);
            after = decodeReportCursor(encodeReportCursor(page.next));
          }
          expect(rows, `${JSON.stringify(q)} ${source} limit ${limit}`).toEqual(whole.rows);
        }
      }
  }, 300_000);

  it('drops the seen hours no run will read again, a month at a time', async () => {
    const db = lit.ident(database);
    const hour = Math.floor(T0 / HOUR) * 3600;
    const seenMonths = async (): Promise<number[]> => {
      const rs = await client.query({
        query: sql`SELECT DISTINCT toYYYYMM(seen_at) AS m FROM ${db}.usage_seen_hours ORDER BY m`.text,
        format: 'JSONEachRow',
      });
      return (await rs.json<{ m: number }>()).map((x) => Number(x.m));
    };
    const month = (t: number): number => {
      const d = new Date(t * 1000);
      return d.getUTCFullYear() * 100 + d.getUTCMonth() + 1;
    };
    const now = Math.floor(Date.now() / 1000);
    const old = now - 70 * 86_400;
    await client.insert({
      table: `${database}.usage_seen_hours`,
      values: [
        { seen_at: old, hour },
        { seen_at: now, hour },
      ],
      format: 'JSONEachRow',
    });
    expect(await seenMonths()).toContain(month(old));
    await refreshUsageRollups(client, database);
    const left = await seenMonths();
    expect(left).not.toContain(month(old));
    expect(left).toContain(month(now));
    await expectSameAsRaw(8);
  }, 120_000);

  it('pages through the logs newest first, window by window, without a gap or an overlap', async () => {
    const all = [...closedRows, ...nowRows].filter((x) => x.teamId === 'team-1');
    const expected = all
      .map((x) => ({ ts: Math.floor(x.ts / 1000), id: x.requestId }))
      .sort((a, b) => b.ts - a.ts || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0))
      .map((x) => x.id);
    const seen: string[] = [];
    let after: { ts: number; requestId: string } | undefined;
    for (;;) {
      const page = await usageLogs(client, database, { equals: { team: 'team-1' } }, 400, after);
      seen.push(...page.map((p) => p.request_id));
      if (page.length < 400) break;
      const last = page[page.length - 1]!;
      after = { ts: last.ts, requestId: last.request_id };
    }
    // The late rows of the test before are team-1's too when their key says so.
    const late = (await analyticsReport(client, database, { groupBy: [], equals: { team: 'team-1' } })).totals.requests;
    expect(seen.length).toBe(late);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => expected.includes(id))).toEqual(expected);
    // A bounded range: only its rows, newest first.
    const from = new Date(T0 + DAY);
    const to = new Date(T0 + DAY + 6 * HOUR);
    const page = await usageLogs(client, database, { from, to }, 10_000);
    expect(page.length).toBe((await analyticsReport(client, database, { groupBy: [], from, to })).totals.requests);
    expect(page.every((p) => p.ts * 1000 >= from.getTime() && p.ts * 1000 < to.getTime())).toBe(true);
  }, 60_000);
});

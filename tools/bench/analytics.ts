/**
 * Analytics query times at scale: creates a scratch ClickHouse database, migrates it, generates usage rows
 * over 90 days server-side (INSERT ... SELECT FROM numbers(), a million rows a statement, no client round
 * trips), rolls them up as the analytics.rollup job does, then times each analytics query the admin API runs
 * from the raw rows and through the rollups (median of 5 runs after a warm-up), and the logs and request-id
 * lookups. The database is dropped at the end unless --keep; --database reuses a kept one (no generation).
 *
 *   node dist/tools/bench/analytics.js [--rows 1000000] [--keep] [--database sy_bench_x] [--lookups-only] [--skip-raw]
 *   (--skip-raw: no raw-path timings, which take minutes a query at ten million rows)
 *   (CLICKHOUSE_URL, default http://127.0.0.1:8123)
 */
import { performance } from 'node:perf_hooks';
import {
  analyticsPlan,
  analyticsReport,
  createAnalyticsClient,
  findUsageRecord,
  lit,
  migrateAnalytics,
  refreshUsageRollups,
  sql,
  usageLogs,
  type AnalyticsQuery,
  type ClickHouseClient,
} from '@switchyard/analytics';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

const CHUNK = 1_000_000;
const END = Math.floor(Date.UTC(2026, 0, 1) / 1000);
const SPAN = 90 * 86_400;

/**
 * Rows [first, first + n) of `total`, spread evenly over the 90 days. 20 teams of 10 keys, each key one
 * user's (a key belongs to a user, as virtual keys do), 1,000 end users, 12 models on 24 deployments, 5%
 * errors, a third streamed; cost ~ tokens.
 */
function generate(db: ReturnType<typeof lit.ident>, first: number, n: number, total: number) {
  return sql`INSERT INTO ${db}.usage (request_id, ts, date, org_id, team_id, user_id, key_id, end_user, tags,
  requested_model, deployment_id, provider, upstream_model, status, error_type, prompt_tokens, completion_tokens,
  cached_tokens, reasoning_tokens, cost_nanos, input_cost_nanos, output_cost_nanos, latency_ms, ttft_ms, stream,
  cache_hit, fallback_depth, inserted_at, version, unpriced, price_source, catalogue_version)
SELECT concat('req_', toString(number)) AS request_id,
  toDateTime(${lit.uint(END)} - intDiv(number * ${lit.uint(SPAN)}, ${lit.uint(total)}), 'UTC') AS ts,
  toDate(ts) AS date, 'org-1', concat('team-', toString(number % 20)), concat('user-', toString(number % 200 % 97)),
  concat('key-', toString(number % 200)), concat('end-', toString(number % 1000)),
  [concat('tag-', toString(number % 7))], concat('model-', toString(number % 12)),
  concat('dep-', toString(number % 24)), if(number % 3 = 0, 'anthropic', 'openai'),
  concat('upstream-', toString(number % 12)), if(number % 20 = 0, 429, 200), if(number % 20 = 0, 'rate_limit', ''),
  100 + number % 4000, 10 + number % 800, number % 5 * 100, number % 3 * 10,
  (100 + number % 4000) * 2500 + (10 + number % 800) * 10000, (100 + number % 4000) * 2500,
  (10 + number % 800) * 10000, 200 + number % 3000, if(number % 3 = 0, 100 + number % 500, NULL), number % 3 = 0,
  0, 0, ts, 1, number % 50 = 0, 'catalogue', 'bench'
FROM system.numbers WHERE number >= ${lit.uint(first)} LIMIT ${lit.uint(n)}`;
}

async function count(client: ClickHouseClient, query: ReturnType<typeof sql>): Promise<number> {
  const rs = await client.query({ query: query.text, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
}

/** Median of 5 runs after a warm-up; of 3 when the warm-up took over 2 s (raw scans of 10M rows). */
async function time(run: () => Promise<unknown>): Promise<{ median: number; min: number; n: number }> {
  const w = performance.now();
  await run();
  const n = performance.now() - w > 2_000 ? 3 : 5;
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(n / 2)]!, min: times[0]!, n };
}

async function main(): Promise<void> {
  const url = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
  const reuse = arg('database');
  const database = reuse ?? `sy_bench_${Date.now().toString(36)}`;
  // Generating and rolling up millions of rows takes minutes a statement on a busy machine.
  const client = createAnalyticsClient({ url, requestTimeoutMs: 1_800_000 });
  const db = lit.ident(database);
  const keep = reuse !== undefined || process.argv.includes('--keep');
  try {
    await migrateAnalytics({ url, database });
    let rows = await count(client, sql`SELECT count() AS n FROM ${db}.usage`);
    if (!reuse) {
      rows = Number(arg('rows') ?? 1_000_000);
      if (!Number.isSafeInteger(rows) || rows < 1) throw new Error('--rows takes a positive integer.');
      const t0 = performance.now();
      for (let first = 0; first < rows; first += CHUNK) {
        const n = Math.min(CHUNK, rows - first);
        await client.command({ query: generate(db, first, n, rows).text });
        const s = (performance.now() - t0) / 1000;
        process.stdout.write(
          `\r${first + n} / ${rows} rows in ${s.toFixed(1)} s (${Math.round((first + n) / s)} rows/s)`,
        );
      }
      process.stdout.write('\n');
      const t1 = performance.now();
      await client.command({ query: sql`OPTIMIZE TABLE ${db}.usage FINAL`.text }).catch(() => undefined);
      console.log(`merged in ${((performance.now() - t1) / 1000).toFixed(1)} s (${database})`);
    }
    const t2 = performance.now();
    const run = await refreshUsageRollups(client, database);
    const rolled = await count(client, sql`SELECT count() AS n FROM ${db}.usage_rollups`);
    console.log(
      `rollup run: ${run.hours} hours and ${run.days} days in ${run.steps} steps, ${rolled} rollup rows in all, in ${((performance.now() - t2) / 1000).toFixed(1)} s`,
    );
    // The rows are new to ClickHouse, so readers would take their hours raw for a few minutes
    // (ROLLUP_SEEN_MARGIN_SECONDS): measure the steady state, as if they had been inserted long ago.
    await client.command({ query: sql`TRUNCATE TABLE ${db}.usage_seen_hours`.text });
    const t3 = performance.now();
    await refreshUsageRollups(client, database);
    console.log(`a rollup run with nothing new: ${(performance.now() - t3).toFixed(0)} ms`);
    console.log(`${rows} usage rows`);

    const from = new Date((END - SPAN) * 1000);
    const to = new Date(END * 1000);
    const week = new Date((END - 7 * 86_400) * 1000);
    // A range that starts and ends off the hour: raw rows for its ragged ends, hours, then days.
    const raggedFrom = new Date((END - 30 * 86_400 + 1_234) * 1000);
    const raggedTo = new Date((END - 86_400 - 4_321) * 1000);
    const reports: [string, AnalyticsQuery][] = [
      ['group_by=team, 90 days', { groupBy: ['team'], from, to }],
      ['group_by=model, 90 days', { groupBy: ['model'], from, to }],
      ['group_by=team,model interval=day, 90 days', { groupBy: ['team', 'model'], interval: 'day', from, to }],
      [
        'team=team-3 group_by=model interval=hour, 7 days',
        { groupBy: ['model'], interval: 'hour', from: week, to, equals: { team: 'team-3' } },
      ],
      ['team=team-3 totals, 90 days', { groupBy: [], from, to, equals: { team: 'team-3' } }],
      ['group_by=tag,status, 90 days', { groupBy: ['tag', 'status'], from, to }],
      ['group_by=key interval=month, 90 days', { groupBy: ['key'], interval: 'month', from, to }],
      [
        'group_by=end_user,model interval=day (customer report)',
        { groupBy: ['end_user', 'model'], interval: 'day', from, to },
      ],
      ['group_by=provider, ragged 29 days', { groupBy: ['provider'], from: raggedFrom, to: raggedTo }],
      ['totals, no range', { groupBy: [] }],
    ];
    console.log('median of 5 runs after a warm-up (of 3 when the warm-up took over 2 s)');
    // "api page": what GET /v1/analytics runs: the first page (1,000 rows, the default) through the rollups.
    console.log(
      `${'query'.padEnd(56)} ${'raw median'.padStart(11)} ${'rollup median'.padStart(14)} ${'api page'.padStart(11)}  plan`,
    );
    // --lookups-only: the logs and request-id lookups alone (the raw scans above take minutes at 10M rows).
    for (const [name, q] of process.argv.includes('--lookups-only') ? [] : reports) {
      const raw = process.argv.includes('--skip-raw')
        ? { median: NaN }
        : await time(() => analyticsReport(client, database, q, { source: 'raw' }));
      const auto = await time(() => analyticsReport(client, database, q));
      const page = await time(() => analyticsReport(client, database, q, { page: { limit: 1_000 } }));
      const plan = await analyticsPlan(client, database, q);
      const via = plan.cube
        ? `cube ${plan.cube.id}: ${[...new Set(plan.segments!.map((s) => s.source))].join('+')}`
        : 'raw only';
      console.log(
        `${name.padEnd(56)} ${raw.median.toFixed(1).padStart(8)} ms ${auto.median.toFixed(1).padStart(11)} ms ${page.median.toFixed(1).padStart(8)} ms  ${via}`,
      );
    }
    const lookups: [string, () => Promise<unknown>][] = [
      ['logs first page (100), team=team-3', () => usageLogs(client, database, { equals: { team: 'team-3' } }, 100)],
      ['logs first page (100), all teams', () => usageLogs(client, database, {}, 100)],
      [
        'logs page 3 (100) by cursor, team=team-3',
        async () => {
          let page = await usageLogs(client, database, { equals: { team: 'team-3' } }, 100);
          for (let i = 0; i < 2; i++) {
            const last = page[page.length - 1]!;
            page = await usageLogs(client, database, { equals: { team: 'team-3' } }, 100, {
              ts: last.ts,
              requestId: last.request_id,
            });
          }
        },
      ],
      [
        'logs first page (100), model=model-5, last 7 days',
        () => usageLogs(client, database, { from: week, to, equals: { model: 'model-5' } }, 100),
      ],
      ['request by id', () => findUsageRecord(client, database, `req_${Math.floor(rows / 2)}`)],
    ];
    for (const [name, run] of lookups) {
      const t = await time(run);
      console.log(`${name.padEnd(56)} ${t.median.toFixed(1).padStart(8)} ms`);
    }
  } finally {
    if (!keep) await client.command({ query: sql`DROP DATABASE IF EXISTS ${db}`.text });
    await client.close();
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});

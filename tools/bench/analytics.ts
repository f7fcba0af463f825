/**
 * Analytics query times at scale: creates a scratch ClickHouse database, migrates it, generates usage rows
 * over 90 days server-side (INSERT ... SELECT FROM numbers(), no client round trips), then times each
 * analytics query the admin API runs (median of 5 runs after a warm-up). The database is dropped at the end
 * unless --keep.
 *
 *   node dist/tools/bench/analytics.js [--rows 1000000] [--keep]   (CLICKHOUSE_URL, default http://127.0.0.1:8123)
 */
import { performance } from 'node:perf_hooks';
import {
  analyticsReport,
  createAnalyticsClient,
  findUsageRecord,
  lit,
  migrateAnalytics,
  sql,
  usageLogs,
  type AnalyticsQuery,
} from '@switchyard/analytics';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

async function main(): Promise<void> {
  const url = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
  const rows = Number(arg('rows') ?? 1_000_000);
  if (!Number.isSafeInteger(rows) || rows < 1) throw new Error('--rows takes a positive integer.');
  const database = `sy_bench_${Date.now().toString(36)}`;
  const client = createAnalyticsClient({ url });
  const db = lit.ident(database);
  const end = Math.floor(Date.UTC(2026, 0, 1) / 1000);
  const span = 90 * 86_400;
  try {
    await migrateAnalytics({ url, database });
    const t0 = performance.now();
    // 20 teams, 10 keys each, 12 models on 24 deployments, 5% errors, a third streamed; cost ~ tokens.
    await client.command({
      query: sql`INSERT INTO ${db}.usage (request_id, ts, date, org_id, team_id, user_id, key_id, end_user, tags,
  requested_model, deployment_id, provider, upstream_model, status, error_type, prompt_tokens, completion_tokens,
  cached_tokens, reasoning_tokens, cost_nanos, input_cost_nanos, output_cost_nanos, latency_ms, ttft_ms, stream,
  cache_hit, fallback_depth, inserted_at, version, unpriced, price_source, catalogue_version)
SELECT concat('req_', toString(number)) AS request_id,
  toDateTime(${lit.uint(end)} - intDiv(number * ${lit.uint(span)}, ${lit.uint(rows)}), 'UTC') AS ts,
  toDate(ts) AS date, 'org-1', concat('team-', toString(number % 20)), concat('user-', toString(number % 97)),
  concat('key-', toString(number % 200)), concat('end-', toString(number % 1000)),
  [concat('tag-', toString(number % 7))], concat('model-', toString(number % 12)),
  concat('dep-', toString(number % 24)), if(number % 3 = 0, 'anthropic', 'openai'),
  concat('upstream-', toString(number % 12)), if(number % 20 = 0, 429, 200), if(number % 20 = 0, 'rate_limit', ''),
  100 + number % 4000, 10 + number % 800, number % 5 * 100, number % 3 * 10,
  (100 + number % 4000) * 2500 + (10 + number % 800) * 10000, (100 + number % 4000) * 2500,
  (10 + number % 800) * 10000, 200 + number % 3000, if(number % 3 = 0, 100 + number % 500, NULL), number % 3 = 0,
  0, 0, ts, 1, number % 50 = 0, 'catalogue', 'bench'
FROM system.numbers LIMIT ${lit.uint(rows)}`.text,
    });
    await client.command({ query: sql`OPTIMIZE TABLE ${db}.usage FINAL`.text }).catch(() => undefined);
    console.log(`${rows} rows inserted and merged in ${((performance.now() - t0) / 1000).toFixed(1)} s (${database})`);

    const from = new Date((end - span) * 1000);
    const to = new Date(end * 1000);
    const week = new Date((end - 7 * 86_400) * 1000);
    const queries: [string, () => Promise<unknown>][] = [
      ['group_by=team, 90 days', () => report({ groupBy: ['team'], from, to })],
      ['group_by=model, 90 days', () => report({ groupBy: ['model'], from, to })],
      [
        'group_by=team,model interval=day, 90 days',
        () => report({ groupBy: ['team', 'model'], interval: 'day', from, to }),
      ],
      [
        'team=team-3 group_by=model interval=hour, 7 days',
        () => report({ groupBy: ['model'], interval: 'hour', from: week, to, equals: { team: 'team-3' } }),
      ],
      ['team=team-3 totals, 90 days', () => report({ groupBy: [], from, to, equals: { team: 'team-3' } })],
      ['group_by=tag,status, 90 days', () => report({ groupBy: ['tag', 'status'], from, to })],
      ['logs first page (100), team=team-3', () => usageLogs(client, database, { equals: { team: 'team-3' } }, 100)],
      ['request by id', () => findUsageRecord(client, database, `req_${Math.floor(rows / 2)}`)],
    ];
    function report(q: AnalyticsQuery) {
      return analyticsReport(client, database, q);
    }
    for (const [name, run] of queries) {
      await run();
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await run();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      console.log(`${name.padEnd(52)} median ${times[2]!.toFixed(1).padStart(8)} ms   min ${times[0]!.toFixed(1)} ms`);
    }
  } finally {
    if (!process.argv.includes('--keep')) await client.command({ query: sql`DROP DATABASE IF EXISTS ${db}`.text });
    await client.close();
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countUsageRows,
  createAnalyticsClient,
  findUsageRecord,
  insertUsageRows,
  lit,
  migrateAnalytics,
  migrationChecksum,
  ANALYTICS_MIGRATIONS,
  spendReport,
  sql,
  type ClickHouseClient,
  type UsageRow,
} from './index';

const url = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const database = `sy_test_${randomBytes(6).toString('hex')}`;
const tamperedDb = `${database}_t`;
const poisonDb = `${database}_p`;
let client: ClickHouseClient;

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0); // 2025-01-15T12:00:00Z

function row(over: Partial<UsageRow> & Pick<UsageRow, 'requestId'>): UsageRow {
  return {
    ts: T0,
    orgId: '',
    teamId: 'team-a',
    userId: '',
    keyId: 'key-1',
    endUser: '',
    tags: [],
    requestedModel: 'gpt-4o',
    deploymentId: 'dep-1',
    provider: 'openai',
    upstreamModel: 'gpt-4o',
    status: 200,
    errorType: '',
    promptTokens: 10,
    completionTokens: 5,
    cachedTokens: 0,
    reasoningTokens: 0,
    costNanos: 0n,
    latencyMs: 12.6,
    ttftMs: null,
    stream: false,
    cacheHit: false,
    fallbackDepth: 0,
    usageEstimated: false,
    usageClamped: false,
    ...over,
  };
}

beforeAll(async () => {
  client = createAnalyticsClient({ url });
});

afterAll(async () => {
  for (const db of [database, tamperedDb, poisonDb])
    await client.command({ query: sql`DROP DATABASE IF EXISTS ${lit.ident(db)}`.text });
  await client.close();
});

describe('analytics against ClickHouse', () => {
  it('migrates, and a second run is a no-op', async () => {
    const first: string[] = [];
    await migrateAnalytics({ url, database }, (l) => first.push(l));
    expect(first.join('\n')).toContain('applied 0001_usage');
    const second: string[] = [];
    await migrateAnalytics({ url, database }, (l) => second.push(l));
    expect(second).toEqual([`clickhouse ${database}: up to date`]);
    const rs = await client.query({
      query: sql`SELECT name, checksum FROM ${lit.table(database, 'schema_migrations')} FINAL`.text,
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual(
      ANALYTICS_MIGRATIONS.map((m) => ({ name: m.name, checksum: migrationChecksum(m) })),
    );
  });

  it('stores a row whose client text holds lone surrogates, with its usage flags', async () => {
    await migrateAnalytics({ url, database: poisonDb });
    await insertUsageRows(client, poisonDb, [
      row({
        requestId: 'poisoned',
        endUser: 'u\ud800',
        requestedModel: '\udc00m',
        tags: ['t\ud83d'],
        usageClamped: true,
        usageEstimated: true,
      }),
    ]);
    const rs = await client.query({
      query:
        sql`SELECT end_user, requested_model, tags, usage_clamped, usage_estimated FROM ${lit.table(poisonDb, 'usage')} FINAL WHERE request_id = 'poisoned'`
          .text,
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([
      { end_user: 'u\uFFFD', requested_model: '\uFFFDm', tags: ['t\uFFFD'], usage_clamped: 1, usage_estimated: 1 },
    ]);
  });

  it('a refused insert is one concise line', async () => {
    await migrateAnalytics({ url, database: poisonDb });
    const bad = row({ requestId: 'x' }) as unknown as Record<string, unknown>;
    bad['ts'] = Number.NaN;
    const err = await insertUsageRows(client, poisonDb, [bad as unknown as UsageRow]).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).not.toContain('\n');
    expect((err as Error).message.length).toBeLessThan(700);
  });

  it('refuses to run when an applied migration changed', async () => {
    await migrateAnalytics({ url, database: tamperedDb });
    await client.insert({
      table: `${tamperedDb}.schema_migrations`,
      values: [{ name: '0001_usage', checksum: 'f'.repeat(64), applied_at: 1 }],
      format: 'JSONEachRow',
    });
    await expect(migrateAnalytics({ url, database: tamperedDb })).rejects.toThrow(
      /0001_usage .*checksum .*must not change/,
    );
  });

  it('names ClickHouse and what to check when it fails', async () => {
    await expect(countUsageRows(client, 'sy_no_such_db_x')).rejects.toThrow(
      /ClickHouse usage row count failed .*run the analytics migrations/,
    );
    await expect(migrateAnalytics({ url: 'http://127.0.0.1:1', database })).rejects.toThrow(
      /ClickHouse migration .*failed/,
    );
  });

  it('deduplicates redelivered rows and reports exact spend', async () => {
    const hour = 3600_000;
    const rows = [
      row({
        requestId: 'r1',
        teamId: 'team-a',
        requestedModel: 'gpt-4o',
        costNanos: 7_250_000n,
        promptTokens: 1000,
        completionTokens: 500,
      }),
      row({
        requestId: 'r2',
        teamId: 'team-a',
        requestedModel: 'claude-sonnet-4',
        costNanos: 123_456_789_012n,
        ts: T0 + hour,
        tags: ["it's", 'a\\b'],
      }),
      row({
        requestId: 'r3',
        teamId: 'team-b',
        requestedModel: 'gpt-4o',
        costNanos: 1n,
        ts: T0 + 2 * hour,
        keyId: 'key-2',
        ttftMs: 40,
      }),
      row({
        requestId: 'r4',
        teamId: '',
        keyId: '',
        requestedModel: 'gpt-4o',
        costNanos: 0n,
        ts: T0 + 3 * hour,
        status: 429,
        errorType: 'rate_limit_error',
      }),
      // ten days later: another month? no, same month, outside the to-filter below
      row({ requestId: 'r5', teamId: 'team-b', requestedModel: 'gpt-4o-mini', costNanos: 500n, ts: T0 + 240 * hour }),
      // next month: another partition
      row({
        requestId: 'r6',
        teamId: 'team-b',
        requestedModel: 'gpt-4o-mini',
        costNanos: 1_000n,
        ts: Date.UTC(2025, 1, 3),
      }),
    ];
    await insertUsageRows(client, database, rows);
    // A redelivery of r1 and r6 in a later batch: same key columns, must collapse.
    await insertUsageRows(client, database, [rows[0], rows[5]]);
    await insertUsageRows(client, database, []);

    expect(await countUsageRows(client, database)).toBe(6);
    expect(await countUsageRows(client, database, { keyId: 'key-1' })).toBe(4);
    expect(await countUsageRows(client, database, { keyId: "key-1' OR '1'='1" })).toBe(0);

    const byTeam = await spendReport(client, database, { groupBy: 'team' });
    expect(byTeam).toEqual([
      {
        group: 'team-a',
        spend: 123.464039012,
        spendNanos: '123464039012',
        requests: 2,
        prompt_tokens: 1010,
        completion_tokens: 505,
      },
      {
        group: 'team-b',
        spend: 0.000001501,
        spendNanos: '1501',
        requests: 3,
        prompt_tokens: 30,
        completion_tokens: 15,
      },
      { group: '', spend: 0, spendNanos: '0', requests: 1, prompt_tokens: 10, completion_tokens: 5 },
    ]);

    // [T0 + 1h, T0 + 3h): r2 and r3 only
    const byModel = await spendReport(client, database, {
      groupBy: 'model',
      from: new Date(T0 + hour),
      to: new Date(T0 + 3 * hour),
    });
    expect(byModel).toEqual([
      {
        group: 'claude-sonnet-4',
        spend: 123.456789012,
        spendNanos: '123456789012',
        requests: 1,
        prompt_tokens: 10,
        completion_tokens: 5,
      },
      { group: 'gpt-4o', spend: 0.000000001, spendNanos: '1', requests: 1, prompt_tokens: 10, completion_tokens: 5 },
    ]);

    const teamB = await spendReport(client, database, { groupBy: 'model', teamId: 'team-b', from: new Date(T0) });
    expect(teamB.map((r) => [r.group, r.spendNanos, r.requests])).toEqual([
      ['gpt-4o-mini', '1500', 2],
      ['gpt-4o', '1', 1],
    ]);
    expect(await spendReport(client, database, { groupBy: 'team', teamId: "x'; DROP DATABASE default; --" })).toEqual(
      [],
    );

    const rs = await client.query({
      query:
        sql`SELECT tags, ttft_ms, latency_ms, date, toUnixTimestamp(ts) AS ts FROM ${lit.table(database, 'usage')} FINAL WHERE request_id IN (${lit.string('r2')}, ${lit.string('r3')}) ORDER BY request_id`
          .text,
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([
      { tags: ["it's", 'a\\b'], ttft_ms: null, latency_ms: 13, date: '2025-01-15', ts: (T0 + hour) / 1000 },
      { tags: [], ttft_ms: 40, latency_ms: 13, date: '2025-01-15', ts: (T0 + 2 * hour) / 1000 },
    ]);
  });

  it('finds a request by id (usage_by_request, then the usage sort key), with its cost by part', async () => {
    const rows = Array.from({ length: 50 }, (_, i) =>
      row({ requestId: `find-${i}`, teamId: `team-${i % 5}`, ts: T0 + i * 60_000 }),
    );
    rows[7] = {
      ...rows[7]!,
      cacheWriteTokens: 3,
      reasoningTokens: 2,
      costNanos: 1_234n,
      cost: {
        inputCostNanos: 1_000n,
        cachedCostNanos: 0n,
        cacheWriteCostNanos: 100n,
        outputCostNanos: 84n,
        reasoningCostNanos: 50n,
        otherCostNanos: 0n,
        retryCostNanos: 0n,
        billedAttempts: 0,
        unpriced: false,
        priceSource: 'catalogue',
        pricedAs: 'gpt-4o',
        catalogueVersion: 'abc123',
      },
    };
    await insertUsageRows(client, database, rows);
    // Redelivered: collapses.
    await insertUsageRows(client, database, [rows[7]!]);
    const found = await findUsageRecord(client, database, 'find-7');
    expect(found).toMatchObject({
      request_id: 'find-7',
      team_id: 'team-2',
      cost_nanos: '1234',
      input_cost_nanos: '1000',
      cache_write_cost_nanos: '100',
      reasoning_cost_nanos: '50',
      cache_write_tokens: '3',
      price_source: 'catalogue',
      catalogue_version: 'abc123',
    });
    expect(Number(found!.ts) * 1000).toBe(T0 + 7 * 60_000);
    expect(await findUsageRecord(client, database, 'no-such-request')).toBeUndefined();
    expect(await findUsageRecord(client, database, "it's'; DROP TABLE x")).toBeUndefined();
  });

  it('migrates a table of the old shape without losing its rows', async () => {
    const old = `${database}_old`;
    const db = lit.ident(old);
    try {
      await client.command({ query: sql`CREATE DATABASE IF NOT EXISTS ${db}`.text });
      // Applies 0001 and 0002 only, by running the migrator against a copy of their list.
      const early = ANALYTICS_MIGRATIONS.slice(0, 2);
      for (const m of early) for (const st of m.statements(db)) await client.command({ query: st.text });
      await client.command({
        query:
          sql`CREATE TABLE ${db}.schema_migrations (name String, checksum String, applied_at DateTime('UTC')) ENGINE = ReplacingMergeTree() ORDER BY name`
            .text,
      });
      await client.insert({
        table: `${old}.schema_migrations`,
        values: early.map((m) => ({ name: m.name, checksum: migrationChecksum(m), applied_at: 0 })),
        format: 'JSONEachRow',
      });
      await client.insert({
        table: `${old}.usage`,
        values: [1, 2, 3].map((i) => ({
          request_id: `old-${i}`,
          ts: T0 / 1000,
          date: '2025-01-15',
          team_id: 't',
          requested_model: 'gpt-4o',
          prompt_tokens: i,
          cost_nanos: String(i * 100),
          version: 1,
        })),
        format: 'JSONEachRow',
      });
      const log: string[] = [];
      await migrateAnalytics({ url, database: old }, (l) => log.push(l));
      expect(log.join('\n')).toContain('applied 0003_usage_by_time_cost_parts');
      expect(await countUsageRows(client, old)).toBe(3);
      expect((await findUsageRecord(client, old, 'old-2'))?.cost_nanos).toBe('200');
      const rs = await client
        .query({
          query: sql`SELECT sorting_key FROM system.tables WHERE database = ${lit.string(old)} AND name = 'usage'`.text,
          format: 'JSONEachRow',
        })
        .catch(() => undefined);
      // system.tables.sorting_key exists on current releases only; 18.16 has no such column.
      if (rs) expect((await rs.json<{ sorting_key: string }>())[0]?.sorting_key).toBe('team_id, ts, request_id');
    } finally {
      await client.command({ query: sql`DROP DATABASE IF EXISTS ${db}`.text });
    }
  });
});

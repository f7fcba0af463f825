import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import type { Kysely } from 'kysely';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  ANALYTICS_DATABASE,
  CLICKHOUSE,
  createAnalyticsClient,
  insertUsageRows,
  migrateAnalytics,
  type UsageRow,
} from '@switchyard/analytics';
import { CONFIG, ENV, loadEnv } from '@switchyard/config';
import { BudgetsRepository, createDb, DB, migrateDatabase, type Database } from '@switchyard/db';
import { createJobsRedis, JobRegistry, JobRunner, JOBS_OPTIONS, JOBS_REDIS, noopJobHandlers } from '@switchyard/jobs';
import { closedPeriods, reportPeriodMs, SpendReportJobs } from './spend-report.jobs';

const base = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CLICKHOUSE_URL = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const suffix = randomBytes(6).toString('hex');
const dbName = `sy_test_spend_report_${suffix}`;
const url = Object.assign(new URL(base), { pathname: `/${dbName}` }).toString();
const prefix = `test-spend-report-${suffix}`;
/** The report period: short, so the test sees several. */
const FREQUENCY = '2s';

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function row(requestId: string, ts: number, teamId: string, keyId: string, costNanos: bigint): UsageRow {
  return {
    requestId,
    ts,
    orgId: '',
    teamId,
    userId: '',
    keyId,
    endUser: '',
    tags: [],
    requestedModel: 'gpt-4o-mini',
    deploymentId: 'd1',
    provider: 'openai',
    upstreamModel: 'gpt-4o-mini',
    status: 200,
    errorType: '',
    promptTokens: 10,
    completionTokens: 5,
    cachedTokens: 0,
    reasoningTokens: 0,
    costNanos,
    latencyMs: 100,
    ttftMs: null,
    stream: false,
    cacheHit: false,
    fallbackDepth: 0,
    usageEstimated: false,
    usageClamped: false,
  };
}

type Report = {
  period_start: string;
  period_end: string;
  spend_nanos: string;
  requests: number;
  top_teams: Record<string, unknown>[];
  top_keys: Record<string, unknown>[];
};

describe('scheduled spend reports: one webhook POST per closed period, retried until 2xx', () => {
  let db: Kysely<Database>;
  let ch: ClickHouseClient;
  let app: INestApplicationContext;
  let server: Server;
  const received: { status: number; body: Report }[] = [];
  /** Periods whose report the webhook refuses twice before taking it (those with requests in them). */
  const refusals = new Map<string, number>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(raw) as Report;
        let status = 200;
        if (body.requests > 0) {
          const n = refusals.get(body.period_start) ?? 0;
          if (n < 2) status = 503;
          refusals.set(body.period_start, n + 1);
        }
        received.push({ status, body });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const webhook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/reports`;

    await Promise.all([
      migrateDatabase(url),
      migrateAnalytics({ url: CLICKHOUSE_URL, database: dbName, username: 'default', password: '' }),
    ]);
    db = createDb(url);
    ch = createAnalyticsClient({ url: CLICKHOUSE_URL });
    @Module({
      imports: [DiscoveryModule],
      providers: [
        { provide: DB, useValue: db },
        { provide: CLICKHOUSE, useValue: ch },
        { provide: ANALYTICS_DATABASE, useValue: dbName },
        { provide: ENV, useValue: loadEnv({ REDIS_URL, SWITCHYARD_REDIS_PREFIX: prefix, WEBHOOK_URL: webhook }) },
        {
          provide: CONFIG,
          useValue: { alerting: ['webhook'], alertTypes: ['spend_reports'], spendReportFrequency: FREQUENCY },
        },
        { provide: JOBS_REDIS, useFactory: () => createJobsRedis(REDIS_URL) },
        { provide: JOBS_OPTIONS, useValue: { prefix } },
        BudgetsRepository,
        SpendReportJobs,
        // The other catalogued jobs need a handler for boot to pass; they are not what this file tests.
        noopJobHandlers(SpendReportJobs),
        JobRegistry,
        JobRunner,
      ],
    })
    class TestModule {}
    app = await NestFactory.createApplicationContext(TestModule, { logger: false });
    await app.init();
  });

  afterAll(async () => {
    if (app) {
      const queue = new Queue('maintenance', {
        connection: new IORedis(REDIS_URL, { maxRetriesPerRequest: null }),
        prefix,
      });
      await app.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
    await db?.destroy();
    await ch?.command({ query: `DROP DATABASE IF EXISTS ${dbName}` }).catch(() => undefined);
    await ch?.close();
    await new Promise((r) => server?.close(r));
    const c = new Client({ connectionString: base });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await c.end();
  });

  it('lists periods aligned to the epoch, each once, the missed ones too', () => {
    expect(reportPeriodMs('2s')).toBe(2_000);
    expect(reportPeriodMs('1d')).toBe(86_400_000);
    expect(closedPeriods(2_000, 10_500, undefined)).toEqual([{ fromMs: 8_000, toMs: 10_000 }]);
    expect(closedPeriods(2_000, 10_500, 6_000)).toEqual([
      { fromMs: 6_000, toMs: 8_000 },
      { fromMs: 8_000, toMs: 10_000 },
    ]);
    expect(closedPeriods(2_000, 11_999, 10_000)).toEqual([]);
  });

  it('reports each period once, with its total and top teams and keys, after the webhook refused it twice', async () => {
    // The first report (of an empty period) shows the schedule runs.
    await until('a first spend report', () => (received.length > 0 ? true : undefined));
    const teams = await db
      .insertInto('teams')
      .values([{ team_alias: 'search' }, { team_alias: 'support' }])
      .returning(['id', 'team_alias'])
      .execute();
    const [search, support] = [teams[0]!.id, teams[1]!.id];
    const [k1, k2, k3] = [randomUUID(), randomUUID(), randomUUID()];
    const now = Date.now();
    await insertUsageRows(ch, dbName, [
      row(`r1-${suffix}`, now, search, k1, 7_000n),
      row(`r2-${suffix}`, now, search, k2, 2_500n),
      row(`r3-${suffix}`, now, support, k3, 4_000n),
    ]);
    const periodStart = new Date(Math.floor(now / 2_000) * 2_000).toISOString();
    const ok = await until('the report of the period with the requests to be taken', () =>
      received.find((r) => r.status === 200 && r.body.period_start === periodStart),
    );
    expect(ok.body).toMatchObject({
      period_end: new Date(Date.parse(periodStart) + 2_000).toISOString(),
      spend_nanos: '13500',
      requests: 3,
      top_teams: [
        { team_id: search, team_alias: 'search', spend_nanos: '9500', requests: 2 },
        { team_id: support, team_alias: 'support', spend_nanos: '4000', requests: 1 },
      ],
      top_keys: [
        { key_id: k1, key_alias: null, spend_nanos: '7000', requests: 1 },
        { key_id: k3, key_alias: null, spend_nanos: '4000', requests: 1 },
        { key_id: k2, key_alias: null, spend_nanos: '2500', requests: 1 },
      ],
    });
    // Two refusals, then the same report again until it was taken.
    const tries = received.filter((r) => r.body.period_start === periodStart);
    expect(tries.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(tries[0]!.body).toEqual(ok.body);

    // Later periods come too, and no period is ever reported twice once taken.
    await until('a report of a later period', () =>
      received.some((r) => r.body.period_start > periodStart) ? true : undefined,
    );
    const taken = received.filter((r) => r.status === 200).map((r) => r.body.period_start);
    expect(new Set(taken).size).toBe(taken.length);
  }, 60_000);
});

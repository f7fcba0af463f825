import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import type { Kysely } from 'kysely';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG, ENV, loadEnv } from '@switchyard/config';
import { BudgetsRepository, createDb, DB, migrateDatabase, SpendRepository, type Database } from '@switchyard/db';
import { createJobsRedis, JobRegistry, JobRunner, JOBS_OPTIONS, JOBS_REDIS, noopJobHandlers } from '@switchyard/jobs';
import { SoftBudgetAlertJobs } from './soft-budget-alert.jobs';

const base = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const dbName = `sy_test_soft_budget_${randomBytes(6).toString('hex')}`;
const url = Object.assign(new URL(base), { pathname: `/${dbName}` }).toString();
const prefix = `test-soft-budget-${randomBytes(4).toString('hex')}`;

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('soft_budget alerts: one webhook POST per crossing per period, retried until 2xx', () => {
  let db: Kysely<Database>;
  let app: INestApplicationContext;
  let server: Server;
  const received: { status: number; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    // The webhook fails twice, then answers 200.
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const status = received.length < 2 ? 500 : 200;
        received.push({ status, body: JSON.parse(raw) as Record<string, unknown> });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const webhook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;

    await migrateDatabase(url);
    db = createDb(url);
    @Module({
      imports: [DiscoveryModule],
      providers: [
        { provide: DB, useValue: db },
        { provide: ENV, useValue: loadEnv({ REDIS_URL, SWITCHYARD_REDIS_PREFIX: prefix, WEBHOOK_URL: webhook }) },
        { provide: CONFIG, useValue: { alerting: ['webhook'] } },
        { provide: JOBS_REDIS, useFactory: () => createJobsRedis(REDIS_URL) },
        { provide: JOBS_OPTIONS, useValue: { prefix } },
        BudgetsRepository,
        SpendRepository,
        SoftBudgetAlertJobs,
        // The other catalogued jobs need a handler for boot to pass; they are not what this file tests.
        noopJobHandlers(SoftBudgetAlertJobs),
        JobRegistry,
        JobRunner,
      ],
    })
    class TestModule {}
    app = await NestFactory.createApplicationContext(TestModule, { logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await db?.destroy();
    await new Promise((r) => server?.close(r));
    const c = new Client({ connectionString: base });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await c.end();
  });

  it('alerts once when a batch takes a key past its soft budget, naming the key, never its secret', async () => {
    const keyHash = randomBytes(16).toString('hex');
    const period = new Date('2030-01-01T00:00:00Z');
    const { id } = await db
      .insertInto('api_keys')
      .values({
        key_hash: keyHash,
        key_prefix: 'sk-sy-ab…wxyz',
        key_alias: 'search-bot',
        team_id: null,
        soft_budget_nanos: '1000',
        max_budget_nanos: '5000',
        budget_duration: '1mo',
        budget_reset_at: period,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const spend = app.get(SpendRepository);
    const alerts = app.get(SoftBudgetAlertJobs);
    let n = 0;
    const batch = async (cost: bigint) => {
      const r = await spend.recordSpendTotals([{ requestId: `r-${++n}`, keyId: id, teamId: null, costNanos: cost }]);
      await alerts.afterSpend(r.totals);
      return r.totals;
    };

    await batch(600n); // under the soft budget: nothing
    const crossing = await batch(600n); // 1200 ≥ 1000: the crossing
    await batch(100n); // still over: no second alert
    await alerts.afterSpend(crossing); // the same crossing seen again (a redelivered batch): collapses

    await until('the webhook to answer 200', () => (received.some((r) => r.status === 200) ? true : undefined));
    expect(received.map((r) => r.status)).toEqual([500, 500, 200]);
    const body = received[2]!.body;
    expect(body).toMatchObject({
      event: 'soft_budget_crossed',
      event_group: 'key',
      key_id: id,
      key_alias: 'search-bot',
      spend_nanos: '1200',
      soft_budget_nanos: '1000',
      max_budget: 0.000005,
      budget_reset_at: period.toISOString(),
    });
    expect(received[0]!.body).toEqual(body);
    expect(JSON.stringify(received)).not.toContain(keyHash);

    // One alert job in all: the redelivered crossing collapsed into it and the later batch crossed nothing.
    const queue = new Queue('maintenance', {
      connection: new IORedis(REDIS_URL, { maxRetriesPerRequest: null }),
      prefix,
    });
    const all = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
    expect(all.filter((j) => j.name === 'budgets.soft-budget-alert').map((j) => j.attemptsMade)).toEqual([3]);
    await queue.obliterate({ force: true });
    await queue.close();
  });
});

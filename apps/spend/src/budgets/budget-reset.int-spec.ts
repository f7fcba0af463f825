import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { sql, type Kysely } from 'kysely';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, loadEnv } from '@switchyard/config';
import { BudgetsRepository, createDb, DB, migrateDatabase, type Database } from '@switchyard/db';
import { createJobsRedis, JobRegistry, JobRunner, JOBS_OPTIONS, JOBS_REDIS, noopJobHandlers } from '@switchyard/jobs';
import { HotRedis, LimitsStore, limitsBase, type LevelLimits } from '@switchyard/redis';
import { UsageSettlementService } from '../usage/usage-settlement.service';
import { BUDGET_CLOCK, BudgetResetJobs, budgetResetJobId } from './budget-reset.jobs';

const base = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const dbName = `sy_test_budget_reset_${randomBytes(6).toString('hex')}`;
const url = Object.assign(new URL(base), { pathname: `/${dbName}` }).toString();
const prefix = `test-budget-reset-${randomBytes(4).toString('hex')}`;
const DAY = 86_400_000;

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('budget_duration resets (budgets.reset) through BullMQ, Postgres and the Redis budget counter', () => {
  let db: Kysely<Database>;
  let app: INestApplicationContext;
  let queue: Queue;
  let hot: HotRedis;
  let store: LimitsStore;
  // The clock the jobs go by: starts at real time (BullMQ's delays are real), then jumps a day at a time.
  let clock = Date.now();

  beforeAll(async () => {
    await migrateDatabase(url);
    db = createDb(url);
    const env = loadEnv({ REDIS_URL, SWITCHYARD_REDIS_PREFIX: prefix });
    @Module({
      imports: [DiscoveryModule],
      providers: [
        { provide: DB, useValue: db },
        { provide: ENV, useValue: env },
        { provide: JOBS_REDIS, useFactory: () => createJobsRedis(REDIS_URL) },
        { provide: JOBS_OPTIONS, useValue: { prefix } },
        { provide: BUDGET_CLOCK, useValue: () => clock },
        BudgetsRepository,
        UsageSettlementService,
        BudgetResetJobs,
        // The other catalogued jobs need a handler for boot to pass; they are not what this file tests.
        noopJobHandlers(BudgetResetJobs),
        JobRegistry,
        JobRunner,
      ],
    })
    class TestModule {}
    app = await NestFactory.createApplicationContext(TestModule, { logger: false });
    await app.init();
    queue = new Queue('maintenance', { connection: new IORedis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
    // A gateway's view: the same Redis prefix, its own client.
    hot = new HotRedis({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 2000 });
    await hot.waitUntilReady(5000);
    store = new LimitsStore(hot, { reservationTtlMs: 60_000, parallelSlotTtlMs: 60_000 });
  });

  afterAll(async () => {
    await app?.close(); // closes the JobRunner's connection; db is ours
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await hot?.close();
    await db?.destroy();
    const c = new Client({ connectionString: base });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await c.end();
  });

  async function keyAtBudget(duration: string, resetAt: number): Promise<string> {
    const row = await db
      .insertInto('api_keys')
      .values({
        key_hash: randomBytes(16).toString('hex'),
        key_prefix: 'sk-test',
        key_alias: 'budgeted',
        team_id: null,
        max_budget_nanos: '1000',
        spend_nanos: '1000',
        budget_duration: duration,
        budget_reset_at: new Date(resetAt),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  const readKey = (id: string) =>
    db.selectFrom('api_keys').select(['spend_nanos', 'budget_reset_at']).where('id', '=', id).executeTakeFirstOrThrow();

  /**
   * What a gateway admits for this key, with the row as its cache read it when the key was created: a gateway
   * does not re-read Postgres at a reset, so only the Redis counter can let the key spend again.
   */
  async function admit(id: string, r: { spend_nanos: string; budget_reset_at: Date | null }): Promise<boolean> {
    const level: LevelLimits = {
      base: limitsBase('key', id),
      maxBudgetNanos: 1000n,
      rpmLimit: null,
      tpmLimit: null,
      maxParallelRequests: null,
      seedSpendNanos: BigInt(r.spend_nanos),
      seedPeriodMs: r.budget_reset_at?.getTime() ?? 0,
    };
    const reply = await store.admit(`req-${randomBytes(6).toString('hex')}`, [level], 10n, 1, clock);
    return reply.ok;
  }

  const jobState = async (jobId: string) => (await queue.getJob(jobId))?.getState();

  it('refuses a key at its budget, resets it once at the end of the period, and lets it spend again', async () => {
    const resetAt = clock + DAY;
    const id = await keyAtBudget('1d', resetAt);
    const cached = await readKey(id);
    expect(await admit(id, cached)).toBe(false);

    // A day ahead, the sweep leaves it; a minute before the end, every spend instance's sweep schedules the same
    // job and they collapse into one, delayed until the period ends.
    const jobs = app.get(JobRunner);
    const jobId = budgetResetJobId('key', id, resetAt);
    const sweep = async () => {
      const sweepId = await jobs.enqueue('budgets.reset-sweep', {});
      await until('the sweep', async () => ((await jobState(sweepId!)) === 'completed' ? true : undefined));
    };
    await sweep();
    expect(await queue.getJob(jobId)).toBeUndefined();
    clock = resetAt - 60_000;
    await sweep();
    await sweep();
    await until('the reset to be scheduled', async () => ((await jobState(jobId)) === 'delayed' ? true : undefined));
    expect((await queue.getDelayed()).filter((j) => j.name === 'budgets.reset')).toHaveLength(1);
    expect(await admit(id, cached)).toBe(false);

    // The period ends: the job's delay is up (BullMQ keeps real time, so the test moves it to now).
    clock = resetAt;
    await (await queue.getJob(jobId))!.promote();
    await until('the reset to run', async () => ((await jobState(jobId)) === 'completed' ? true : undefined));
    const done = await queue.getJob(jobId);
    expect(done!.returnvalue).toEqual({ reset: true, nextResetAt: new Date(resetAt + DAY).toISOString() });

    expect(await readKey(id)).toEqual({ spend_nanos: '0', budget_reset_at: new Date(resetAt + DAY) });
    expect(await admit(id, cached)).toBe(true);

    // The next period's end is scheduled already; running this period's end again changes nothing.
    expect(await jobState(budgetResetJobId('key', id, resetAt + DAY))).toBe('delayed');
    const again = await app.get(BudgetResetJobs).reset({ level: 'key', id, resetAtMs: resetAt });
    expect(again).toEqual({ reset: false, reason: 'already-reset' });
    expect(
      (await db.selectFrom('api_keys').select('budget_reset_at').where('id', '=', id).executeTakeFirstOrThrow())
        .budget_reset_at,
    ).toEqual(new Date(resetAt + DAY));
  });

  it('resets a period whose end was written by SQL with microseconds', async () => {
    const id = await keyAtBudget('1d', clock);
    await db
      .updateTable('api_keys')
      .set({ budget_reset_at: sql<Date>`to_timestamp(${clock / 1000}) + interval '123 microseconds'` })
      .where('id', '=', id)
      .execute();
    const row = await readKey(id);
    expect(
      await app.get(BudgetResetJobs).reset({ level: 'key', id, resetAtMs: row.budget_reset_at!.getTime() }),
    ).toEqual({
      reset: true,
      nextResetAt: new Date(row.budget_reset_at!.getTime() + DAY).toISOString(),
    });
    expect(await admit(id, row)).toBe(true);
  });

  it('a job running late skips the periods it missed, and one running early is retried rather than run', async () => {
    const start = clock;
    const id = await keyAtBudget('1h', start + 3_600_000);
    const cached = await readKey(id);
    expect(await admit(id, cached)).toBe(false);
    const jobs = app.get(BudgetResetJobs);
    await expect(jobs.reset({ level: 'key', id, resetAtMs: start + 3_600_000 })).rejects.toThrow(/not yet/);
    clock = start + 5.5 * 3_600_000;
    expect(await jobs.reset({ level: 'key', id, resetAtMs: start + 3_600_000 })).toEqual({
      reset: true,
      nextResetAt: new Date(start + 6 * 3_600_000).toISOString(),
    });
    expect(await admit(id, cached)).toBe(true);
  });
});

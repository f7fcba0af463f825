import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { Client } from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadEnv } from '@switchyard/config';
import { createDb, migrateDatabase, SpendRepository, type Database } from '@switchyard/db';
import { UsageLedgerJobs } from './usage-ledger.jobs';

const base = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `sy_test_ledger_${randomBytes(6).toString('hex')}`;
const url = Object.assign(new URL(base), { pathname: `/${dbName}` }).toString();
const HOUR = 3_600_000;
const NOW = new Date('2026-03-01T12:00:00Z');

describe('processed_usage ledger pruning (usage.ledger-prune) against a real Postgres', () => {
  let db: Kysely<Database>;
  let repo: SpendRepository;

  beforeAll(async () => {
    await migrateDatabase(url);
    db = createDb(url);
    repo = new SpendRepository(db);
  });

  afterAll(async () => {
    await db?.destroy();
    const c = new Client({ connectionString: base });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await c.end();
  });

  beforeEach(async () => {
    await db.deleteFrom('processed_usage').execute();
  });

  /** Ledger rows processed `hoursAgo` before NOW. */
  async function seed(prefix: string, count: number, hoursAgo: number): Promise<void> {
    await db
      .insertInto('processed_usage')
      .values(
        Array.from({ length: count }, (_, i) => ({
          request_id: `${prefix}-${i}`,
          key_id: null,
          team_id: null,
          cost_nanos: '1',
          processed_at: new Date(NOW.getTime() - hoursAgo * HOUR),
        })),
      )
      .execute();
  }

  const remaining = async () =>
    (await db.selectFrom('processed_usage').select('request_id').orderBy('request_id').execute()).map(
      (r) => r.request_id,
    );

  it('deletes rows older than the stream max age plus a day, in bounded batches, and keeps newer ones', async () => {
    // Defaults: stream max age 168 h, so the ledger keeps 192 h.
    const jobs = new UsageLedgerJobs(repo, loadEnv({}));
    await seed('old', 23, 200);
    await seed('edge-old', 2, 192.01);
    await seed('keep', 5, 191.9);
    await seed('fresh', 4, 1);

    const result = await jobs.pruneOnce({ batchSize: 10, now: NOW });
    expect(result).toEqual({ deleted: 25, batches: 3 }); // 10 + 10 + 5: the short batch ends the run
    expect(await remaining()).toEqual([
      ...Array.from({ length: 4 }, (_, i) => `fresh-${i}`),
      ...Array.from({ length: 5 }, (_, i) => `keep-${i}`),
    ]);
    expect(await jobs.pruneOnce({ batchSize: 10, now: NOW })).toEqual({ deleted: 0, batches: 1 });
  });

  it('never deletes more than one batch per statement, and stops at maxBatches for the next run to go on', async () => {
    await seed('old', 12, 500);
    expect(await repo.pruneProcessedUsage(new Date(NOW.getTime() - 400 * HOUR), 5)).toBe(5);
    expect(await remaining()).toHaveLength(7);

    const jobs = new UsageLedgerJobs(repo, loadEnv({ SWITCHYARD_USAGE_LEDGER_RETENTION_HOURS: '300' }));
    expect(await jobs.pruneOnce({ batchSize: 3, maxBatches: 2, now: NOW })).toEqual({ deleted: 6, batches: 2 });
    expect(await remaining()).toHaveLength(1);
    expect(await jobs.pruneOnce({ batchSize: 3, maxBatches: 2, now: NOW })).toEqual({ deleted: 1, batches: 1 });
  });

  it('honours an explicit retention, and keeps everything when the stream has no max age and none is set', async () => {
    await seed('a', 3, 30);
    await seed('b', 3, 10);
    const explicit = new UsageLedgerJobs(
      repo,
      loadEnv({ SWITCHYARD_USAGE_STREAM_MAX_AGE_HOURS: '12', SWITCHYARD_USAGE_LEDGER_RETENTION_HOURS: '24' }),
    );
    expect((await explicit.pruneOnce({ now: NOW })).deleted).toBe(3);

    const forever = new UsageLedgerJobs(repo, loadEnv({ SWITCHYARD_USAGE_STREAM_MAX_AGE_HOURS: '0' }));
    expect(await forever.pruneOnce({ now: new Date(NOW.getTime() + 10_000 * HOUR) })).toEqual({
      deleted: 0,
      batches: 0,
      skipped: true,
    });
    expect(await remaining()).toHaveLength(3);
  });

  it('finds old rows through the processed_at index, not a scan of the ledger', async () => {
    await seed('bulk', 2_000, 1);
    await sql`analyze processed_usage`.execute(db);
    const plan = await sql<{ 'QUERY PLAN': string }>`explain
      select request_id from processed_usage where processed_at < ${new Date(NOW.getTime() - 192 * HOUR)}
      order by processed_at limit 5000`.execute(db);
    expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/processed_usage_processed_at_idx/);
  });
});

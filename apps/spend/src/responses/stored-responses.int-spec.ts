import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, migrateDatabase, StoredResponsesRepository, type Database } from '@switchyard/db';
import { StoredResponsesJobs } from './stored-responses.jobs';

const base = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `sy_test_responses_${randomBytes(6).toString('hex')}`;
const url = Object.assign(new URL(base), { pathname: `/${dbName}` }).toString();
const NOW = new Date('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;

describe('stored responses (responses.expire-sweep) against a real Postgres', () => {
  let db: Kysely<Database>;
  let repo: StoredResponsesRepository;

  beforeAll(async () => {
    await migrateDatabase(url);
    db = createDb(url);
    repo = new StoredResponsesRepository(db);
  });

  afterAll(async () => {
    await db?.destroy();
    const c = new Client({ connectionString: base });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await c.end();
  });

  const store = (id: string, owner: string, expiresInHours: number) =>
    repo.insert({
      id,
      owner,
      input: [{ type: 'message', role: 'user', content: id }],
      response: { id, object: 'response', status: 'completed', model: 'm', output: [] },
      expiresAt: new Date(NOW.getTime() + expiresInHours * HOUR),
    });

  it('finds a response for its owner only, until it expires', async () => {
    await store('resp_a', 'team:t1', 1);
    expect((await repo.find('resp_a', 'team:t1', NOW))?.input).toEqual([
      { type: 'message', role: 'user', content: 'resp_a' },
    ]);
    expect(await repo.find('resp_a', 'team:t2', NOW)).toBeUndefined();
    expect(await repo.find('resp_a', 'team:t1', new Date(NOW.getTime() + 2 * HOUR))).toBeUndefined();
    expect(await repo.delete('resp_a', 'team:t2', NOW)).toBe(false);
    expect(await repo.delete('resp_a', 'team:t1', NOW)).toBe(true);
    expect(await repo.find('resp_a', 'team:t1', NOW)).toBeUndefined();
  });

  it('deletes expired rows in batches and keeps the others', async () => {
    for (let i = 0; i < 5; i++) await store(`resp_old${i}`, 'key:k', -1 - i);
    await store('resp_live', 'key:k', 24);
    const jobs = new StoredResponsesJobs(repo);
    expect(await jobs.sweepOnce(NOW, 2)).toEqual({ deleted: 5 });
    const left = await db.selectFrom('stored_responses').select('id').execute();
    expect(left.map((r) => r.id)).toEqual(['resp_live']);
    expect(await jobs.sweepOnce(NOW, 2)).toEqual({ deleted: 0 });
  });
});

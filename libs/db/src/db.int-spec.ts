import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { createDb } from './create-db';
import type { Database } from './database.types';
import { generateKeySecret, hashKey, KeyHasher, keyHashSecret, keyPrefix } from './key-secret';
import { migrateDatabase } from './migrate-database';
import { migrations } from './migrations';
import { KeysRepository } from './repositories/keys.repository';
import { SpendRepository } from './repositories/spend.repository';
import { TeamsRepository } from './repositories/teams.repository';

const base = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `sy_test_db_${randomBytes(6).toString('hex')}`;
const url = Object.assign(new URL(base), { pathname: `/${dbName}` }).toString();

async function dropDatabase(): Promise<void> {
  const c = new Client({ connectionString: base });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await c.end();
}

describe('libs/db against Postgres', () => {
  let db: Kysely<Database>;

  beforeAll(async () => {
    // Two processes booting at once: both must succeed and apply each migration once.
    const lines: string[] = [];
    await Promise.all([migrateDatabase(url, (l) => lines.push(l)), migrateDatabase(url, (l) => lines.push(l))]);
    expect(lines.filter((l) => l.startsWith('created database'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('applied migration'))).toHaveLength(Object.keys(migrations).length);
    db = createDb(url);
  });

  afterAll(async () => {
    await db?.destroy();
    await dropDatabase();
  });

  it('migrates idempotently', async () => {
    const lines: string[] = [];
    await migrateDatabase(url, (l) => lines.push(l));
    expect(lines).toEqual([]);
  });

  it('stores keys by hash and finds them', async () => {
    const keys = new KeysRepository(db);
    const secret = generateKeySecret();
    const created = await keys.create({
      keyHash: hashKey(secret),
      keyPrefix: keyPrefix(secret),
      models: ['gpt-4o'],
      maxBudgetNanos: 5n,
    });
    const found = await keys.findByHash(hashKey(secret));
    expect(found).toMatchObject({
      id: created.id,
      models: ['gpt-4o'],
      maxBudgetNanos: 5n,
      spendNanos: 0n,
      revokedAt: null,
      teamId: null,
      metadata: {},
    });
    const past = await keys.create({
      keyHash: hashKey(generateKeySecret()),
      keyPrefix: 'x',
      expiresAt: new Date(Date.now() - 1000),
    });
    const expired = await keys.expireDue(new Date());
    expect(expired).toEqual([{ id: past.id, keyHash: past.keyHash }]);
    expect(await keys.expireDue(new Date())).toEqual([]);
  });

  it('recordSpend counts a redelivered request once and sums exactly', async () => {
    const teams = new TeamsRepository(db);
    const keys = new KeysRepository(db);
    const spend = new SpendRepository(db);
    const team = await teams.create({ teamAlias: 't' });
    const key = await keys.create({ keyHash: hashKey(generateKeySecret()), keyPrefix: 'x', teamId: team.id });
    // Above 2^53: a float would lose the last digits.
    const big = 9_007_199_254_740_993n;
    const a = randomUUID();
    const b = randomUUID();
    const first = await spend.recordSpend([
      { requestId: a, keyId: key.id, teamId: team.id, costNanos: big },
      { requestId: b, keyId: key.id, teamId: team.id, costNanos: 7n },
      { requestId: b, keyId: key.id, teamId: team.id, costNanos: 7n },
    ]);
    expect(first.sort()).toEqual([a, b].sort());
    const again = await spend.recordSpend([
      { requestId: a, keyId: key.id, teamId: team.id, costNanos: big },
      { requestId: 'other', keyId: 'not-a-uuid', teamId: null, costNanos: 1n },
    ]);
    expect(again).toEqual(['other']);
    // Concurrent redeliveries of the same batch: still counted once.
    const c = randomUUID();
    const results = await Promise.all(
      [0, 1, 2].map(() => spend.recordSpend([{ requestId: c, keyId: key.id, teamId: team.id, costNanos: 3n }])),
    );
    expect(results.flat()).toEqual([c]);
    expect((await keys.get(key.id))!.spendNanos).toBe(big + 10n);
    expect((await teams.get(team.id))!.spendNanos).toBe(big + 10n);
  });

  it('finds a key stored before HMAC by its legacy hash and stores it keyed from then on', async () => {
    const keys = new KeysRepository(db);
    const hasher = new KeyHasher(keyHashSecret(undefined, 'sk-master-for-this-test'));
    const secret = generateKeySecret();
    const legacy = await keys.create({ keyHash: hashKey(secret), keyPrefix: keyPrefix(secret) });
    expect(await keys.findByHash(hasher.hash(secret))).toBeUndefined();
    const found = await keys.findByHash(hasher.hash(secret), hasher.legacy(secret));
    expect(found?.id).toBe(legacy.id);
    expect(found?.keyHash).toBe(hasher.hash(secret));
    // Upgraded in place: the HMAC alone finds it now, and the plain sha256 no longer does.
    expect((await keys.findByHash(hasher.hash(secret)))?.id).toBe(legacy.id);
    expect(await keys.findByHash(hashKey(secret))).toBeUndefined();
    // Another server secret does not find it.
    const other = new KeyHasher(keyHashSecret('another-secret-of-16+chars', 'x'));
    expect(await keys.findByHash(other.hash(secret), other.legacy(secret))).toBeUndefined();
  });

  it('sums spend into users, organisations (through the team) and end users, and answers the committed totals', async () => {
    const org = await db
      .insertInto('organizations')
      .values({ organization_alias: 'o' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const user = await db
      .insertInto('users')
      .values({ user_email: 'u@example.com' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('end_users').values({ id: 'customer-1' }).execute();
    const team = await new TeamsRepository(db).create({ teamAlias: 't', organizationId: org.id });
    const key = await new KeysRepository(db).create({
      keyHash: `h-${randomUUID()}`,
      keyPrefix: 'p',
      teamId: team.id,
      userId: user.id,
    });
    const spend = new SpendRepository(db);
    const entry = (n: number) => ({
      requestId: `r-tot-${n}-${randomUUID()}`,
      keyId: key.id,
      teamId: team.id,
      userId: user.id,
      endUser: 'customer-1',
      costNanos: 5n,
    });
    const first = await spend.recordSpendTotals([entry(1), entry(2)]);
    expect(first.newIds).toHaveLength(2);
    const byLevel = Object.fromEntries(first.totals.map((t) => [t.level, t.spendNanos]));
    expect(byLevel).toEqual({ key: 10n, team: 10n, user: 10n, organization: 10n, end_user: 10n });
  });
});

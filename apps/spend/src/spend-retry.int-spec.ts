import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import IORedis from 'ioredis';
import type { Kysely } from 'kysely';
import { Client } from 'pg';
import { waitFor } from '@switchyard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countUsageRows,
  createAnalyticsClient,
  lit,
  migrateAnalytics,
  sql,
  type ClickHouseClient,
} from '@switchyard/analytics';
import { subjects, type UsageRecordedEventInput } from '@switchyard/contracts';
import { createDb, hashKey, KeysRepository, migrateDatabase, TeamsRepository, type Database } from '@switchyard/db';
import { costOf } from '@switchyard/pricing';
import { createNatsMicroservice } from '@switchyard/nats';
import { SpendModule } from './spend.module';

const run = randomBytes(5).toString('hex');
const pgBase = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const pgName = `sy_spend_retry_${run}`;
const pgUrl = Object.assign(new URL(pgBase), { pathname: `/${pgName}` }).toString();
const chUrl = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const chDb = `sy_spend_retry_${run}`;
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `sprt${run}`;
const s = subjects(prefix);

/** Polls with the shared waitFor, keeping this file's own default deadline. */
const until = <T>(what: string, probe: () => Promise<T>, timeoutMs = 30_000) => waitFor(probe, { what, timeoutMs });

describe('spend service when ClickHouse is not ready', () => {
  let db: Kysely<Database>;
  let nc: NatsConnection;
  let ch: ClickHouseClient;
  let app: INestApplicationContext | undefined;

  beforeAll(async () => {
    await migrateDatabase(pgUrl);
    db = createDb(pgUrl);
    nc = await connect({ servers: natsUrl });
    ch = createAnalyticsClient({ url: chUrl });
    Object.assign(process.env, {
      DATABASE_URL: pgUrl,
      CLICKHOUSE_URL: chUrl,
      // Not migrated yet: every insert fails until the test migrates it.
      CLICKHOUSE_DATABASE: chDb,
      NATS_URL: natsUrl,
      REDIS_URL: redisUrl,
      SWITCHYARD_NATS_PREFIX: prefix,
      SWITCHYARD_REDIS_PREFIX: prefix,
    });
    const spend = await createNatsMicroservice(SpendModule, { logger: false });
    await spend.listen();
    app = spend;
  });

  afterAll(async () => {
    await app?.close();
    await db?.destroy();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(s.usageStream).catch(() => undefined);
    await nc?.drain();
    await ch?.command({ query: sql`DROP DATABASE IF EXISTS ${lit.ident(chDb)}`.text });
    await ch?.close();
    const pg = new Client({ connectionString: pgBase });
    await pg.connect();
    await pg.query(`DROP DATABASE IF EXISTS "${pgName}" WITH (FORCE)`);
    await pg.end();
    const redis = new IORedis(redisUrl);
    const stale = await redis.keys(`${prefix}:*`);
    if (stale.length) await redis.del(...stale);
    await redis.quit();
  });

  it('keeps retrying the batch and counts spend once across redeliveries', async () => {
    const team = await new TeamsRepository(db).create({ teamAlias: 'retry' });
    const key = await new KeysRepository(db).create({
      keyHash: hashKey(`sk-r-${run}`),
      keyPrefix: 'sk-r',
      teamId: team.id,
    });
    const events: UsageRecordedEventInput[] = [0, 1, 2].map((i) => ({
      requestId: `retry-${run}-${i}`,
      ts: Date.now(),
      keyId: key.id,
      teamId: team.id,
      requestedModel: 'gpt-4.1',
      deploymentId: 'd',
      provider: 'openai',
      upstreamModel: 'gpt-4.1',
      status: 200,
      promptTokens: 5000 + i,
      completionTokens: 700,
      cachedTokens: 1000,
      latencyMs: 5,
      stream: false,
    }));
    const expected = events.reduce(
      (a, e) =>
        a +
        costOf('gpt-4.1', { promptTokens: e.promptTokens, completionTokens: e.completionTokens, cachedTokens: 1000 }),
      0n,
    );
    const js = jetstream(nc);
    for (const e of events)
      await js.publish(s.usageRecorded, new TextEncoder().encode(JSON.stringify(e)), { msgID: e.requestId });

    // Postgres takes the batch, ClickHouse refuses it: the batch is nak'ed and redelivered.
    const jsm = await jetstreamManager(nc);
    await until(
      'a redelivery',
      async () => (await jsm.consumers.info(s.usageStream, s.usageConsumer)).num_redelivered > 0,
    );
    expect((await new KeysRepository(db).get(key.id))?.spendNanos).toBe(expected);

    await migrateAnalytics({ url: chUrl, database: chDb });
    await until('the rows in ClickHouse', async () => (await countUsageRows(ch, chDb)) === 3);
    await until('the consumer to drain', async () => {
      const info = await jsm.consumers.info(s.usageStream, s.usageConsumer);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
    expect((await new KeysRepository(db).get(key.id))?.spendNanos).toBe(expected);
    expect((await new TeamsRepository(db).get(team.id))?.spendNanos).toBe(expected);
  });
});

import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import IORedis from 'ioredis';
import type { Kysely } from 'kysely';
import { Client } from 'pg';
import { waitFor } from '@switchyard/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  countUsageRows,
  createAnalyticsClient,
  lit,
  migrateAnalytics,
  spendReport,
  sql,
  type ClickHouseClient,
} from '@switchyard/analytics';
import {
  KeyChangedEventSchema,
  subjects,
  type KeyChangedEvent,
  type UsageRecordedEventInput,
} from '@switchyard/contracts';
import {
  createDb,
  hashKey,
  KeysRepository,
  migrateDatabase,
  SpendRepository,
  TeamsRepository,
  type Database,
} from '@switchyard/db';
import { CATALOGUE_VERSION, costOf } from '@switchyard/pricing';
import { createNatsMicroservice } from '@switchyard/nats';
import { SpendModule } from './spend.module';
import { MAX_DELIVERIES, UsageConsumerService } from './usage/usage-consumer.service';

const run = randomBytes(5).toString('hex');
const pgBase = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const pgName = `sy_spend_it_${run}`;
const pgUrl = Object.assign(new URL(pgBase), { pathname: `/${pgName}` }).toString();
const chUrl = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const chDb = `sy_spend_it_${run}`;
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `spit${run}`;
const s = subjects(prefix);

/** Polls with the shared waitFor, keeping this file's own default deadline. */
const until = <T>(what: string, probe: () => Promise<T>, timeoutMs = 30_000) => waitFor(probe, { what, timeoutMs });

describe('spend service', () => {
  let db: Kysely<Database>;
  let nc: NatsConnection;
  let ch: ClickHouseClient;
  let app: INestApplicationContext | undefined;
  let teamId: string;
  let keyId: string;
  let soloKeyId: string;
  let expiringKey: { id: string; keyHash: string };
  const keyChanges: KeyChangedEvent[] = [];

  beforeAll(async () => {
    await migrateDatabase(pgUrl);
    await migrateAnalytics({ url: chUrl, database: chDb });
    db = createDb(pgUrl);
    const team = await new TeamsRepository(db).create({ teamAlias: 'spend-it' });
    teamId = team.id;
    const keys = new KeysRepository(db);
    keyId = (await keys.create({ keyHash: hashKey(`sk-a-${run}`), keyPrefix: 'sk-a', teamId })).id;
    soloKeyId = (await keys.create({ keyHash: hashKey(`sk-b-${run}`), keyPrefix: 'sk-b' })).id;
    const exp = await keys.create({
      keyHash: hashKey(`sk-c-${run}`),
      keyPrefix: 'sk-c',
      expiresAt: new Date(Date.now() - 1000),
    });
    expiringKey = { id: exp.id, keyHash: exp.keyHash };

    nc = await connect({ servers: natsUrl });
    nc.subscribe(s.keyChanged, {
      callback: (_err, msg) => {
        keyChanges.push(KeyChangedEventSchema.parse(msg.json()));
      },
    });
    ch = createAnalyticsClient({ url: chUrl });

    Object.assign(process.env, {
      DATABASE_URL: pgUrl,
      CLICKHOUSE_URL: chUrl,
      CLICKHOUSE_DATABASE: chDb,
      NATS_URL: natsUrl,
      REDIS_URL: redisUrl,
      SWITCHYARD_NATS_PREFIX: prefix,
      SWITCHYARD_REDIS_PREFIX: prefix,
      SWITCHYARD_SERVICE: 'spend',
    });
    const spend = await createNatsMicroservice(SpendModule, { logger: ['error', 'warn'] });
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

  it('prices, records and deduplicates usage events exactly once', async () => {
    const models: [string, string | null][] = [
      ['gpt-4o', 'gpt-4o-2024-08-06'],
      ['claude', 'claude-sonnet-4-20250514'],
      ['gemini-2.5-flash', null],
      ['my-custom-model', 'my-custom-model'],
      ['gpt-4o-mini', 'gpt-4o-mini'],
    ];
    const N = 40;
    const t0 = Date.UTC(2025, 5, 1, 8, 0, 0);
    const events: UsageRecordedEventInput[] = Array.from({ length: N }, (_, i) => {
      const [requestedModel, upstreamModel] = models[i % models.length];
      const owner =
        i % 7 === 0
          ? { keyId: null, teamId: null }
          : i % 3 === 0
            ? { keyId: soloKeyId, teamId: null }
            : { keyId, teamId };
      return {
        requestId: `req-${run}-${i}`,
        ts: t0 + i * 1000,
        ...owner,
        requestedModel,
        deploymentId: 'dep-1',
        provider: 'openai',
        upstreamModel,
        status: owner.keyId === null ? 401 : 200,
        promptTokens: owner.keyId === null ? 0 : 1000 + i * 37,
        completionTokens: owner.keyId === null ? 0 : 200 + i * 11,
        cachedTokens: i % 4 === 0 ? 128 : 0,
        latencyMs: 12.5,
        stream: i % 2 === 0,
        tags: ['it'],
      };
    });
    // Priced by the upstream model only: one without a price (my-custom-model, or none) is unpriced, never
    // billed at the price of the model the client asked for.
    const cost = (e: UsageRecordedEventInput) =>
      e.upstreamModel
        ? costOf(e.upstreamModel, {
            promptTokens: e.promptTokens,
            completionTokens: e.completionTokens,
            cachedTokens: e.cachedTokens ?? 0,
          })
        : 0n;
    const sum = (filter: (e: UsageRecordedEventInput) => boolean) =>
      events.filter(filter).reduce((a, e) => a + cost(e), 0n);
    const expectedKey = sum((e) => e.keyId === keyId);
    const expectedSolo = sum((e) => e.keyId === soloKeyId);
    const expectedTeam = sum((e) => e.teamId === teamId);
    expect(expectedKey).toBeGreaterThan(0n);

    const js = jetstream(nc);
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    let lastSeq = 0;
    for (const e of events) lastSeq = (await js.publish(s.usageRecorded, enc(e), { msgID: e.requestId })).seq;
    // A retried publish: JetStream drops it by message id.
    const dup = await js.publish(s.usageRecorded, enc(events[1]), { msgID: events[1].requestId as string });
    expect(dup.duplicate).toBe(true);
    // The same request published under another message id (e.g. after the duplicate window): spend must count it once.
    lastSeq = (await js.publish(s.usageRecorded, enc(events[2]), { msgID: `${events[2].requestId}-again` })).seq;
    lastSeq = (
      await js.publish(s.usageRecorded, enc({ ...events[3], latencyMs: 99 }), { msgID: `${events[3].requestId}-again` })
    ).seq;
    // Poison: never valid; must be terminated without stopping the consumer.
    await js.publish(s.usageRecorded, new TextEncoder().encode('not json'), { msgID: `bad-1-${run}` });
    lastSeq = (await js.publish(s.usageRecorded, enc({ requestId: 'x' }), { msgID: `bad-2-${run}` })).seq;

    const jsm = await jetstreamManager(nc);
    await until('the consumer to process and ack everything', async () => {
      const info = await jsm.consumers.info(s.usageStream, s.usageConsumer);
      return info.delivered.stream_seq >= lastSeq && info.num_pending === 0 && info.num_ack_pending === 0;
    });

    expect(await countUsageRows(ch, chDb)).toBe(N);
    expect(await countUsageRows(ch, chDb, { keyId })).toBe(events.filter((e) => e.keyId === keyId).length);
    const keys = new KeysRepository(db);
    expect((await keys.get(keyId))?.spendNanos).toBe(expectedKey);
    expect((await keys.get(soloKeyId))?.spendNanos).toBe(expectedSolo);
    expect((await new TeamsRepository(db).get(teamId))?.spendNanos).toBe(expectedTeam);
    const ledger = await db
      .selectFrom('processed_usage')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(ledger.n)).toBe(N);

    const byTeam = await spendReport(ch, chDb, { groupBy: 'team' });
    const teamRow = byTeam.find((r) => r.group === teamId);
    expect(teamRow?.spendNanos).toBe(expectedTeam.toString());
    const total = byTeam.reduce((a, r) => a + BigInt(r.spendNanos), 0n);
    expect(total).toBe(sum(() => true));
    // Rows with usage and no price say so; the others say which catalogue priced them.
    const flags = await ch.query({
      query: `SELECT upstream_model, max(unpriced) AS unpriced, any(price_source) AS source, any(catalogue_version) AS version
              FROM ${chDb}.usage FINAL WHERE prompt_tokens > 0 GROUP BY upstream_model ORDER BY upstream_model`,
      format: 'JSONEachRow',
    });
    const byModel = Object.fromEntries(
      (await flags.json<{ upstream_model: string; unpriced: number; source: string; version: string }>()).map((r) => [
        r.upstream_model,
        r,
      ]),
    );
    expect(byModel['my-custom-model']).toMatchObject({ unpriced: 1, source: '' });
    expect(byModel['']).toMatchObject({ unpriced: 1, source: '' });
    expect(byModel['gpt-4o-mini']).toMatchObject({ unpriced: 0, source: 'catalogue', version: CATALOGUE_VERSION });

    // Still consuming after the poison messages: one more event arrives and is counted.
    const late = { ...events[5], requestId: `req-${run}-late` };
    await js.publish(s.usageRecorded, enc(late), { msgID: late.requestId });
    await until('the late event', async () => (await countUsageRows(ch, chDb)) === N + 1);
    expect((await keys.get(keyId))?.spendNanos).toBe(expectedKey + cost(late));
  });

  it('bills the rest of a batch when one event always fails in Postgres, and dead-letters that one', async () => {
    // No event that passes UsageRecordedEventSchema makes Postgres fail any more (U+0000 in ids, the
    // only one we knew, is rejected at decode), so the repository refuses one request id the way Postgres
    // refuses U+0000 in text.
    const spendRepo = app!.get(SpendRepository);
    const consumer = app!.get(UsageConsumerService);
    const poisonId = `req-${run}-poison`;
    let poisonTries = 0;
    const realRecordSpend = SpendRepository.prototype.recordSpendTotals.bind(spendRepo);
    const spy = vi.spyOn(spendRepo, 'recordSpendTotals').mockImplementation(async (entries) => {
      if (entries.some((e) => e.requestId === poisonId)) {
        poisonTries++;
        throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
      }
      return realRecordSpend(entries);
    });
    try {
      const keys = new KeysRepository(db);
      const poisonKeyId = (await keys.create({ keyHash: hashKey(`sk-p-${run}`), keyPrefix: 'sk-p' })).id;
      const deadBefore = consumer.deadLettered;
      const events: UsageRecordedEventInput[] = Array.from({ length: 20 }, (_, i) => ({
        requestId: i === 7 ? poisonId : `req-${run}-p${i}`,
        ts: Date.now(),
        keyId: poisonKeyId,
        teamId: null,
        requestedModel: 'gpt-4o',
        deploymentId: 'dep-1',
        provider: 'openai',
        upstreamModel: 'gpt-4o',
        status: 200,
        promptTokens: 100 + i,
        completionTokens: 10,
        latencyMs: 5,
        stream: false,
      }));
      const expected = events
        .filter((e) => e.requestId !== poisonId)
        .reduce((a, e) => a + costOf('gpt-4o', { promptTokens: e.promptTokens, completionTokens: 10 }), 0n);
      const js = jetstream(nc);
      const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
      await Promise.all(events.map((e) => js.publish(s.usageRecorded, enc(e), { msgID: e.requestId as string })));

      // The 19 others are billed on the first delivery, not after the poison gives up.
      await until(
        'the valid events of the batch to be billed',
        async () => (await keys.get(poisonKeyId))?.spendNanos === expected,
        10_000,
      );
      // Postgres is written before ClickHouse: the last rows may still be on their way.
      await until(
        'their rows in ClickHouse',
        async () => (await countUsageRows(ch, chDb, { keyId: poisonKeyId })) === 19,
      );
      expect(consumer.deadLettered).toBe(deadBefore);

      // The poison comes back with backoff (2 + 4 + 8 + 16 s) and is terminated at delivery MAX_DELIVERIES.
      await until('the poison to be dead-lettered', async () => consumer.deadLettered === deadBefore + 1, 50_000);
      expect(poisonTries).toBeGreaterThanOrEqual(MAX_DELIVERIES);
      const jsm = await jetstreamManager(nc);
      await until('the consumer to drain', async () => {
        const info = await jsm.consumers.info(s.usageStream, s.usageConsumer);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      });
      const ledger = await db
        .selectFrom('processed_usage')
        .select('request_id')
        .where('request_id', '=', poisonId)
        .executeTakeFirst();
      expect(ledger).toBeUndefined();
      expect((await keys.get(poisonKeyId))?.spendNanos).toBe(expected);
    } finally {
      spy.mockRestore();
    }
  }, 90_000);

  it('revokes expired keys on the BullMQ schedule and announces them', async () => {
    const event = await until('a key.changed event for the expired key', async () =>
      keyChanges.find((k) => k.keyId === expiringKey.id),
    );
    expect(event).toEqual({ keyId: expiringKey.id, keyHash: expiringKey.keyHash, reason: 'revoked' });
    expect((await new KeysRepository(db).get(expiringKey.id))?.revokedAt).toBeInstanceOf(Date);
    expect((await new KeysRepository(db).get(keyId))?.revokedAt).toBeNull();
  });

  it('shuts down cleanly', async () => {
    const started = Date.now();
    await app!.close();
    app = undefined;
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

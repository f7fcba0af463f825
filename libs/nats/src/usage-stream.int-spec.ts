import { randomBytes } from 'node:crypto';
import {
  AckPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { subjects, type Subjects } from '@switchyard/contracts';
import { ensureUsageStream, isUsageStreamFull, USAGE_DUPLICATE_WINDOW_MS } from './usage-stream';

const HOUR_NS = 3600 * 1e9;

/** Collects what ensureUsageStream tells the operator. */
function recorder() {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    log: (message: string) => lines.push({ level: 'log', message }),
    warn: (message: string) => lines.push({ level: 'warn', message }),
    error: (message: string) => lines.push({ level: 'error', message }),
  };
}

describe('usage stream against a real NATS', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let s: Subjects;

  beforeAll(async () => {
    nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
    jsm = await jetstreamManager(nc);
  });
  afterEach(async () => {
    await jsm.streams.delete(s.usageStream).catch(() => undefined);
  });
  afterAll(async () => {
    await nc?.close();
  });
  const fresh = () => (s = subjects(`t${randomBytes(5).toString('hex')}`));

  it('creates a bounded work queue: an acked event leaves, a publish over max_bytes is refused and nothing is dropped', async () => {
    fresh();
    const log = recorder();
    await Promise.all([
      ensureUsageStream(nc, s, { maxBytes: 4096, maxAgeHours: 2 }, log),
      ensureUsageStream(nc, s, { maxBytes: 4096, maxAgeHours: 2 }, log),
    ]);
    const info = await jsm.streams.info(s.usageStream);
    expect(info.config).toMatchObject({
      retention: RetentionPolicy.Workqueue,
      discard: DiscardPolicy.New,
      storage: StorageType.File,
      max_bytes: 4096,
      max_age: 2 * HOUR_NS,
      duplicate_window: USAGE_DUPLICATE_WINDOW_MS * 1e6,
    });
    expect(log.lines).toEqual([]);

    const js = jetstream(nc);
    const body = new Uint8Array(1000);
    const refusals: unknown[] = [];
    for (let i = 0; i < 8; i++) {
      await js.publish(s.usageRecorded, body, { msgID: `req-${i}` }).catch((e: unknown) => refusals.push(e));
    }
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.every(isUsageStreamFull)).toBe(true);
    const full = await jsm.streams.info(s.usageStream);
    expect(full.state.first_seq).toBe(1); // nothing was deleted to make room
    expect(full.state.messages).toBe(8 - refusals.length);

    await jsm.consumers.add(s.usageStream, {
      durable_name: s.usageConsumer,
      ack_policy: AckPolicy.Explicit,
      filter_subject: s.usageRecorded,
    });
    const consumer = await js.consumers.get(s.usageStream, s.usageConsumer);
    const first = await consumer.next({ expires: 2_000 });
    first!.ack();
    await nc.flush();
    await expect
      .poll(async () => (await jsm.streams.info(s.usageStream)).state.messages, { timeout: 5_000 })
      .toBe(full.state.messages - 1);
    // Room again; and the duplicate window still drops a retried publish of a request, even one processed.
    expect((await js.publish(s.usageRecorded, body, { msgID: 'req-0' })).duplicate).toBe(true);
    expect((await js.publish(s.usageRecorded, body, { msgID: 'req-after-ack' })).duplicate).toBe(false);
    expect((await jsm.streams.info(s.usageStream)).state.messages).toBe(full.state.messages);
  });

  it('leaves a stream created by an earlier Switchyard (limits retention) working, and says how to switch', async () => {
    fresh();
    await jsm.streams.add({
      name: s.usageStream,
      subjects: [s.usageRecorded],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: 30 * 24 * HOUR_NS,
      duplicate_window: USAGE_DUPLICATE_WINDOW_MS * 1e6,
    });
    const log = recorder();
    await ensureUsageStream(nc, s, { maxBytes: 1 << 20, maxAgeHours: 168 }, log);
    const info = await jsm.streams.info(s.usageStream);
    expect(info.config).toMatchObject({ retention: RetentionPolicy.Limits, discard: DiscardPolicy.Old, max_bytes: -1 });
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: 'warn', message: expect.stringContaining('cannot change in place') });
    await jetstream(nc).publish(s.usageRecorded, new Uint8Array(10), { msgID: 'still-works' });
  });

  it('updates the bounds of an existing work queue, but never below what it holds', async () => {
    fresh();
    await ensureUsageStream(nc, s, { maxBytes: 1 << 20, maxAgeHours: 24 }, recorder());
    await jetstream(nc).publish(s.usageRecorded, new Uint8Array(4000), { msgID: 'held' });

    const raise = recorder();
    await ensureUsageStream(nc, s, { maxBytes: 2 << 20, maxAgeHours: 48 }, raise);
    expect((await jsm.streams.info(s.usageStream)).config).toMatchObject({ max_bytes: 2 << 20, max_age: 48 * HOUR_NS });
    expect(raise.lines.map((l) => l.level)).toEqual(['log']);

    const tooSmall = recorder();
    await ensureUsageStream(nc, s, { maxBytes: 1024, maxAgeHours: 48 }, tooSmall);
    const after = await jsm.streams.info(s.usageStream);
    expect(after.config.max_bytes).toBe(2 << 20);
    expect(after.state.messages).toBe(1);
    expect(tooSmall.lines).toEqual([{ level: 'error', message: expect.stringMatching(/max_bytes stays 2097152/) }]);
  });
});

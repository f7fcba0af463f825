import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Controller, Inject, Injectable, type INestMicroservice } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import {
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { defineEvent, subjectOf, type Subjects } from '@switchyard/contracts';
import { waitFor } from '@switchyard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnStreamBatch } from './nats.decorators';
import { NatsTransport } from './nats.transport';
import { StreamBatchContext, type StreamConsumerOptions } from './stream-batch.consumer';

const recorded = defineEvent('test.batch.recorded');
const BATCH = 10;
const ACK_WAIT_MS = 10_000;
const OPTIONS: StreamConsumerOptions = {
  stream: (s: Subjects) => `${s.prefix.toUpperCase()}_BATCHES`,
  durable: (s: Subjects) => `${s.prefix.toUpperCase()}_WORKERS`,
  batch: BATCH,
  ackWaitMs: ACK_WAIT_MS,
  retryAfterThrowMs: 100,
};

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Shared by the instances of the test, so it sees who handled what, and in which order things ended. */
const journal: string[] = [];
let gate: Gate | undefined;

interface Gate {
  /** Resolves with the Seen of the instance whose handler waits at the gate. */
  entered: Promise<Seen>;
  enter: (seen: Seen) => void;
  opened: Promise<void>;
  open: () => void;
}

function newGate(): Gate {
  let open!: () => void;
  let enter!: (seen: Seen) => void;
  const opened = new Promise<void>((r) => (open = r));
  const entered = new Promise<Seen>((r) => (enter = r));
  gate = { opened, open, entered, enter };
  return gate;
}

/** What one instance handled. */
@Injectable()
class Seen {
  batches: number[] = [];
  handled: { body: string; delivery: number }[] = [];
  throws = 0;
  contexts: string[] = [];
}

/**
 * Each body is `<behaviour>:<id>`: `ok` is acked; `nak` is nak'ed on its first delivery; `throw` makes the
 * handler throw on its first delivery (after acking the rest of the batch); `hold` waits for the test's gate.
 */
@Controller()
class BatchController {
  constructor(@Inject(Seen) private readonly seen: Seen) {}

  @OnStreamBatch(recorded, OPTIONS)
  async handle(@Payload() msgs: JsMsg[], @Ctx() ctx: StreamBatchContext): Promise<void> {
    this.seen.batches.push(msgs.length);
    this.seen.contexts.push(`${ctx.getStream()}/${ctx.getDurable()} ${ctx.getSubject()}`);
    const first = (m: JsMsg, kind: string) => dec.decode(m.data).startsWith(`${kind}:`) && m.info.deliveryCount === 1;
    if (msgs.some((m) => dec.decode(m.data).startsWith('hold:')) && gate) {
      gate.enter(this.seen);
      await gate.opened;
    }
    await new Promise((r) => setImmediate(r));
    let fail = false;
    for (const m of msgs) {
      const body = dec.decode(m.data);
      this.seen.handled.push({ body, delivery: m.info.deliveryCount });
      if (first(m, 'nak')) m.nak(50);
      else if (first(m, 'throw')) fail = true;
      else m.ack();
    }
    journal.push(...msgs.map((m) => `handled ${dec.decode(m.data)}`));
    if (fail) {
      this.seen.throws++;
      throw new Error('the handler failed on purpose');
    }
  }
}

describe('OnStreamBatch: durable JetStream pull consumers on a real NATS server', () => {
  const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const prefix = `tb${randomBytes(4).toString('hex')}`;
  const subject = subjectOf(recorded, prefix);
  const stream = `${prefix.toUpperCase()}_BATCHES`;
  const durable = `${prefix.toUpperCase()}_WORKERS`;
  const apps: { app: INestMicroservice; seen: Seen; transport: NatsTransport; nc: NatsConnection }[] = [];
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  async function startInstance() {
    const moduleRef = await Test.createTestingModule({ controllers: [BatchController], providers: [Seen] })
      .setLogger({ log: () => undefined, warn: () => undefined, error: () => undefined })
      .compile();
    const instanceNc = await connect({ servers: url });
    const transport = new NatsTransport().bind(instanceNc, prefix);
    const app = moduleRef.createNestMicroservice({ strategy: transport, logger: false });
    await app.listen();
    const instance = { app, seen: app.get(Seen), transport, nc: instanceNc };
    apps.push(instance);
    return instance;
  }

  const publish = async (...bodies: string[]) => {
    const js = jetstream(nc);
    for (const b of bodies) await js.publish(subject, enc.encode(b));
  };
  const handled = (id: string) =>
    apps.flatMap((a) => a.seen.handled).filter((h) => h.body.endsWith(`:${id}`) || h.body.includes(`:${id}-`));
  /** A work-queue stream drops a message once it is acked: empty means every message was acked. */
  const allAcked = async () => {
    const [info, consumer] = await Promise.all([jsm.streams.info(stream), jsm.consumers.info(stream, durable)]);
    return info.state.messages === 0 && consumer.num_ack_pending === 0 && consumer.num_pending === 0;
  };

  beforeAll(async () => {
    nc = await connect({ servers: url });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: stream,
      subjects: [subject],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.Memory,
    });
    await startInstance();
    await startInstance();
  });

  afterAll(async () => {
    for (const a of apps) {
      await a.app.close();
      await a.nc.drain().catch(() => undefined);
    }
    await jsm?.streams.delete(stream).catch(() => undefined);
    await nc?.drain();
  });

  it('creates the durable consumer from the options, under the deployment prefix', async () => {
    expect(apps[0]!.transport.consumers).toEqual([{ subject, stream, durable }]);
    expect(apps[0]!.transport.subscriptions).toEqual([]);
    const info = await jsm.consumers.info(stream, durable);
    expect(info.config).toMatchObject({
      durable_name: durable,
      filter_subject: subject,
      ack_policy: 'explicit',
      ack_wait: ACK_WAIT_MS * 1_000_000,
      max_ack_pending: BATCH * 10,
      max_deliver: -1,
    });
  });

  it('hands bounded batches to the instances sharing the durable consumer, each message once', async () => {
    const bodies = Array.from({ length: 120 }, (_, i) => `ok:t1-${i}`);
    await publish(...bodies);
    await waitFor(async () => handled('t1').length >= 120 && (await allAcked()), {
      timeoutMs: 15_000,
      what: '120 messages handled and acked',
    });
    const seen = handled('t1');
    expect(seen.map((h) => h.body).sort()).toEqual([...bodies].sort());
    expect(seen.every((h) => h.delivery === 1)).toBe(true);
    for (const a of apps) expect(Math.max(...a.seen.batches)).toBeLessThanOrEqual(BATCH);
    expect(apps.every((a) => a.seen.handled.some((h) => h.body.includes(':t1-')))).toBe(true);
    expect(apps[0]!.seen.contexts[0]).toBe(`${stream}/${durable} ${subject}`);
  });

  it('redelivers a message the handler nak’ed, and only that one', async () => {
    await publish('ok:t2-a', 'nak:t2', 'ok:t2-b');
    await waitFor(async () => handled('t2').some((h) => h.delivery === 2) && (await allAcked()), {
      timeoutMs: 10_000,
      what: 'the nak’ed message redelivered and acked',
    });
    const seen = handled('t2');
    // Instances record separately: either may have taken either delivery.
    expect(
      seen
        .filter((h) => h.body === 'nak:t2')
        .map((h) => h.delivery)
        .sort(),
    ).toEqual([1, 2]);
    expect(seen.filter((h) => h.body !== 'nak:t2').map((h) => [h.body, h.delivery])).toEqual(
      expect.arrayContaining([
        ['ok:t2-a', 1],
        ['ok:t2-b', 1],
      ]),
    );
    expect(seen).toHaveLength(4);
  });

  it('keeps pulling after the handler throws, and redelivers only what the failed batch left unsettled', async () => {
    const throwsBefore = apps.reduce((n, a) => n + a.seen.throws, 0);
    await publish('ok:t3-a', 'throw:t3', 'ok:t3-b');
    await waitFor(async () => handled('t3').some((h) => h.body === 'throw:t3' && h.delivery === 2), {
      timeoutMs: 10_000,
      what: 'the unsettled message of the failed batch to come back',
    });
    expect(apps.reduce((n, a) => n + a.seen.throws, 0)).toBe(throwsBefore + 1);
    await publish('ok:t3-after');
    await waitFor(async () => handled('t3').some((h) => h.body === 'ok:t3-after') && (await allAcked()), {
      timeoutMs: 10_000,
      what: 'a message published after the failure',
    });
    const bodies = handled('t3').map((h) => h.body);
    // The messages acked before the throw were not redelivered.
    expect(bodies.filter((b) => b === 'ok:t3-a')).toHaveLength(1);
    expect(bodies.filter((b) => b === 'ok:t3-b')).toHaveLength(1);
    expect(bodies.filter((b) => b === 'throw:t3')).toHaveLength(2);
  });

  it('re-creates the durable consumer when it disappears', async () => {
    await jsm.consumers.delete(stream, durable);
    await publish('ok:t4');
    await waitFor(async () => handled('t4').length === 1 && (await allAcked()), {
      timeoutMs: 20_000,
      what: 'a message handled through the re-created consumer',
    });
  });

  it('finishes the batch in hand when drained, and leaves the next messages to the other instance', async () => {
    const g = newGate();
    await publish('hold:t5');
    const holderSeen = await g.entered;
    const holder = apps.find((a) => a.seen === holderSeen)!;
    const other = apps.find((a) => a !== holder)!;
    const drained = holder.transport.drain().then(() => void journal.push('drained'));
    // Nothing to await for a thing that must not happen: give drain a moment to (wrongly) finish.
    const state = await Promise.race([
      drained.then(() => 'drained'),
      new Promise((r) => setTimeout(() => r('waiting'), 200)),
    ]);
    expect(state).toBe('waiting');
    g.open();
    await drained;
    gate = undefined;
    expect(journal.slice(-2)).toEqual(['handled hold:t5', 'drained']);
    expect(await allAcked()).toBe(true);

    const before = holder.seen.handled.length;
    const bodies = Array.from({ length: 20 }, (_, i) => `ok:t6-${i}`);
    await publish(...bodies);
    await waitFor(async () => handled('t6').length >= 20 && (await allAcked()), {
      timeoutMs: 10_000,
      what: 'the other instance to take the messages published after the drain',
    });
    expect(holder.seen.handled.length).toBe(before);
    expect(
      other.seen.handled
        .filter((h) => h.body.startsWith('ok:t6-'))
        .map((h) => h.body)
        .sort(),
    ).toEqual([...bodies].sort());
  });
});

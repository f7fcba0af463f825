import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { loadEnv } from '@switchyard/config';
import { subjects, type UsageRecordedEvent, type UsageRecordedEventInput } from '@switchyard/contracts';
import { describe, expect, it, vi } from 'vitest';
import { classifyStoreFailure, UsageStoreError, type UsageBatchService } from './usage-batch.service';
import {
  MAX_DELIVERIES,
  MAX_STORE_ATTEMPTS,
  RETRY_DELAY_MS,
  retryDelayMs,
  UsageConsumerService,
} from './usage-consumer.service';

const event = (i: number, over: Partial<UsageRecordedEventInput> = {}): UsageRecordedEventInput => ({
  requestId: `r${i}`,
  ts: 1_700_000_000_000,
  keyId: 'k',
  teamId: 't',
  requestedModel: 'gpt-4o',
  deploymentId: 'd',
  provider: 'openai',
  upstreamModel: 'gpt-4o',
  status: 200,
  promptTokens: 10,
  completionTokens: 5,
  latencyMs: 3,
  stream: false,
  ...over,
});

function fakeMsg(seq: number, body: unknown, deliveryCount = 1) {
  const data = new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
  return { seq, data, info: { deliveryCount }, ack: vi.fn(), nak: vi.fn(), term: vi.fn(), working: vi.fn() };
}
type FakeMsg = ReturnType<typeof fakeMsg>;

/** A store that refuses any group holding one of the poison request ids, the way Postgres refuses U+0000. */
function poisonedStore(poison: Set<string>, failure: 'rejected' | 'unknown' = 'rejected') {
  const stored: string[] = [];
  const process = async (events: UsageRecordedEvent[]) => {
    const bad = events.find((e) => poison.has(e.requestId));
    if (bad) throw new UsageStoreError(`Postgres recordSpend failed: ${bad.requestId}`, 'postgres', failure);
    stored.push(...events.map((e) => e.requestId));
    return { newlyCounted: events.length };
  };
  return { stored, process };
}

/** Every message settled exactly once, by exactly one of ack, nak or term. */
function expectSettledOnce(msgs: FakeMsg[]) {
  for (const m of msgs)
    expect(m.ack.mock.calls.length + m.nak.mock.calls.length + m.term.mock.calls.length, `seq ${m.seq}`).toBe(1);
}

function consumer(process: (events: UsageRecordedEvent[]) => Promise<{ newlyCounted: number }>) {
  const nc = { flush: vi.fn(async () => undefined) } as unknown as NatsConnection;
  const batches = { process: vi.fn(process) } as unknown as UsageBatchService;
  return { service: new UsageConsumerService(nc, subjects('unit'), batches, loadEnv({})), batches };
}

describe('UsageConsumerService.handle', () => {
  it('acks a stored batch and terminates events that can never be valid', async () => {
    const { service, batches } = consumer(async (events) => ({ newlyCounted: events.length }));
    const good = [fakeMsg(1, event(1)), fakeMsg(2, event(2))];
    const notJson = fakeMsg(3, '{nope');
    const wrongShape = fakeMsg(4, { requestId: 'x' });
    await service.handle([good[0], notJson, good[1], wrongShape] as unknown as JsMsg[]);
    expect(vi.mocked(batches.process).mock.calls[0][0].map((e) => e.requestId)).toEqual(['r1', 'r2']);
    for (const m of good) expect(m.ack).toHaveBeenCalledOnce();
    for (const m of [notJson, wrongShape]) {
      expect(m.term).toHaveBeenCalledOnce();
      expect(m.term).toHaveBeenCalledWith();
      expect(m.ack).not.toHaveBeenCalled();
    }
  });

  it('naks the whole batch with a delay when a store is unavailable, and does not throw', async () => {
    const { service, batches } = consumer(async () => {
      throw new UsageStoreError('ClickHouse insert failed: ECONNREFUSED', 'clickhouse', 'unavailable');
    });
    const msgs = [fakeMsg(1, event(1), 9), fakeMsg(2, event(2), 9)];
    await expect(service.handle(msgs as unknown as JsMsg[])).resolves.toBeUndefined();
    expect(batches.process).toHaveBeenCalledOnce();
    for (const m of msgs) {
      expect(m.nak).toHaveBeenCalledWith(RETRY_DELAY_MS);
      expect(m.ack).not.toHaveBeenCalled();
      // However many deliveries: an outage never dead-letters anything.
      expect(m.term).not.toHaveBeenCalled();
    }
  });
});

describe('UsageConsumerService.handle with an event that always fails downstream', () => {
  it('stores and acks the valid events of the batch and naks only the poison, with backoff', async () => {
    const store = poisonedStore(new Set(['r37']));
    const { service, batches } = consumer(store.process);
    const msgs = Array.from({ length: 100 }, (_, i) => fakeMsg(i + 1, event(i)));
    await service.handle(msgs as unknown as JsMsg[]);

    expect(store.stored).toHaveLength(99);
    expect(store.stored).not.toContain('r37');
    for (const m of msgs) if (m.seq !== 38) expect(m.ack).toHaveBeenCalledOnce();
    expect(msgs[37].nak).toHaveBeenCalledWith(retryDelayMs(1));
    expect(msgs[37].term).not.toHaveBeenCalled();
    expectSettledOnce(msgs);
    // Bisection, not one call per event: about 2 × log2(100).
    expect(vi.mocked(batches.process).mock.calls.length).toBeLessThanOrEqual(16);
  });

  it('terminates the poison as a dead letter once it reached the delivery limit, logging its request id', async () => {
    const store = poisonedStore(new Set(['r2']));
    const { service } = consumer(store.process);
    const logged: string[] = [];
    vi.spyOn((service as unknown as { logger: { error: (m: string) => void } }).logger, 'error').mockImplementation(
      (m) => void logged.push(m),
    );

    const deliveries: FakeMsg[] = [];
    for (let n = 1; n <= MAX_DELIVERIES; n++) {
      const batch = [
        fakeMsg(10 * n + 1, event(n * 100)),
        fakeMsg(2, event(2), n),
        fakeMsg(10 * n + 3, event(n * 100 + 1)),
      ];
      await service.handle(batch as unknown as JsMsg[]);
      expectSettledOnce(batch);
      expect(batch[0].ack).toHaveBeenCalledOnce();
      expect(batch[2].ack).toHaveBeenCalledOnce();
      deliveries.push(batch[1]);
    }
    for (const m of deliveries.slice(0, -1)) {
      expect(m.nak).toHaveBeenCalledWith(retryDelayMs(m.info.deliveryCount));
      expect(m.term).not.toHaveBeenCalled();
    }
    const last = deliveries[deliveries.length - 1];
    expect(last.term).toHaveBeenCalledOnce();
    expect(last.term).toHaveBeenCalledWith(); // no reason: nats-server 2.9 ignores "+TERM <reason>"
    expect(service.deadLettered).toBe(1);
    expect(logged.find((l) => l.startsWith('dead letter'))).toMatch(
      /usage event r2 \(stream seq 2\).*recordSpend failed/,
    );
    expect(logged).toContain('metric usage_events_dead_lettered_total=1 request_id=r2 stream_seq=2 store=postgres');
    expect(store.stored).toHaveLength(2 * MAX_DELIVERIES);
  });

  it('isolates several poison events in one batch', async () => {
    const store = poisonedStore(new Set(['r0', 'r13', 'r14', 'r499']));
    const { service } = consumer(store.process);
    const msgs = Array.from({ length: 500 }, (_, i) => fakeMsg(i + 1, event(i), MAX_DELIVERIES));
    await service.handle(msgs as unknown as JsMsg[]);
    expect(store.stored).toHaveLength(496);
    expectSettledOnce(msgs);
    expect(msgs.filter((m) => m.term.mock.calls.length === 1).map((m) => m.seq)).toEqual([1, 14, 15, 500]);
    expect(service.deadLettered).toBe(4);
  });

  it('naks a lone failing event without dead-lettering it while nothing proves the stores work', async () => {
    // An unclassified error and no event stored: maybe the stores are broken, not the event.
    const store = poisonedStore(new Set(['r1']), 'unknown');
    const { service } = consumer(store.process);
    const lone = fakeMsg(1, event(1), MAX_DELIVERIES + 3);
    await service.handle([lone] as unknown as JsMsg[]);
    expect(lone.nak).toHaveBeenCalledWith(retryDelayMs(MAX_DELIVERIES + 3));
    expect(lone.term).not.toHaveBeenCalled();

    // Once another event is stored beside it, the failure is the event's own.
    const again = [fakeMsg(1, event(1), MAX_DELIVERIES + 4), fakeMsg(2, event(2))];
    await service.handle(again as unknown as JsMsg[]);
    expect(again[1].ack).toHaveBeenCalledOnce();
    expect(again[0].term).toHaveBeenCalledOnce();
  });

  it('dead-letters a lone event the store rejects as data even with nothing else stored', async () => {
    const { service } = consumer(poisonedStore(new Set(['r1']), 'rejected').process);
    const lone = fakeMsg(1, event(1), MAX_DELIVERIES);
    await service.handle([lone] as unknown as JsMsg[]);
    expect(lone.term).toHaveBeenCalledOnce();
  });

  it('stops splitting when a store becomes unavailable, and naks the rest plainly', async () => {
    let calls = 0;
    const { service, batches } = consumer(async () => {
      calls++;
      if (calls === 1) throw new UsageStoreError('bad row', 'clickhouse', 'rejected');
      throw new UsageStoreError('connect ECONNREFUSED', 'postgres', 'unavailable');
    });
    const msgs = Array.from({ length: 8 }, (_, i) => fakeMsg(i + 1, event(i), MAX_DELIVERIES));
    await service.handle(msgs as unknown as JsMsg[]);
    expect(batches.process).toHaveBeenCalledTimes(2);
    expectSettledOnce(msgs);
    for (const m of msgs) {
      expect(m.nak).toHaveBeenCalledWith(RETRY_DELAY_MS);
      expect(m.term).not.toHaveBeenCalled();
    }
  });

  it('bounds the store calls spent on one batch', async () => {
    const poison = new Set(Array.from({ length: 500 }, (_, i) => `r${i}`).filter((_, i) => i % 2 === 0));
    const store = poisonedStore(poison, 'unknown');
    const { service, batches } = consumer(store.process);
    const msgs = Array.from({ length: 500 }, (_, i) => fakeMsg(i + 1, event(i)));
    await service.handle(msgs as unknown as JsMsg[]);
    expect(vi.mocked(batches.process).mock.calls.length).toBeLessThanOrEqual(MAX_STORE_ATTEMPTS + 1);
    expectSettledOnce(msgs);
    for (const m of msgs) expect(m.term).not.toHaveBeenCalled();
  });
});

describe('retryDelayMs and classifyStoreFailure', () => {
  it('backs off from 2 s to a minute', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(retryDelayMs)).toEqual([
      2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });
  it('tells an unavailable store from refused data', () => {
    const pg = (code: string) => Object.assign(new Error('pg'), { code });
    const wrapped = (cause: unknown) => Object.assign(new Error('ClickHouse insert failed'), { cause });
    expect(classifyStoreFailure(pg('22021'))).toBe('rejected'); // invalid byte sequence (U+0000)
    expect(classifyStoreFailure(pg('22003'))).toBe('rejected'); // numeric value out of range
    expect(classifyStoreFailure(pg('23505'))).toBe('rejected');
    expect(classifyStoreFailure(pg('40P01'))).toBe('unavailable'); // deadlock: retry, not the event's fault
    expect(classifyStoreFailure(pg('57P01'))).toBe('unavailable');
    expect(classifyStoreFailure(pg('3D000'))).toBe('unavailable');
    expect(classifyStoreFailure(pg('42P01'))).toBe('unavailable');
    expect(classifyStoreFailure(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe('unavailable');
    expect(
      classifyStoreFailure(wrapped(new Error("Code: 81, e.displayText() = DB::Exception: Database x doesn't exist"))),
    ).toBe('unavailable');
    expect(classifyStoreFailure(wrapped(new Error('Code: 27, DB::Exception: Cannot parse input')))).toBe('rejected');
    expect(classifyStoreFailure(new Error('something else'))).toBe('unknown');
  });
});

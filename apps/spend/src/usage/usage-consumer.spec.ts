import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { subjects, type UsageRecordedEvent, type UsageRecordedEventInput } from '@switchyard/contracts';
import { costOf } from '@switchyard/pricing';
import { describe, expect, it, vi } from 'vitest';
import type { UsageBatchService } from './usage-batch.service';
import { RETRY_DELAY_MS, UsageConsumerService } from './usage-consumer.service';
import { priceUsageEvent } from './usage-pricing';

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

function fakeMsg(seq: number, body: unknown) {
  const data = new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
  return { seq, data, ack: vi.fn(), nak: vi.fn(), term: vi.fn() };
}

function consumer(process: (events: UsageRecordedEvent[]) => Promise<{ newlyCounted: number }>) {
  const nc = { flush: vi.fn(async () => undefined) } as unknown as NatsConnection;
  const batches = { process: vi.fn(process) } as unknown as UsageBatchService;
  return { service: new UsageConsumerService(nc, subjects('unit'), batches), batches };
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

  it('naks the whole batch with a delay when storing fails, and does not throw', async () => {
    const { service } = consumer(async () => {
      throw new Error('ClickHouse insert failed');
    });
    const msgs = [fakeMsg(1, event(1)), fakeMsg(2, event(2))];
    await expect(service.handle(msgs as unknown as JsMsg[])).resolves.toBeUndefined();
    for (const m of msgs) {
      expect(m.nak).toHaveBeenCalledWith(RETRY_DELAY_MS);
      expect(m.ack).not.toHaveBeenCalled();
    }
  });
});

describe('priceUsageEvent', () => {
  const usage = { promptTokens: 10, completionTokens: 5, cachedTokens: 0 };
  it('prices by the upstream model', () => {
    expect(
      priceUsageEvent({ ...event(1), upstreamModel: 'gpt-4o-mini', requestedModel: 'my-alias' } as UsageRecordedEvent),
    ).toEqual({
      costNanos: costOf('gpt-4o-mini', usage),
      pricedAs: 'gpt-4o-mini',
    });
  });
  it('falls back to the requested model when the upstream model has no price', () => {
    expect(
      priceUsageEvent({ ...event(1), upstreamModel: 'fake-echo', requestedModel: 'gpt-4o' } as UsageRecordedEvent)
        .pricedAs,
    ).toBe('gpt-4o');
    expect(
      priceUsageEvent({ ...event(1), upstreamModel: null, requestedModel: 'claude-3-5-haiku' } as UsageRecordedEvent)
        .pricedAs,
    ).toBe('claude-3-5-haiku');
  });
  it('is 0 with pricedAs null when neither is known', () => {
    expect(priceUsageEvent({ ...event(1), upstreamModel: 'x', requestedModel: 'y' } as UsageRecordedEvent)).toEqual({
      costNanos: 0n,
      pricedAs: null,
    });
  });
});

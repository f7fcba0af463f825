import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import type { Msg, MsgHdrs, NatsConnection, SubscriptionOptions } from '@nats-io/transport-node';
import { H } from '@switchyard/contracts';
import { of, throwError } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { NatsTransport } from './nats.transport';

type Callback = NonNullable<SubscriptionOptions['callback']>;

/** A connection that records subscriptions, so the test can deliver messages to their callbacks. */
function stubConnection() {
  const subs: { subject: string; queue?: string; callback: Callback }[] = [];
  const nc = {
    subscribe: (subject: string, opts: SubscriptionOptions) => {
      subs.push({ subject, queue: opts.queue, callback: opts.callback! });
      return { isClosed: () => false, drain: () => Promise.resolve() };
    },
  } as unknown as NatsConnection;
  return { nc, subs };
}

function msg(data: string, headers: Record<string, string> = {}, reply?: string) {
  const responded: { data: Uint8Array; headers?: MsgHdrs }[] = [];
  const m = {
    subject: 's',
    reply,
    data: new TextEncoder().encode(data),
    headers: { get: (k: string) => headers[k] ?? '' } as unknown as MsgHdrs,
    respond: (d: Uint8Array, o?: { headers?: MsgHdrs }) => {
      responded.push({ data: d, headers: o?.headers });
      return true;
    },
  } as unknown as Msg;
  return { m, responded };
}

function handler(fn: (data: unknown) => unknown, isEventHandler: boolean, extras: Record<string, unknown>) {
  const h = fn as unknown as MessageHandler;
  h.isEventHandler = isEventHandler;
  h.extras = extras;
  return h;
}

function transportWith(handlers: Record<string, MessageHandler>) {
  const { nc, subs } = stubConnection();
  const t = new NatsTransport().bind(nc, 'px');
  for (const [pattern, h] of Object.entries(handlers)) t.addHandler(pattern, h, h.isEventHandler, h.extras);
  t.listen(() => undefined);
  return { t, subs };
}

describe('NatsTransport', () => {
  afterEach(() => vi.restoreAllMocks());

  it('subscribes each handler under the prefix, with the queue group of its catalogue entry', () => {
    const { subs } = transportWith({
      'a.b.c': handler(() => undefined, false, { queue: 'workers' }),
      'd.e.f': handler(() => undefined, true, {}),
    });
    expect(subs.map((s) => [s.subject, s.queue])).toEqual([
      ['px.a.b.c', 'workers'],
      ['px.d.e.f', undefined],
    ]);
  });

  it('never lets a handler failure escape the subscription callback, and answers an unanswered command once', async () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { subs } = transportWith({
      sync: handler(
        () => {
          throw new Error('sync');
        },
        false,
        {},
      ),
      async: handler(() => Promise.reject(new Error('async')), false, {}),
      filtered: handler(() => Promise.resolve(throwError(() => ({ status: 'error', message: 'x' }))), false, {}),
      event: handler(
        () => {
          throw new Error('event');
        },
        true,
        {},
      ),
    });
    const results = subs.map((s) => {
      const { m, responded } = msg('{}', { [H.requestId]: 'req_1' }, 'inbox.1');
      expect(() => s.callback(null, m)).not.toThrow();
      return responded;
    });
    await new Promise((r) => setImmediate(r));
    for (const responded of results.slice(0, 3)) {
      expect(responded).toHaveLength(1);
      expect(responded[0]!.headers?.get(H.frame)).toBe('error');
      expect(JSON.parse(new TextDecoder().decode(responded[0]!.data))).toMatchObject({ kind: 'internal', status: 500 });
    }
    expect(results[3]).toHaveLength(0); // events are never answered
  });

  it('sends a returned NatsReply, and nothing when the handler answered itself', async () => {
    const { subs } = transportWith({
      returns: handler(() => of({ data: new TextEncoder().encode('hi') }), false, {}),
      itself: handler(
        (req) => {
          (req as { respond(d: Uint8Array): void }).respond(new TextEncoder().encode('mine'));
          return { data: new TextEncoder().encode('ignored') };
        },
        false,
        {},
      ),
    });
    const a = msg('', {}, 'r.1');
    const b = msg('', {}, 'r.2');
    subs[0]!.callback(null, a.m);
    subs[1]!.callback(null, b.m);
    await new Promise((r) => setImmediate(r));
    expect(a.responded.map((r) => new TextDecoder().decode(r.data))).toEqual(['hi']);
    expect(b.responded.map((r) => new TextDecoder().decode(r.data))).toEqual(['mine']);
  });

  it('validates schema events and drops invalid ones before the handler runs', () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const seen: unknown[] = [];
    const { subs } = transportWith({
      ev: handler((e) => void seen.push(e), true, { schema: z.object({ n: z.number() }) }),
    });
    for (const body of ['{"n":1}', 'nope', '{"n":"x"}', '{"n":2}']) subs[0]!.callback(null, msg(body).m);
    expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
  });
});

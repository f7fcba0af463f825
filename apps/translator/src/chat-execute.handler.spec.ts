import 'reflect-metadata';
import type { Msg, MsgHdrs, NatsConnection, SubscriptionOptions } from '@nats-io/transport-node';
import { Logger } from '@nestjs/common';
import type { ResolvedDeployment } from '@switchyard/config';
import { H, subjects } from '@switchyard/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChatExecuteHandler } from './chat-execute.handler';
import { DeploymentCatalog } from './deployment-catalog.service';
import type { TranslatorOptions } from './translator.options';
import type { UpstreamPools } from './upstream-pools.service';

type Callback = NonNullable<SubscriptionOptions['callback']>;

const closed = (): never => {
  throw new Error('CONNECTION_CLOSED');
};

/**
 * A NATS connection that is closing: every publish throws, as nats.js does on a closed or draining
 * connection. Subscription callbacks are kept so the test can deliver messages to them.
 */
function closingConnection() {
  const callbacks = new Map<string, Callback>();
  const nc = {
    info: { max_payload: 1024 * 1024 },
    subscribe: (subject: string, opts: SubscriptionOptions) => {
      callbacks.set(subject, opts.callback!);
      return { drain: async () => undefined };
    },
    publish: vi.fn(closed),
  };
  return {
    nc: nc as unknown as NatsConnection,
    deliver: (subject: string, m: Msg) => callbacks.get(subject)!(null, m),
  };
}

function headersOf(values: Record<string, string>): MsgHdrs {
  return { get: (k: string) => values[k] ?? '' } as unknown as MsgHdrs;
}

function executeMsg(body: unknown, requestId: string): Msg & { respond: ReturnType<typeof vi.fn> } {
  return {
    subject: 'x',
    reply: 'outcome.1',
    data: new TextEncoder().encode(JSON.stringify(body)),
    headers: headersOf({
      [H.requestId]: requestId,
      [H.clientReply]: 'client.1',
      [H.deployment]: 'dep-fake',
      [H.deadline]: String(Date.now() + 10_000),
    }),
    respond: vi.fn(closed),
  } as unknown as Msg & { respond: ReturnType<typeof vi.fn> };
}

describe('ChatExecuteHandler on a closing connection', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    vi.restoreAllMocks();
  });

  it('never lets a throw escape a subscription callback or become an unhandled rejection', async () => {
    process.on('unhandledRejection', onUnhandled);
    const errors = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const s = subjects('unit');
    const { nc, deliver } = closingConnection();
    const deployments = [
      { id: 'dep-fake', modelName: 'demo', provider: 'fake', model: 'echo', weight: 1 },
    ] as unknown as ResolvedDeployment[];
    const options: TranslatorOptions = {
      upstreamConnections: 1,
      keepAliveMs: 1000,
      defaultTimeoutMs: 10_000,
      maxResponseBytes: 1024 * 1024,
    };
    const handler = new ChatExecuteHandler(nc, s, new DeploymentCatalog(deployments), {} as UpstreamPools, options);
    handler.onApplicationBootstrap();

    const messages = [{ role: 'user', content: 'hello there' }];
    const plain = executeMsg({ model: 'demo', messages }, 'req-1');
    const streamed = executeMsg({ model: 'demo', messages, stream: true }, 'req-2');
    expect(() => deliver(s.chatExecute, plain)).not.toThrow();
    expect(() => deliver(s.chatExecute, streamed)).not.toThrow();
    // A message whose headers cannot even be read, on both subjects.
    const broken = {
      reply: 'r',
      get headers(): never {
        throw new Error('bad headers');
      },
    } as unknown as Msg;
    expect(() => deliver(s.chatExecute, broken)).not.toThrow();
    expect(() => deliver(s.chatCancel, broken)).not.toThrow();

    await vi.waitFor(() => expect(handler.inflightCount).toBe(0));
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
    // Each failure was logged, and each attempt tried to tell someone once, not twice.
    expect(errors).toHaveBeenCalled();
    expect(plain.respond.mock.calls.length).toBeLessThanOrEqual(1);
    expect(streamed.respond.mock.calls.length).toBeLessThanOrEqual(1);
  });
});

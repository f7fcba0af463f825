import 'reflect-metadata';
import type { Msg, MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { Logger } from '@nestjs/common';
import type { ResolvedDeployment } from '@switchyard/config';
import { H } from '@switchyard/contracts';
import { NatsRequest } from '@switchyard/nats';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CredentialsService } from '../credentials/credentials.service';
import { DeploymentCatalog } from '../deployment-catalog.service';
import { ExecuteController } from '../execute.controller';
import { FramePublisher } from '../relay/frame-publisher.service';
import { ResponseRelay } from '../relay/response-relay.service';
import { StreamRelay } from '../relay/stream-relay.service';
import type { TranslatorOptions } from '../translator.options';
import { UpstreamClient } from '../upstream/upstream-client.service';
import { UpstreamPools } from '../upstream/upstream-pools.service';
import { AttemptRegistry } from './attempt-registry.service';
import { AttemptRunner } from './attempt-runner.service';

const closed = (): never => {
  throw new Error('CONNECTION_CLOSED');
};

/** A NATS connection that is closing: every publish throws, as nats.js does on a closed or draining connection. */
const closingConnection = { info: { max_payload: 1024 * 1024 }, publish: vi.fn(closed) } as unknown as NatsConnection;

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
      [H.attempt]: '1',
      [H.clientReply]: 'client.1',
      [H.deployment]: 'dep-fake',
      [H.timeoutMs]: '10000',
    }),
    respond: vi.fn(closed),
  } as unknown as Msg & { respond: ReturnType<typeof vi.fn> };
}

function runner(maxInflight = 16) {
  const deployments = [
    { id: 'dep-fake', modelName: 'demo', provider: 'fake', model: 'echo', weight: 1 },
  ] as unknown as ResolvedDeployment[];
  const options: TranslatorOptions = {
    upstreamConnections: 1,
    keepAliveMs: 1000,
    firstByteTimeoutMs: 10_000,
    defaultTimeoutMs: 10_000,
    maxResponseBytes: 1024 * 1024,
    maxInflight,
  };
  const catalog = new DeploymentCatalog(deployments);
  const frames = new FramePublisher(closingConnection, catalog);
  const registry = new AttemptRegistry(options);
  const run = new AttemptRunner(
    catalog,
    registry,
    new UpstreamClient(new UpstreamPools(options)),
    frames,
    new ResponseRelay(frames, options),
    new StreamRelay(frames),
    options,
    new CredentialsService(),
  );
  return { run, registry, controller: new ExecuteController(run) };
}

describe('AttemptRunner on a closing connection', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    vi.restoreAllMocks();
  });

  it('never lets a throw become an unhandled rejection, and answers each attempt at most once', async () => {
    process.on('unhandledRejection', onUnhandled);
    const errors = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { run, controller } = runner();
    const messages = [{ role: 'user', content: 'hello there' }];
    const plain = executeMsg({ model: 'demo', messages }, 'req-1');
    const streamed = executeMsg({ model: 'demo', messages, stream: true }, 'req-2');
    const settled = Promise.allSettled([
      controller.execute(new NatsRequest(plain, 'x')),
      controller.execute(new NatsRequest(streamed, 'x')),
    ]);
    // A message whose headers cannot even be read, as a cancel.
    const broken = {
      reply: 'r',
      get headers(): never {
        throw new Error('bad headers');
      },
    } as unknown as Msg;
    expect(() => controller.cancel(new NatsRequest(broken, 'x'))).toThrow('bad headers'); // the transport catches it
    const results = await settled;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    await vi.waitFor(() => expect(run.inflightCount).toBe(0));
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
    // Each failure was logged, and each attempt tried to tell someone once, not twice.
    expect(errors).toHaveBeenCalled();
    expect(plain.respond.mock.calls.length).toBeLessThanOrEqual(1);
    expect(streamed.respond.mock.calls.length).toBeLessThanOrEqual(1);
  });
});

describe('AttemptRunner capacity', () => {
  it('refuses an attempt past SWITCHYARD_TRANSLATOR_MAX_INFLIGHT with a retryable overloaded error', async () => {
    const { run, registry } = runner(1);
    // One attempt holds the only slot.
    registry.add({ requestId: 'busy', attempt: 1 } as Parameters<AttemptRegistry['add']>[0]);
    const responded: { data: Uint8Array; headers?: MsgHdrs }[] = [];
    const msg = {
      ...executeMsg({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }, 'req-3'),
      respond: (data: Uint8Array, opts?: { headers?: MsgHdrs }) => {
        responded.push({ data, headers: opts?.headers });
        return true;
      },
    } as unknown as Msg;
    await run.run(new NatsRequest(msg, 'x'));
    expect(responded).toHaveLength(1);
    expect(responded[0]!.headers?.get(H.frame)).toBe('error');
    expect(responded[0]!.headers?.get(H.attempt)).toBe('1');
    const error = JSON.parse(new TextDecoder().decode(responded[0]!.data)) as Record<string, unknown>;
    expect(error).toMatchObject({ kind: 'overloaded', status: 503, retryable: true, code: 'translator_overloaded' });
  });
});

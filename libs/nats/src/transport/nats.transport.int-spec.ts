import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import {
  Controller,
  ForbiddenException,
  Inject,
  Injectable,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { connect, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { defineCommand, defineEvent, H } from '@switchyard/contracts';
import { waitFor } from '@switchyard/testing';
import { firstValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { frameHeaders, readErrorFrame } from '../frames';
import { isNoResponders } from '../reply-inbox';
import { NatsClient } from './nats.client';
import { OnCommand, OnEvent } from './nats.decorators';
import { NatsContext, NatsRequest, type NatsReply } from './nats-request';
import { NatsTransport } from './nats.transport';

const echo = defineCommand('test.echo.run', { queue: 'echoers', replies: 'one' });
const boom = defineCommand('test.boom.run', { queue: 'echoers', replies: 'one' });
const guarded = defineCommand('test.guarded.run', { queue: 'echoers', replies: 'one' });
const streamed = defineCommand('test.stream.run', { queue: 'echoers', replies: 'stream' });
const nobody = defineCommand('test.nobody.run', { queue: 'echoers', replies: 'one' });
const noted = defineEvent('test.thing.noted', { schema: z.object({ n: z.number().int() }) });
const raw = defineEvent('test.thing.raw');

const enc = new TextEncoder();
const dec = new TextDecoder();

/** What each app instance handled, so the test can see who did what. */
@Injectable()
class Seen {
  echoes = 0;
  events: unknown[] = [];
  raw: string[] = [];
  contexts: string[] = [];
}

@Injectable()
class DenyGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const request = ctx.switchToRpc().getData<NatsRequest>();
    if (request.header('x-deny') === '1') throw new ForbiddenException('denied by guard');
    return true;
  }
}

@Controller()
class TestController {
  constructor(@Inject(Seen) private readonly seen: Seen) {}

  @OnCommand(echo)
  echo(@Payload() request: NatsRequest, @Ctx() ctx: NatsContext): NatsReply {
    this.seen.echoes++;
    this.seen.contexts.push(ctx.getSubject());
    const h = headers();
    h.set('x-echo', request.header('x-in'));
    return { data: enc.encode(`echo:${dec.decode(request.data)}`), headers: h };
  }

  @OnCommand(boom)
  async boom(request: NatsRequest): Promise<void> {
    await Promise.resolve();
    if (request.header('sync') === '1') throw new Error('sync-ish failure');
    throw new Error('async failure with a secret sk-should-not-leak');
  }

  @OnCommand(guarded)
  @UseGuards(DenyGuard)
  guarded(request: NatsRequest): void {
    request.respond(enc.encode('allowed'));
  }

  @OnCommand(streamed)
  stream(@Payload() request: NatsRequest, @Ctx() ctx: NatsContext): void {
    const nc = ctx.getMessage();
    for (let i = 0; i < 3; i++)
      nc.respond(enc.encode(`chunk ${i}`), { headers: frameHeaders('chunk', undefined, undefined, 1) });
    request.respond(new Uint8Array(0), frameHeaders('done', { status: 200 }, 'req', 1));
  }

  @OnEvent(noted)
  noted(event: { n: number }): void {
    this.seen.events.push(event);
  }

  @OnEvent(raw)
  raw(request: NatsRequest): void {
    this.seen.raw.push(dec.decode(request.data));
    throw new Error('an event handler failing is only logged');
  }
}

describe('NatsTransport and NatsClient on a real NATS server', () => {
  const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const prefix = `tn${randomBytes(4).toString('hex')}`;
  const apps: { app: INestApplication; seen: Seen; transport: NatsTransport; nc: NatsConnection }[] = [];
  let nc: NatsConnection;
  let client: NatsClient;

  async function startInstance() {
    const moduleRef = await Test.createTestingModule({ controllers: [TestController], providers: [Seen, DenyGuard] })
      .setLogger({ log: () => undefined, warn: () => undefined, error: () => undefined })
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const instanceNc = await connect({ servers: url });
    const transport = new NatsTransport().bind(instanceNc, prefix);
    app.connectMicroservice({ strategy: transport });
    await app.startAllMicroservices();
    await app.init();
    await instanceNc.flush();
    const instance = { app, seen: app.get(Seen), transport, nc: instanceNc };
    apps.push(instance);
    return instance;
  }

  beforeAll(async () => {
    await startInstance();
    await startInstance();
    nc = await connect({ servers: url });
    client = new NatsClient(nc, prefix, `${prefix}.test.reply`, 'spec');
  });

  afterAll(async () => {
    client?.close();
    for (const a of apps) {
      await a.app.close();
      await a.nc.drain().catch(() => undefined);
    }
    await nc?.drain();
  });

  const send = (def: typeof echo, body: string, h?: Record<string, string>): Promise<Msg> => {
    const hdrs = headers();
    for (const [k, v] of Object.entries(h ?? {})) hdrs.set(k, v);
    return firstValueFrom(client.send<Msg>(def, { data: enc.encode(body), headers: hdrs }));
  };

  it('serves a command declared with OnCommand, with raw bytes and headers both ways', async () => {
    const reply = await send(echo, 'hello', { 'x-in': 'abc' });
    expect(dec.decode(reply.data)).toBe('echo:hello');
    expect(reply.headers?.get('x-echo')).toBe('abc');
    expect(apps.flatMap((a) => a.seen.contexts)).toContain(`${prefix}.test.echo.run`);
  });

  it('shares a command between the instances of a queue group, each message handled once', async () => {
    const before = apps.map((a) => a.seen.echoes);
    const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => send(echo, String(i))));
    expect(replies.map((r) => dec.decode(r.data))).toEqual(Array.from({ length: 60 }, (_, i) => `echo:${i}`));
    const handled = apps.map((a, i) => a.seen.echoes - before[i]!);
    expect(handled.reduce((x, y) => x + y, 0)).toBe(60);
    expect(handled.every((n) => n > 0)).toBe(true);
  });

  it('answers a handler that failed with an internal error frame, and never leaks its message', async () => {
    const reply = await send(boom, 'x', { [H.requestId]: 'req_boom' });
    expect(reply.headers?.get(H.frame)).toBe('error');
    const error = readErrorFrame(reply);
    expect(error).toMatchObject({ status: 500, kind: 'internal', code: 'internal_error' });
    expect(dec.decode(reply.data)).not.toContain('sk-should-not-leak');
    // The transport is still serving afterwards.
    expect(dec.decode((await send(echo, 'still here')).data)).toBe('echo:still here');
  });

  it('runs Nest guards around handlers', async () => {
    expect(dec.decode((await send(guarded, 'x')).data)).toBe('allowed');
    const denied = await send(guarded, 'x', { 'x-deny': '1' });
    expect(denied.headers?.get(H.frame)).toBe('error');
    expect(readErrorFrame(denied).kind).toBe('internal');
  });

  it('streams every frame of a `stream` command to the client and completes at the final frame', async () => {
    const frames = await firstValueFrom(client.send<Msg>(streamed, { data: new Uint8Array(0) }).pipe(toArray()));
    expect(frames.map((f) => f.headers?.get(H.frame))).toEqual(['chunk', 'chunk', 'chunk', 'done']);
    expect(frames.map((f) => f.headers?.get(H.attempt))).toEqual(['1', '1', '1', '1']);
    expect(client.pending).toBe(0);
  });

  it("reports NATS's no-responders status for a command nobody serves", async () => {
    const reply = await send(nobody, 'x');
    expect(isNoResponders(reply)).toBe(true);
  });

  it('decodes and validates events with a schema, and drops the ones that do not match', async () => {
    client.notify(noted, { data: enc.encode(JSON.stringify({ n: 1 })) });
    client.notify(noted, { data: enc.encode('not json') });
    client.notify(noted, { data: enc.encode(JSON.stringify({ n: 'two' })) });
    client.notify(noted, { data: enc.encode(JSON.stringify({ n: 3 })) });
    // No queue group: a broadcast, so every instance gets each valid event.
    await waitFor(() => apps.every((a) => a.seen.events.length === 2), { timeoutMs: 5000 });
    for (const a of apps) expect(a.seen.events).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('keeps serving after an event handler throws', async () => {
    client.notify(raw, { data: enc.encode('first') });
    client.notify(raw, { data: enc.encode('second') });
    await waitFor(() => apps.every((a) => a.seen.raw.length === 2), { timeoutMs: 5000 });
    expect(dec.decode((await send(echo, 'after')).data)).toBe('echo:after');
  });

  it('stops taking commands once drained, so the other instance of the group takes them', async () => {
    const [first, second] = apps;
    await first!.transport.drain();
    const before = second!.seen.echoes;
    await Promise.all(Array.from({ length: 10 }, (_, i) => send(echo, `d${i}`)));
    expect(second!.seen.echoes - before).toBe(10);
  });
});

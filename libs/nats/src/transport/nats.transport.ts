import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { JsMsg } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { Errors, H, subjects, type Subjects } from '@switchyard/contracts';
import { isObservable, lastValueFrom, type Observable } from 'rxjs';
import { errorFrame } from '../frames';
import { utf8 } from '../nats-headers';
import type { NatsHandlerExtras } from './nats.decorators';
import { isNatsReply, NatsContext, NatsRequest } from './nats-request';
import {
  StreamBatchConsumer,
  StreamBatchContext,
  type StreamConsumerOptions,
  type StreamConsumerTarget,
} from './stream-batch.consumer';

/** Our transport's id: handlers declared with OnCommand/OnEvent bind to it and to no other transport. */
export const NATS_TRANSPORT_ID = Symbol.for('switchyard.nats');

/**
 * The Nest microservice transport of every Switchyard service: handlers declared with `OnCommand`,
 * `OnEvent` and `OnStreamBatch` (built on `@MessagePattern` / `@EventPattern`) are served over the
 * service's one `@nats-io/transport-node` connection. Bodies stay raw bytes with metadata in NATS headers
 * (no JSON envelope), replies use the message's own reply subject, queue groups come from the catalogue.
 * A batch handler reads a JetStream stream through a durable pull consumer (StreamBatchConsumer), which
 * the instances of the service share.
 *
 * One place catches: a nats.js subscription callback that throws stops the client's reader for good, so
 * nothing escapes `dispatch`; a command whose handler failed before answering gets an `internal` error
 * frame; an event whose handler failed is logged; a batch whose handler failed is logged and what it left
 * unsettled is nak'ed. Nest's guards, pipes, interceptors and RPC exception filters run around each
 * handler as usual.
 */
export class NatsTransport extends Server implements CustomTransportStrategy {
  override readonly transportId = NATS_TRANSPORT_ID;
  private readonly log = new Logger('NatsTransport');
  private nc?: NatsConnection;
  private prefix = 'sy';
  private subs: Subscription[] = [];
  private batchConsumers: StreamBatchConsumer[] = [];
  private draining?: Promise<void>;

  /** Gives the transport its connection and subject prefix; call before listen(). */
  bind(nc: NatsConnection, prefix: string): this {
    this.nc = nc;
    this.prefix = prefix;
    return this;
  }

  /** The absolute subjects this transport subscribes to, with their queue groups (for logs and tests). */
  get subscriptions(): { subject: string; queue?: string }[] {
    return [...this.messageHandlers]
      .filter(([, h]) => !isBatchHandler(h))
      .map(([pattern, h]) => ({
        subject: `${this.prefix}.${pattern}`,
        queue: (h.extras as NatsHandlerExtras | undefined)?.queue,
      }));
  }

  /** The durable JetStream consumers this transport pulls from (for logs and tests). */
  get consumers(): StreamConsumerTarget[] {
    const s = subjects(this.prefix);
    return [...this.messageHandlers]
      .filter(([, h]) => isBatchHandler(h))
      .map(([pattern, h]) => consumerTarget(s, pattern, h));
  }

  /**
   * Subscribes the command and event handlers, then makes sure every batch handler's durable consumer
   * exists (a failure there fails listen(), so the service does not start half deaf) and starts pulling.
   */
  listen(callback: (err?: unknown) => void): void {
    try {
      const nc = this.nc;
      if (nc === undefined) throw new Error('NatsTransport: bind() a NATS connection before listen().');
      const s = subjects(this.prefix);
      for (const [pattern, handler] of this.messageHandlers) {
        if (handler.next && [...chain(handler)].some(isBatchHandler))
          throw new Error(
            `NatsTransport: ${pattern} has a batch handler (OnStreamBatch) and other handlers; give the batch handler its subject alone.`,
          );
        if (isBatchHandler(handler)) {
          const target = consumerTarget(s, pattern, handler);
          this.batchConsumers.push(
            new StreamBatchConsumer(
              nc,
              target,
              consumerOf(handler)!,
              (msgs) => this.onBatch(handler, msgs, target),
              this.log,
            ),
          );
          continue;
        }
        const extras = (handler.extras ?? {}) as NatsHandlerExtras;
        const subject = `${this.prefix}.${pattern}`;
        const onMessage = handler.isEventHandler
          ? (msg: Msg) => this.onEvent(subject, handler, msg, extras)
          : (msg: Msg) => this.onCommand(subject, handler, msg);
        const sub = nc.subscribe(subject, {
          queue: extras.queue,
          callback: (err, msg) => {
            if (err) {
              this.log.error(`subscription to ${subject} failed: ${err.message}`);
              return;
            }
            try {
              onMessage(msg);
            } catch (e) {
              this.log.error(`handling a message on ${subject} failed: ${describe(e)}`);
            }
          },
        });
        this.subs.push(sub);
      }
    } catch (e) {
      callback(e);
      return;
    }
    Promise.all(this.batchConsumers.map((c) => c.ensureConsumer())).then(
      () => {
        // drain() ran meanwhile: stay stopped.
        if (this.draining) return callback();
        for (const c of this.batchConsumers) c.start();
        const serving = [
          ...this.subscriptions.map((s) => `${s.subject}${s.queue ? ` (queue ${s.queue})` : ''}`),
          ...this.batchConsumers.map((c) => `JetStream consumer ${c.describe()}`),
        ];
        this.log.log(`serving ${serving.join(', ')}`);
        callback();
      },
      (e: unknown) => callback(e),
    );
  }

  /** Runs a batch handler through Nest (guards, interceptors, filters) and resolves when it is done. */
  private async onBatch(handler: MessageHandler, msgs: JsMsg[], target: StreamConsumerTarget): Promise<void> {
    const result: unknown = await handler(msgs, new StreamBatchContext([msgs, target]));
    // An observable is what interceptors, or Nest's exception filters for a handler that threw, return.
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  }

  private onCommand(subject: string, handler: MessageHandler, msg: Msg): void {
    const request = new NatsRequest(msg, subject);
    let result: unknown;
    try {
      result = handler(request, new NatsContext([request]));
    } catch (e) {
      return this.commandFailed(request, e);
    }
    if (result instanceof Promise) {
      result.then(
        (value: unknown) => this.settleCommand(request, value),
        (e: unknown) => this.commandFailed(request, e),
      );
    } else {
      this.settleCommand(request, result);
    }
  }

  private settleCommand(request: NatsRequest, value: unknown): void {
    try {
      if (isObservable(value)) {
        // An observable is what Nest's exception filters return for a handler that threw.
        (value as Observable<unknown>).subscribe({
          next: (v) => this.answer(request, v),
          error: (e: unknown) => this.commandFailed(request, e),
        });
        return;
      }
      this.answer(request, value);
    } catch (e) {
      this.commandFailed(request, e);
    }
  }

  private answer(request: NatsRequest, value: unknown): void {
    if (isNatsReply(value) && !request.responded) request.respond(value.data, value.headers);
  }

  /** A command handler failed: log it, and answer it with an `internal` error frame if nothing was answered. */
  private commandFailed(request: NatsRequest, e: unknown): void {
    const requestId = request.header(H.requestId);
    this.log.error(`command on ${request.subject} (request ${requestId || '?'}) failed: ${describe(e)}`);
    if (request.responded || !request.reply) return;
    try {
      const frame = errorFrame(
        { ...Errors.internal('The service failed while handling this request. Retry it.'), kind: 'internal' },
        {},
        requestId || undefined,
      );
      request.respond(frame.data, frame.headers);
    } catch (e2) {
      this.log.error(`could not answer the failed command on ${request.subject}: ${describe(e2)}`);
    }
  }

  private onEvent(subject: string, handler: MessageHandler, msg: Msg, extras: NatsHandlerExtras): void {
    let payload: unknown;
    if (extras.schema) {
      let json: unknown;
      try {
        json = JSON.parse(utf8.decode(msg.data));
      } catch {
        this.log.warn(`dropped an event on ${subject}: its body is not JSON`);
        return;
      }
      const parsed = extras.schema.safeParse(json);
      if (!parsed.success) {
        const issues = parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
          .join('; ');
        this.log.warn(`dropped an event on ${subject} that does not match its schema (${issues})`);
        return;
      }
      payload = parsed.data;
    } else {
      payload = new NatsRequest(msg, subject);
    }
    const context = new NatsContext([new NatsRequest(msg, subject)]);
    let result: unknown;
    try {
      result = handler(payload, context);
    } catch (e) {
      this.log.error(`event handler on ${subject} failed: ${describe(e)}`);
      return;
    }
    const onError = (e: unknown) => this.log.error(`event handler on ${subject} failed: ${describe(e)}`);
    if (result instanceof Promise) {
      result.then((value: unknown) => {
        if (isObservable(value)) value.subscribe({ error: onError });
      }, onError);
    } else if (isObservable(result)) {
      result.subscribe({ error: onError });
    }
  }

  /**
   * Stops taking messages: every subscription drains (messages already received are still handled) and
   * every batch consumer stops pulling once the batch in hand is handled, so replicas in the same queue
   * group or on the same durable consumer take the new ones. Idempotent.
   */
  drain(): Promise<void> {
    this.draining ??= Promise.all([
      ...this.subs.map((s) => (s.isClosed() ? Promise.resolve() : s.drain().catch(() => undefined))),
      ...this.batchConsumers.map((c) => c.stop()),
    ]).then(() => undefined);
    return this.draining;
  }

  async close(): Promise<void> {
    await this.drain();
  }

  on(): never {
    throw new Error('NatsTransport has no events to listen to; watch the NATS connection status instead.');
  }

  unwrap<T>(): T {
    if (this.nc === undefined) throw new Error('NatsTransport is not bound to a connection yet.');
    return this.nc as T;
  }
}

function consumerOf(h: MessageHandler): StreamConsumerOptions | undefined {
  return (h.extras as NatsHandlerExtras | undefined)?.consumer;
}

function isBatchHandler(h: MessageHandler): boolean {
  return consumerOf(h) !== undefined;
}

function* chain(h: MessageHandler): Generator<MessageHandler> {
  for (let cur: MessageHandler | undefined = h; cur; cur = cur.next) yield cur;
}

function consumerTarget(s: Subjects, pattern: string, h: MessageHandler): StreamConsumerTarget {
  const consumer = consumerOf(h)!;
  return { subject: `${s.prefix}.${pattern}`, stream: consumer.stream(s), durable: consumer.durable(s) };
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string')
    return (e as { message: string }).message;
  return String(e);
}

import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { Msg, MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { FINAL_FRAMES, H, type CommandDef, type EventDef } from '@switchyard/contracts';
import { Observable } from 'rxjs';
import { isNoResponders, ReplyInbox } from '../reply-inbox';

/** A command or event to send: raw body bytes and metadata headers. */
export interface OutgoingMessage {
  data: Uint8Array;
  headers?: MsgHdrs;
}

/**
 * The Nest ClientProxy of every Switchyard service, over the service's one NATS connection. `send()`
 * publishes a catalogue command with a reply subject of this process's ReplyInbox (one wildcard
 * subscription per process, not an inbox per request) and returns the replies as an Observable:
 * one message for `replies: 'one'` commands, or every frame up to the final one for `replies: 'stream'`.
 * NATS's "no responders" status arrives as a reply too (see isNoResponders): it tells the caller that no
 * instance of the handling service is running. Unsubscribing stops listening for the request's replies.
 */
export class NatsClient extends ClientProxy {
  private inbox?: ReplyInbox;

  constructor(
    private readonly nc: NatsConnection,
    private readonly prefix: string,
    /** Absolute root of this process's reply subjects, e.g. `sy.gateway.reply`. */
    private readonly inboxRoot: string,
    private readonly instanceId: string,
    private readonly onInboxError: (e: Error, subject: string) => void = (e, subject) =>
      console.error(`reply handler for ${subject} failed: ${e.stack ?? e.message}`),
  ) {
    super();
  }

  connect(): Promise<NatsConnection> {
    return Promise.resolve(this.nc);
  }

  /** Stops listening for replies; the connection itself belongs to NatsModule. */
  close(): void {
    this.inbox?.unsubscribe();
    this.inbox = undefined;
  }

  unwrap<T>(): T {
    return this.nc as T;
  }

  /** Replies this process still waits for. */
  get pending(): number {
    return this.inbox?.pending ?? 0;
  }

  /**
   * Publishes `command` and returns its replies (synchronously on subscribe: the message is on its way
   * when subscribe() returns). Fails (observer.error) only when the message could not be published.
   */
  override send<TResult = Msg, TInput = OutgoingMessage>(command: CommandDef, message: TInput): Observable<TResult> {
    return new Observable<TResult>((observer) =>
      this.publish({ pattern: command, data: message as OutgoingMessage }, this.createObserver(observer)),
    );
  }

  /** Publishes an event now (no Observable, no microtask: for hot paths). Throws on a closed connection. */
  notify(event: EventDef, message: OutgoingMessage): void {
    this.nc.publish(`${this.prefix}.${event.subject}`, message.data, { headers: message.headers });
  }

  protected publish(packet: ReadPacket<OutgoingMessage>, callback: (packet: WritePacket<Msg>) => void): () => void {
    const command = packet.pattern as CommandDef;
    const once = command.replies === 'one';
    const channel = this.openInbox().open((msg) => {
      const final = once || isNoResponders(msg) || FINAL_FRAMES.has(msg.headers?.get(H.frame) ?? '');
      if (final) channel.close();
      callback({ response: msg, isDisposed: final });
    });
    try {
      this.nc.publish(`${this.prefix}.${command.subject}`, packet.data.data, {
        reply: channel.subject,
        headers: packet.data.headers,
      });
    } catch (e) {
      channel.close();
      callback({ err: e });
    }
    return () => channel.close();
  }

  protected dispatchEvent<T = undefined>(packet: ReadPacket<OutgoingMessage>): Promise<T> {
    this.notify(packet.pattern as EventDef, packet.data);
    return Promise.resolve(undefined as T);
  }

  private openInbox(): ReplyInbox {
    this.inbox ??= new ReplyInbox(this.nc, this.inboxRoot, this.instanceId, this.onInboxError);
    return this.inbox;
  }
}

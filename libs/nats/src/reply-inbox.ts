import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';

export type InboxHandler = (msg: Msg) => void;

/**
 * One wildcard subscription per process (`<root>.<instance>.>`) that hands each message to the
 * handler registered for its last token. Cheaper than the client's request() helper (no per-request
 * subscription) and, because each request has its own reply subject, NATS's "no responders" status
 * (code 503) reaches exactly the request that nobody could take.
 */
export class ReplyInbox {
  private readonly handlers = new Map<string, InboxHandler>();
  private readonly sub: Subscription;
  private readonly base: string;
  private seq = 0;

  constructor(
    nc: NatsConnection,
    root: string,
    instanceId: string,
    private readonly onError: (e: Error, subject: string) => void = (e, subject) =>
      console.error(`reply handler for ${subject} failed: ${e.stack ?? e.message}`),
  ) {
    this.base = `${root}.${instanceId}.`;
    this.sub = nc.subscribe(`${this.base}*`, {
      callback: (err, msg) => {
        if (err) return;
        const token = msg.subject.slice(this.base.length);
        const handler = this.handlers.get(token);
        if (!handler) return;
        // A throw escaping a subscription callback stops the NATS client's reader for good (every later
        // message on the connection is lost), so no handler may ever throw through here.
        try {
          handler(msg);
        } catch (e) {
          this.onError(e as Error, msg.subject);
        }
      },
    });
  }

  /** Registers a handler and returns the subject to hand out as reply address. Call close() when done. */
  open(handler: InboxHandler): { subject: string; close: () => void } {
    const token = (++this.seq).toString(36);
    this.handlers.set(token, handler);
    return { subject: this.base + token, close: () => this.handlers.delete(token) };
  }

  get pending(): number {
    return this.handlers.size;
  }

  unsubscribe(): void {
    this.sub.unsubscribe();
    this.handlers.clear();
  }
}

/** True when the message is NATS's own "no responders" status for a request nobody subscribes to. */
export function isNoResponders(msg: Msg): boolean {
  return msg.headers?.hasError === true && msg.headers.code === 503;
}

import type { Msg, MsgHdrs } from '@nats-io/transport-node';
import { BaseRpcContext } from '@nestjs/microservices';

/**
 * One incoming command, as its handler sees it: the raw body, the headers, and a way to answer on the
 * message's reply subject that remembers whether an answer went out (so the transport can answer for a
 * handler that failed before it did).
 */
export class NatsRequest {
  private answered = false;

  constructor(
    readonly msg: Msg,
    /** The subject the message arrived on (with the deployment's prefix). */
    readonly subject: string,
  ) {}

  get data(): Uint8Array {
    return this.msg.data;
  }

  get headers(): MsgHdrs | undefined {
    return this.msg.headers;
  }

  get reply(): string | undefined {
    return this.msg.reply;
  }

  /** A header's value, '' when absent. */
  header(name: string): string {
    return this.msg.headers?.get(name) ?? '';
  }

  /** Whether respond() was called. */
  get responded(): boolean {
    return this.answered;
  }

  /** Answers on the reply subject; false when the message has none. Throws when the connection is closed. */
  respond(data: Uint8Array, headers?: MsgHdrs): boolean {
    if (!this.msg.reply) return false;
    this.answered = true;
    return this.msg.respond(data, headers ? { headers } : undefined);
  }
}

/** The RPC context Nest hands to guards, interceptors and `@Ctx()` parameters of NATS handlers. */
export class NatsContext extends BaseRpcContext<[NatsRequest | Msg]> {
  /** The incoming message. */
  getMessage(): Msg {
    const first = this.args[0];
    return first instanceof NatsRequest ? first.msg : first;
  }

  getSubject(): string {
    const first = this.args[0];
    return first instanceof NatsRequest ? first.subject : first.subject;
  }
}

/** What a command handler may return instead of calling respond() itself: sent on the reply subject. */
export interface NatsReply {
  data: Uint8Array;
  headers?: MsgHdrs;
}

export function isNatsReply(v: unknown): v is NatsReply {
  return typeof v === 'object' && v !== null && (v as NatsReply).data instanceof Uint8Array;
}

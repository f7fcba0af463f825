import type { Logger } from '@nestjs/common';
import { BaseRpcContext } from '@nestjs/microservices';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Subjects } from '@switchyard/contracts';

/**
 * The durable JetStream pull consumer behind an `OnStreamBatch` handler. Names come from the deployment's
 * Subjects (libs/contracts), never from a string written here, so stacks sharing one NATS server keep
 * their own streams and consumers.
 */
export interface StreamConsumerOptions {
  /** The stream to read (e.g. `(s) => s.usageStream`). The service makes sure it exists before listen(). */
  stream: (s: Subjects) => string;
  /** The durable consumer (e.g. `(s) => s.usageConsumer`): every instance of the service pulls from it. */
  durable: (s: Subjects) => string;
  /** Most messages handed to the handler at once. */
  batch: number;
  /** How long the server waits for a message's ack before it redelivers it (set when the consumer is created). */
  ackWaitMs: number;
  /** Messages out without an ack, over every instance, before the server stops delivering; default 10 × batch. */
  maxAckPending?: number;
  /** How long one pull waits for messages when there are fewer than `batch`; default and minimum 1000 ms. */
  fetchExpiresMs?: number;
  /** nak delay for the messages a handler that threw left unsettled; default 5000 ms. */
  retryAfterThrowMs?: number;
}

/** One batch consumer resolved under a deployment's prefix. */
export interface StreamConsumerTarget {
  /** The absolute subject the consumer filters on (the event's). */
  readonly subject: string;
  readonly stream: string;
  readonly durable: string;
}

/** The RPC context of a batch handler (for guards, interceptors and `@Ctx()` parameters). */
export class StreamBatchContext extends BaseRpcContext<[JsMsg[], StreamConsumerTarget]> {
  getMessages(): JsMsg[] {
    return this.args[0];
  }

  getSubject(): string {
    return this.args[1].subject;
  }

  getStream(): string {
    return this.args[1].stream;
  }

  getDurable(): string {
    return this.args[1].durable;
  }
}

const MIN_FETCH_EXPIRES_MS = 1_000; // the client's minimum
const DEFAULT_RETRY_AFTER_THROW_MS = 5_000;
const MAX_FETCH_BACKOFF_MS = 10_000;
/** Extra time a pull in flight gets to end on its own during stop() before it is cut short. */
const STOP_GRACE_MS = 2_000;

const nanos = (ms: number): number => ms * 1_000_000;

/**
 * Pulls batches from one durable consumer and hands each to its handler, one batch at a time, until
 * stopped. The handler owns what happens to each message (ack, nak, term, working); this loop only makes
 * sure that nothing stops it but stop(): a failed pull is logged and retried with backoff (re-creating
 * the consumer when it disappeared), and a handler that throws has the messages it left unsettled nak'ed.
 * Instances sharing the durable each get different messages, so the service scales out like a queue group.
 */
export class StreamBatchConsumer {
  private stopping = false;
  private loop?: Promise<void>;
  private fetching?: ConsumerMessages;
  private wake?: () => void;

  constructor(
    private readonly nc: NatsConnection,
    readonly target: StreamConsumerTarget,
    private readonly options: StreamConsumerOptions,
    /** Runs the Nest handler on a batch; may throw. */
    private readonly handle: (msgs: JsMsg[]) => Promise<void>,
    private readonly log: Pick<Logger, 'log' | 'warn' | 'error'>,
  ) {}

  private get fetchExpiresMs(): number {
    return Math.max(MIN_FETCH_EXPIRES_MS, this.options.fetchExpiresMs ?? MIN_FETCH_EXPIRES_MS);
  }

  /** `stream/durable (subject)`, for logs. */
  describe(): string {
    return `${this.target.stream}/${this.target.durable} (${this.target.subject})`;
  }

  /**
   * Creates the durable consumer if it is missing; an existing one is used as it is. Safe to run from
   * every instance at once.
   */
  async ensureConsumer(): Promise<void> {
    const { stream, durable, subject } = this.target;
    const jsm = await jetstreamManager(this.nc);
    try {
      await jsm.consumers.info(stream, durable);
      return;
    } catch (e) {
      if (!isConsumerNotFound(e)) throw this.hint(e);
    }
    try {
      await jsm.consumers.add(stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(this.options.ackWaitMs),
        // The handler decides when a message that keeps failing is given up on (term).
        max_deliver: -1,
        max_ack_pending: this.options.maxAckPending ?? this.options.batch * 10,
        deliver_policy: DeliverPolicy.All,
        filter_subject: subject,
      });
      this.log.log(`created durable consumer ${durable} on stream ${stream}`);
    } catch (e) {
      // Another instance created it first.
      if (!/already (exists|in use)/i.test(messageOf(e))) throw this.hint(e);
    }
  }

  private hint(e: unknown): Error {
    const { stream, durable } = this.target;
    const what = isStreamNotFound(e)
      ? `stream ${stream} does not exist (the service creates it before it listens)`
      : messageOf(e);
    return new Error(
      `JetStream consumer ${durable} on ${stream}: ${what}. Check NATS_URL and that nats-server runs with -js.`,
    );
  }

  /** Starts pulling. */
  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Stops pulling. Resolves once the batch in hand is handled (and settled), including one a pull still
   * in flight brings (it ends within fetchExpiresMs; cutting it short would leave its messages unacked
   * until ackWaitMs). Idempotent.
   */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      if (this.loop) this.log.log(`stopping JetStream consumer ${this.describe()}: finishing the batch in hand`);
      this.wake?.();
      const fetching = this.fetching;
      if (fetching) setTimeout(() => fetching.stop(), this.fetchExpiresMs + STOP_GRACE_MS).unref();
    }
    return this.loop ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    const js = jetstream(this.nc);
    const { stream, durable } = this.target;
    let failures = 0;
    while (!this.stopping) {
      const msgs: JsMsg[] = [];
      let failed: unknown;
      try {
        const consumer = await js.consumers.get(stream, durable);
        const iter = await consumer.fetch({ max_messages: this.options.batch, expires: this.fetchExpiresMs });
        this.fetching = iter;
        for await (const m of iter) msgs.push(m);
      } catch (e) {
        failed = e ?? new Error('unknown error');
      } finally {
        this.fetching = undefined;
      }
      // Messages that arrived before a pull failed are ours until ackWaitMs: handle them now.
      if (msgs.length > 0) await this.deliver(msgs);
      if (failed === undefined) {
        failures = 0;
        continue;
      }
      if (this.stopping) break;
      failures++;
      const wait = Math.min(MAX_FETCH_BACKOFF_MS, 250 * 2 ** Math.min(failures, 6));
      const text = `pulling from JetStream consumer ${this.describe()} failed (${messageOf(failed)}); retrying in ${wait} ms`;
      if (pullFailureIsAlarm(failures, failed)) this.log.error(`${text}. Check NATS at NATS_URL.`);
      else this.log.warn(`${text} (transient: an error follows if it repeats)`);
      if (isConsumerNotFound(failed) || /consumer (not found|deleted)|no responders/i.test(messageOf(failed))) {
        await this.ensureConsumer().catch((e: unknown) => this.log.error(messageOf(e)));
      }
      await this.pause(wait);
    }
  }

  /** Hands a batch to the handler. Never throws. */
  private async deliver(msgs: JsMsg[]): Promise<void> {
    try {
      await this.handle(msgs);
    } catch (e) {
      const delay = this.options.retryAfterThrowMs ?? DEFAULT_RETRY_AFTER_THROW_MS;
      // The client sends nothing for a message that was already acked, nak'ed or terminated.
      for (const m of msgs) {
        try {
          m.nak(delay);
        } catch {
          // The connection is closing: the server redelivers after ackWaitMs.
        }
      }
      this.log.error(
        `batch handler of JetStream consumer ${this.describe()} failed on ${msgs.length} message(s) (stream seq ${msgs[0]!.seq}..${msgs[msgs.length - 1]!.seq}): ${messageOf(e)}; the messages it left unsettled are redelivered in ${delay} ms`,
      );
    }
    // Acks on the wire before the next pull, and before drain() lets the connection close.
    await this.nc.flush().catch(() => undefined);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopping) return resolve();
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}

/**
 * Pulls that fail now and then are part of a busy day: a pull whose heartbeats arrive late because the
 * process was starved of CPU for a moment ends with "heartbeats missed", and the next pull works. Those
 * are warnings; an error (the alarm) is for a consumer that keeps failing, or one that is gone.
 */
export const PULL_FAILURES_BEFORE_ALARM = 3;
export function pullFailureIsAlarm(consecutiveFailures: number, error: unknown): boolean {
  if (consecutiveFailures >= PULL_FAILURES_BEFORE_ALARM) return true;
  return !/heartbeats? missed|idle heartbeat|timeout|timed out/i.test(messageOf(error));
}

function isConsumerNotFound(e: unknown): boolean {
  return (
    (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.ConsumerNotFound) ||
    /consumer not found/i.test(messageOf(e))
  );
}

function isStreamNotFound(e: unknown): boolean {
  return (
    (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound) ||
    /stream not found/i.test(messageOf(e))
  );
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string')
    return (e as { message: string }).message;
  return String(e);
}

import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Subjects, UsageRecordedEvent } from '@switchyard/contracts';
import { ENV, type Env } from '@switchyard/config';
import { ensureUsageStream, isUsageStreamFull, NATS, SUBJECTS, usageStreamBounds, utf8 } from '@switchyard/nats';

/**
 * Publishes one usage event per request to JetStream, off the client's critical path: the response is
 * already written when publish() is called. Events are gathered for a few milliseconds and published
 * together, so many share one socket write (on loopback every write costs the sender the receiver's
 * TCP work too). The request id is the JetStream message id, so a retried publish is stored once.
 * Events JetStream has not acknowledged are retried with backoff; shutdown waits for them.
 *
 * The event is built by the gateway and typed; it is not re-validated here (spend validates what it reads).
 */
@Injectable()
export class UsagePublisherService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('UsagePublisher');
  private js!: JetStreamClient;
  private readonly inFlight = new Set<Promise<void>>();
  private batch: UsageRecordedEvent[] = [];
  private timer?: NodeJS.Timeout;
  /** Usage events given up on (never stored in JetStream): their spend is lost, and each is logged at error level. */
  dropped = 0;
  static readonly MAX_ATTEMPTS = 60;
  /** How long an event may wait for companions before it is published. */
  static readonly BATCH_WINDOW_MS = 20;
  static readonly MAX_BATCH = 256;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(SUBJECTS) private readonly subjects: Subjects,
    @Inject(ENV) private readonly env: Env,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await ensureUsageStream(this.nc, this.subjects, usageStreamBounds(this.env), this.logger);
    this.js = jetstream(this.nc);
  }

  publish(event: UsageRecordedEvent): void {
    this.batch.push(event);
    if (this.batch.length >= UsagePublisherService.MAX_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), UsagePublisherService.BATCH_WINDOW_MS);
  }

  /** Events not yet acknowledged by JetStream (waiting in the batch or in flight). */
  get pending(): number {
    return this.batch.length + this.inFlight.size;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.batch;
    this.batch = [];
    // All publishes start in the same tick, so the client writes them to the socket together.
    for (const e of events) {
      const p = this.send(e.requestId, utf8.encode(JSON.stringify(e))).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  private async send(requestId: string, data: Uint8Array): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.js.publish(this.subjects.usageRecorded, data, { msgID: requestId, timeout: 5000 });
        return;
      } catch (e) {
        const full = isUsageStreamFull(e);
        const why = full
          ? `the usage stream ${this.subjects.usageStream} is full (SWITCHYARD_USAGE_STREAM_MAX_BYTES=${this.env.SWITCHYARD_USAGE_STREAM_MAX_BYTES}): spend is down or behind; check the spend service`
          : 'check NATS JetStream';
        if (attempt >= UsagePublisherService.MAX_ATTEMPTS) {
          this.dropped++;
          this.logger.error(
            `usage event ${requestId} DROPPED after ${attempt} attempts, its spend is not recorded: ${(e as Error).message}; ${why}.`,
          );
          this.logger.error(
            `metric usage_events_dropped_total=${this.dropped} request_id=${requestId} reason=${full ? 'stream_full' : 'publish_failed'}`,
          );
          return;
        }
        if (attempt === 1)
          this.logger.warn(`usage event ${requestId} not stored yet (${(e as Error).message}); retrying; ${why}`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.flush();
    if (this.inFlight.size) this.logger.log(`waiting for ${this.inFlight.size} usage events to be stored`);
    await Promise.allSettled([...this.inFlight]);
  }
}

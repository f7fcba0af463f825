import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Subjects, UsageRecordedEvent } from '@switchyard/contracts';
import { ENV, type Env } from '@switchyard/config';
import { ensureUsageStream, isUsageStreamFull, NATS, SUBJECTS, usageStreamBounds, utf8 } from '@switchyard/nats';
import { UsageSpool } from './usage-spool';

/**
 * Publishes one usage event per request to JetStream, off the client's critical path: the response is
 * already written when publish() is called. Events are gathered for a few milliseconds and published
 * together, so many share one socket write (on loopback every write costs the sender the receiver's
 * TCP work too). The request id is the JetStream message id, so a retried publish is stored once.
 * Events JetStream has not acknowledged are retried a few times, then written to an append-only spool file
 * on disk (UsageSpool) and replayed from it, in order, once JetStream takes them again; shutdown waits for
 * the retries, and a spool left by a stopped gateway is replayed when it starts. An event is lost only if
 * the disk refuses it too (logged at error level).
 *
 * The event is built by the gateway and typed; it is not re-validated here (spend validates what it reads).
 */
const REPLAY_MIN_MS = 500;
const REPLAY_MAX_MS = 10_000;

@Injectable()
export class UsagePublisherService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('UsagePublisher');
  private js!: JetStreamClient;
  private readonly inFlight = new Set<Promise<void>>();
  private batch: UsageRecordedEvent[] = [];
  private timer?: NodeJS.Timeout;
  /** Usage events lost (JetStream and the spool both refused them): each is logged at error level. */
  dropped = 0;
  /** Usage events written to the spool since start. */
  spooled = 0;
  /** Publish attempts before an event goes to the spool. */
  static readonly SPOOL_AFTER_ATTEMPTS = 3;
  private readonly spool: UsageSpool;
  private replayTimer?: NodeJS.Timeout;
  private replayDelayMs = REPLAY_MIN_MS;
  private stopping = false;
  /** How long an event may wait for companions before it is published. */
  static readonly BATCH_WINDOW_MS = 20;
  static readonly MAX_BATCH = 256;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(SUBJECTS) private readonly subjects: Subjects,
    @Inject(ENV) private readonly env: Env,
  ) {
    this.spool = UsageSpool.forInstance(
      env.SWITCHYARD_USAGE_SPOOL_DIR,
      `${env.SWITCHYARD_NATS_PREFIX}-${env.SWITCHYARD_INSTANCE_ID ?? 'gateway'}`,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await ensureUsageStream(this.nc, this.subjects, usageStreamBounds(this.env), this.logger);
    this.js = jetstream(this.nc);
    this.spool.repairTail();
    const waiting = this.spool.pendingBytes();
    if (waiting > 0) {
      this.logger.warn(
        `${waiting} bytes of usage events spooled in ${this.spool.path} by an earlier run: replaying them`,
      );
      this.scheduleReplay(0);
    }
  }

  /** Bytes of usage events in the spool, waiting for JetStream. */
  get spooledBytes(): number {
    return this.spool.pendingBytes();
  }

  private scheduleReplay(delayMs = this.replayDelayMs): void {
    if (this.replayTimer || this.stopping) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = undefined;
      void this.replay();
    }, delayMs);
  }

  /** Publishes the spool in order, each awaited; on failure tries again later, backing off to REPLAY_MAX_MS. */
  private async replay(): Promise<void> {
    let done = false;
    try {
      done = await this.spool.replay(async (line) => {
        let requestId: string | undefined;
        try {
          requestId = (JSON.parse(line) as { requestId?: unknown }).requestId as string | undefined;
        } catch {
          // a line a crash cut short: nothing to publish
        }
        if (typeof requestId !== 'string') {
          this.logger.error(`a spooled usage line in ${this.spool.path} is not an event; skipped`);
          return;
        }
        await this.js.publish(this.subjects.usageRecorded, utf8.encode(line), { msgID: requestId, timeout: 5000 });
      });
    } catch (e) {
      this.logger.warn(`replaying spooled usage events paused (${(e as Error).message}); retrying`);
    }
    if (done) {
      if (this.replayDelayMs > REPLAY_MIN_MS || this.spooled > 0)
        this.logger.log(`spooled usage events replayed; ${this.spool.path} is empty`);
      this.replayDelayMs = REPLAY_MIN_MS;
    } else {
      this.replayDelayMs = Math.min(REPLAY_MAX_MS, this.replayDelayMs * 2);
      this.scheduleReplay();
    }
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
        if (attempt >= UsagePublisherService.SPOOL_AFTER_ATTEMPTS) {
          this.toSpool(requestId, data, `${(e as Error).message}; ${why}`);
          return;
        }
        if (attempt === 1)
          this.logger.warn(`usage event ${requestId} not stored yet (${(e as Error).message}); retrying; ${why}`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
      }
    }
  }

  private toSpool(requestId: string, data: Uint8Array, why: string): void {
    try {
      this.spool.append([utf8.decode(data)]);
      this.spooled++;
      if (this.spooled === 1 || this.spooled % 1000 === 0)
        this.logger.warn(
          `usage events spooled to ${this.spool.path} (${this.spooled} so far; latest ${requestId}): ${why}. They are replayed in order when JetStream takes them again.`,
        );
      this.scheduleReplay();
    } catch (e) {
      this.dropped++;
      this.logger.error(
        `usage event ${requestId} DROPPED, its spend is not recorded: JetStream refused it (${why}) and the spool ${this.spool.path} too (${(e as Error).message}); check SWITCHYARD_USAGE_SPOOL_DIR.`,
      );
      this.logger.error(
        `metric usage_events_dropped_total=${this.dropped} request_id=${requestId} reason=spool_failed`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.flush();
    if (this.inFlight.size) this.logger.log(`waiting for ${this.inFlight.size} usage events to be stored or spooled`);
    await Promise.allSettled([...this.inFlight]);
    this.stopping = true;
    clearTimeout(this.replayTimer);
  }
}

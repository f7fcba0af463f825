import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { UsageRecordedEventSchema, type Subjects, type UsageRecordedEventInput } from '@switchyard/contracts';
import { ensureUsageStream, NATS, SUBJECTS, utf8 } from '@switchyard/nats';

/**
 * Publishes one usage event per request to JetStream, off the client's critical path: the response is
 * already written when publish() is called. The event's request id is the JetStream message id, so a
 * retried publish is stored once. Events that cannot be stored yet wait in memory and are retried with
 * backoff; shutdown waits for them.
 */
@Injectable()
export class UsagePublisherService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('UsagePublisher');
  private js!: JetStreamClient;
  private readonly inFlight = new Set<Promise<void>>();
  static readonly MAX_ATTEMPTS = 60;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(SUBJECTS) private readonly subjects: Subjects,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await ensureUsageStream(this.nc, this.subjects);
    this.js = jetstream(this.nc);
  }

  publish(event: UsageRecordedEventInput): void {
    const parsed = UsageRecordedEventSchema.safeParse(event);
    if (!parsed.success) {
      // A bug, not an input problem: every field is set by the gateway. Loud, with the request id.
      this.logger.error(`usage event for ${event.requestId} is invalid and was not published: ${parsed.error.message}`);
      return;
    }
    const p = this.send(parsed.data.requestId, utf8.encode(JSON.stringify(parsed.data))).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  get pending(): number {
    return this.inFlight.size;
  }

  private async send(requestId: string, data: Uint8Array): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.js.publish(this.subjects.usageRecorded, data, { msgID: requestId, timeout: 5000 });
        return;
      } catch (e) {
        if (attempt >= UsagePublisherService.MAX_ATTEMPTS) {
          this.logger.error(`usage event ${requestId} could not be stored after ${attempt} attempts: ${(e as Error).message}. Check NATS JetStream.`);
          return;
        }
        if (attempt === 1) this.logger.warn(`usage event ${requestId} not stored yet (${(e as Error).message}); retrying`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.inFlight.size) this.logger.log(`waiting for ${this.inFlight.size} usage events to be stored`);
    await Promise.allSettled([...this.inFlight]);
  }
}

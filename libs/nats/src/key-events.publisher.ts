import { Inject, Injectable, Logger } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { Events, KeyChangedEventSchema, type KeyChangedEvent } from '@switchyard/contracts';
import { NATS, NATS_CLIENT } from './nats.module.tokens';
import { utf8 } from './nats-headers';
import type { NatsClient } from './transport/nats.client';

const FLUSH_TIMEOUT_MS = 2000;

/**
 * Tells every gateway that keys changed (revoked, expired, deleted), so they drop them from their caches.
 * Used by admin and by the spend service's expiry sweep.
 */
@Injectable()
export class KeyEventsPublisher {
  private readonly logger = new Logger('KeyEventsPublisher');

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(NATS_CLIENT) private readonly client: NatsClient,
  ) {}

  async publish(events: KeyChangedEvent[]): Promise<void> {
    if (events.length === 0) return;
    for (const e of events)
      this.client.notify(Events.keyChanged, { data: utf8.encode(JSON.stringify(KeyChangedEventSchema.parse(e))) });
    // The change is already durable in Postgres; waiting for the flush only bounds how long gateways may lag.
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.nc.flush(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('flush timed out')), FLUSH_TIMEOUT_MS))),
      ]);
    } catch (e) {
      this.logger.warn(
        `Key change notification for ${events.length} key(s) not confirmed by NATS: ${(e as Error).message}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

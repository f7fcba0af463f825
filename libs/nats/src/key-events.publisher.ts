import { Inject, Injectable, Logger } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  Events,
  KeyChangedEventSchema,
  ScopeChangedEventSchema,
  TeamChangedEventSchema,
  type KeyChangedEvent,
  type ScopeChangedEvent,
  type TeamChangedEvent,
} from '@switchyard/contracts';
import { NATS, NATS_CLIENT } from './nats.module.tokens';
import { utf8 } from './nats-headers';
import type { NatsClient } from './transport/nats.client';

const FLUSH_TIMEOUT_MS = 2000;

/**
 * Tells every gateway that keys changed (revoked, expired, deleted), so they drop them from their caches.
 * Used by admin and by the spend service's expiry sweep. A change to a team that its keys' authorisation
 * depends on goes out as one team event, however many keys the team has.
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
    await this.flush(`Key change notification for ${events.length} key(s)`);
  }

  async publishTeamChanged(event: TeamChangedEvent): Promise<void> {
    this.client.notify(Events.teamChanged, {
      data: utf8.encode(JSON.stringify(TeamChangedEventSchema.parse(event))),
    });
    await this.flush(`Team change notification for team ${event.teamId}`);
  }

  async publishScopeChanged(event: ScopeChangedEvent): Promise<void> {
    this.client.notify(Events.scopeChanged, {
      data: utf8.encode(JSON.stringify(ScopeChangedEventSchema.parse(event))),
    });
    await this.flush(`Change notification for ${event.level} ${event.id}`);
  }

  private async flush(what: string): Promise<void> {
    // The change is already durable in Postgres; waiting for the flush only bounds how long gateways may lag.
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.nc.flush(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('flush timed out')), FLUSH_TIMEOUT_MS))),
      ]);
    } catch (e) {
      this.logger.warn(`${what} not confirmed by NATS: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

import { Controller, Inject } from '@nestjs/common';
import { Events, type KeyChangedEvent, type ScopeChangedEvent, type TeamChangedEvent } from '@switchyard/contracts';
import { OnEvent } from '@switchyard/nats';
import { KeyCacheService } from './key-cache.service';

/** Key and team changes broadcast by admin and spend (no queue group: every gateway instance hears each one). */
@Controller()
export class KeyEventsController {
  constructor(@Inject(KeyCacheService) private readonly cache: KeyCacheService) {}

  @OnEvent(Events.keyChanged)
  changed(event: KeyChangedEvent): void {
    this.cache.invalidate(event.keyHash, event.keyId);
  }

  @OnEvent(Events.teamChanged)
  teamChanged(event: TeamChangedEvent): void {
    this.cache.invalidateTeam(event.teamId);
  }

  @OnEvent(Events.scopeChanged)
  scopeChanged(event: ScopeChangedEvent): void {
    this.cache.invalidateScope(event.level, event.id);
  }
}

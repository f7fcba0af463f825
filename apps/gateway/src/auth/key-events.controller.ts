import { Controller, Inject } from '@nestjs/common';
import { Events, type KeyChangedEvent } from '@switchyard/contracts';
import { OnEvent } from '@switchyard/nats';
import { KeyCacheService } from './key-cache.service';

/** Key changes broadcast by admin and spend (no queue group: every gateway instance hears each one). */
@Controller()
export class KeyEventsController {
  constructor(@Inject(KeyCacheService) private readonly cache: KeyCacheService) {}

  @OnEvent(Events.keyChanged)
  changed(event: KeyChangedEvent): void {
    this.cache.invalidate(event.keyHash);
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import { KeysRepository } from '@switchyard/db';
import { JobHandler } from '@switchyard/jobs';
import { KeyEventsPublisher } from '@switchyard/nats';

@Injectable()
export class KeyExpiryJobs {
  private readonly logger = new Logger('KeyExpiry');

  constructor(
    @Inject(KeysRepository) private readonly keys: KeysRepository,
    @Inject(KeyEventsPublisher) private readonly keyEvents: KeyEventsPublisher,
  ) {}

  /** Revokes keys past their expires_at and tells every gateway to drop them from its cache. */
  @JobHandler('keys.expire-sweep')
  async sweep(): Promise<{ revoked: number }> {
    const expired = await this.keys.expireDue(new Date());
    await this.keyEvents.publish(expired.map((k) => ({ keyId: k.id, keyHash: k.keyHash, reason: 'revoked' as const })));
    if (expired.length > 0) this.logger.log(`revoked ${expired.length} expired key(s)`);
    return { revoked: expired.length };
  }
}

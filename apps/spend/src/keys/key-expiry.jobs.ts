import { Inject, Injectable, Logger } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { KeyChangedEvent, Subjects } from '@switchyard/contracts';
import { KeysRepository } from '@switchyard/db';
import { JobHandler } from '@switchyard/jobs';
import { NATS, SUBJECTS, utf8 } from '@switchyard/nats';

@Injectable()
export class KeyExpiryJobs {
  private readonly logger = new Logger('KeyExpiry');

  constructor(
    @Inject(KeysRepository) private readonly keys: KeysRepository,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(SUBJECTS) private readonly subjects: Subjects,
  ) {}

  /** Revokes keys past their expires_at and tells every gateway to drop them from its cache. */
  @JobHandler('keys.expire-sweep')
  async sweep(): Promise<{ revoked: number }> {
    const expired = await this.keys.expireDue(new Date());
    for (const k of expired) {
      const event: KeyChangedEvent = { keyId: k.id, keyHash: k.keyHash, reason: 'revoked' };
      this.nc.publish(this.subjects.keyChanged, utf8.encode(JSON.stringify(event)));
    }
    if (expired.length > 0) {
      await this.nc.flush();
      this.logger.log(`revoked ${expired.length} expired key(s)`);
    }
    return { revoked: expired.length };
  }
}

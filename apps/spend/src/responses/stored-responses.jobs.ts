import { Inject, Injectable, Logger } from '@nestjs/common';
import { StoredResponsesRepository } from '@switchyard/db';
import { JobHandler } from '@switchyard/jobs';

/**
 * Deletes stored Responses API responses whose time is up (expires_at, set from SWITCHYARD_RESPONSES_TTL_HOURS
 * when they were stored). They are invisible from that instant anyway; this frees their rows.
 */
@Injectable()
export class StoredResponsesJobs {
  static readonly BATCH_SIZE = 1_000;
  static readonly MAX_BATCHES = 100;
  private readonly logger = new Logger('StoredResponses');

  constructor(@Inject(StoredResponsesRepository) private readonly stored: StoredResponsesRepository) {}

  @JobHandler('responses.expire-sweep')
  async sweep(): Promise<{ deleted: number }> {
    return this.sweepOnce();
  }

  async sweepOnce(now = new Date(), batchSize = StoredResponsesJobs.BATCH_SIZE): Promise<{ deleted: number }> {
    let deleted = 0;
    for (let batch = 0; batch < StoredResponsesJobs.MAX_BATCHES; batch++) {
      const n = await this.stored.deleteExpired(now, batchSize);
      deleted += n;
      if (n < batchSize) break;
    }
    if (deleted > 0) this.logger.log(`deleted ${deleted} expired stored response(s)`);
    return { deleted };
  }
}

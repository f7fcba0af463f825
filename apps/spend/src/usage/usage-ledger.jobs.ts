import { Inject, Injectable, Logger } from '@nestjs/common';
import { ENV, usageLedgerRetentionHours, type Env } from '@switchyard/config';
import { SpendRepository } from '@switchyard/db';
import { JobHandler } from '@switchyard/jobs';

export interface LedgerPruneOptions {
  /** Rows per DELETE: each is its own short transaction, so no lock is held long on a large table. */
  batchSize?: number;
  /** Batches per run; what is left goes at the next run. */
  maxBatches?: number;
  now?: Date;
}

export interface LedgerPruneResult {
  deleted: number;
  batches: number;
  /** Set when there was no retention to apply (no stream max age and no explicit ledger retention). */
  skipped?: true;
}

/**
 * Keeps the processed_usage ledger bounded. A request id is only needed while its usage event can still be
 * delivered again, which is at most the usage stream's max age: rows older than the ledger retention
 * (that age plus a margin, see usageLedgerRetentionHours) are deleted.
 */
@Injectable()
export class UsageLedgerJobs {
  static readonly BATCH_SIZE = 5_000;
  static readonly MAX_BATCHES = 200;
  private readonly logger = new Logger('UsageLedger');

  constructor(
    @Inject(SpendRepository) private readonly spend: SpendRepository,
    @Inject(ENV) private readonly env: Env,
  ) {}

  @JobHandler('usage.ledger-prune')
  async prune(): Promise<LedgerPruneResult> {
    return this.pruneOnce();
  }

  async pruneOnce(opts: LedgerPruneOptions = {}): Promise<LedgerPruneResult> {
    const hours = usageLedgerRetentionHours(this.env);
    if (hours === undefined) return { deleted: 0, batches: 0, skipped: true };
    const batchSize = opts.batchSize ?? UsageLedgerJobs.BATCH_SIZE;
    const maxBatches = opts.maxBatches ?? UsageLedgerJobs.MAX_BATCHES;
    const before = new Date((opts.now ?? new Date()).getTime() - hours * 3_600_000);
    let deleted = 0;
    let batches = 0;
    while (batches < maxBatches) {
      const n = await this.spend.pruneProcessedUsage(before, batchSize);
      batches++;
      deleted += n;
      if (n < batchSize) break;
    }
    if (deleted > 0) {
      this.logger.log(
        `deleted ${deleted} processed_usage row(s) older than ${before.toISOString()} in ${batches} batch(es)${batches === maxBatches ? '; more remain for the next run' : ''}`,
      );
    }
    return { deleted, batches };
  }
}

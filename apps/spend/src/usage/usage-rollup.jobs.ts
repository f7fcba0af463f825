import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ANALYTICS_DATABASE,
  CLICKHOUSE,
  refreshUsageRollups,
  type ClickHouseClient,
  type RollupRefreshResult,
} from '@switchyard/analytics';
import { JobHandler } from '@switchyard/jobs';

/** Keeps the analytics rollups up to date: one run a minute, whichever spend instance takes it. */
@Injectable()
export class UsageRollupJobs {
  private readonly logger = new Logger('UsageRollup');

  constructor(
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    @Inject(ANALYTICS_DATABASE) private readonly database: string,
  ) {}

  @JobHandler('analytics.rollup')
  async refresh(): Promise<RollupRefreshResult> {
    const result = await refreshUsageRollups(this.clickhouse, this.database);
    // One hour a run is the steady state; say more only when a run caught up or recomputed late rows.
    if (result.hours > 1 || result.days > 0)
      this.logger.log(
        `rolled up ${result.hours} hour(s) and ${result.days} day(s) in ${result.steps} step(s); rollups cover up to ${new Date(result.watermark * 1000).toISOString()}${result.caughtUp ? '' : ', more at the next run'}`,
      );
    return result;
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { ANALYTICS_DATABASE, CLICKHOUSE, spendReport, type ClickHouseClient } from '@switchyard/analytics';
import { Errors } from '@switchyard/contracts';
import { ApiException } from '../common/api.exception';
import { parseSpendQuery } from './spend-query';
import type { SpendRowJson } from './spend.schemas';

@Injectable()
export class SpendService {
  constructor(
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    @Inject(ANALYTICS_DATABASE) private readonly database: string,
  ) {}

  async report(query: Record<string, unknown>): Promise<{ data: SpendRowJson[] }> {
    const q = parseSpendQuery(query);
    let rows: Awaited<ReturnType<typeof spendReport>>;
    try {
      rows = await spendReport(this.clickhouse, this.database, q);
    } catch (e) {
      // The analytics store being down or unmigrated is not the caller's fault, and it may pass.
      throw new ApiException(Errors.unavailable(`Spend report unavailable: ${(e as Error).message}`));
    }
    return {
      data: rows.map((r) => ({
        group: r.group,
        spend: r.spend,
        requests: r.requests,
        prompt_tokens: r.prompt_tokens,
        completion_tokens: r.completion_tokens,
      })),
    };
  }
}

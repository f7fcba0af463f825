import { Inject, Injectable } from '@nestjs/common';
import {
  ANALYTICS_DATABASE,
  CLICKHOUSE,
  SqlLiteralError,
  spendReport,
  type ClickHouseClient,
} from '@switchyard/analytics';
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
      // The analytics store being down, overloaded or unmigrated is not the caller's fault, and it may
      // pass. Anything else (a query we built wrong) is our bug: a 500, logged by the exception filter.
      if (!isUnavailable(e)) throw e;
      throw new ApiException(Errors.unavailable(`Spend report unavailable: ${(e as Error).message}`));
    }
    return {
      data: rows.map((r) => ({
        group: r.group,
        spend: r.spend,
        spend_nanos: r.spendNanos,
        requests: r.requests,
        prompt_tokens: r.prompt_tokens,
        completion_tokens: r.completion_tokens,
      })),
    };
  }
}

const UNAVAILABLE =
  /ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|EAI_AGAIN|socket hang up|timeout|timed out|doesn't exist|does not exist|UNKNOWN_TABLE|UNKNOWN_DATABASE|TOO_MANY_SIMULTANEOUS_QUERIES|MEMORY_LIMIT_EXCEEDED|Authentication|AUTHENTICATION_FAILED|REQUIRED_PASSWORD/i;

/** True for failures of the ClickHouse server or the way to it, judged by the underlying cause. */
export function isUnavailable(e: unknown): boolean {
  if (e instanceof SqlLiteralError) return false;
  const cause = (e as { cause?: unknown })?.cause ?? e;
  const message =
    cause instanceof Error ? `${cause.message} ${(cause as { code?: unknown }).code ?? ''}` : String(cause);
  return UNAVAILABLE.test(message);
}

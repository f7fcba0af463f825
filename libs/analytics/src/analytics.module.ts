import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { ENV, type Env } from '@switchyard/config';
import { createAnalyticsClient } from './analytics-client';

/** Injection token of the ClickHouseClient. */
export const CLICKHOUSE = Symbol('CLICKHOUSE');
/** Injection token of the analytics database name (CLICKHOUSE_DATABASE), validated by the env schema. */
export const ANALYTICS_DATABASE = Symbol('ANALYTICS_DATABASE');

@Global()
@Module({
  providers: [
    {
      provide: CLICKHOUSE,
      useFactory: (env: Env): ClickHouseClient =>
        createAnalyticsClient({
          url: env.CLICKHOUSE_URL,
          username: env.CLICKHOUSE_USER,
          password: env.CLICKHOUSE_PASSWORD,
        }),
      inject: [ENV],
    },
    { provide: ANALYTICS_DATABASE, useFactory: (env: Env): string => env.CLICKHOUSE_DATABASE, inject: [ENV] },
  ],
  exports: [CLICKHOUSE, ANALYTICS_DATABASE],
})
export class AnalyticsModule implements OnApplicationShutdown {
  private readonly logger = new Logger('AnalyticsModule');
  constructor(@Inject(CLICKHOUSE) private readonly client: ClickHouseClient) {}

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.client.close();
    } catch (e) {
      this.logger.warn(`Closing the ClickHouse client failed: ${(e as Error).message}`);
    }
  }
}

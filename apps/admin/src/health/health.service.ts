import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { sql, type Kysely } from 'kysely';
import { CLICKHOUSE, type ClickHouseClient } from '@switchyard/analytics';
import { runHealthChecks, type HealthReport } from '@switchyard/contracts';
import { DB, type Database } from '@switchyard/db';
import { NATS } from '@switchyard/nats';

/**
 * Readiness of the admin API. Postgres holds everything it manages, so without it the admin is
 * `unavailable` (503). ClickHouse (spend reports) and NATS (key-change notifications) down make it
 * `degraded` (200): the rest of the API still works.
 */
@Injectable()
export class HealthService {
  constructor(
    @Inject(DB) private readonly db: Kysely<Database>,
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {}

  async readiness(): Promise<HealthReport> {
    const checks = await runHealthChecks({
      postgres: async () => {
        await sql`select 1`.execute(this.db);
      },
      clickhouse: async () => {
        const r = await this.clickhouse.ping();
        if (!r.success) throw r.error;
      },
      nats: async () => {
        if (this.nc.isClosed()) throw new Error('connection closed');
        await this.nc.flush();
      },
    });
    const status: HealthReport['status'] =
      checks.postgres.status === 'down'
        ? 'unavailable'
        : Object.values(checks).some((c) => c.status === 'down')
          ? 'degraded'
          : 'ok';
    return { status, checks };
  }
}

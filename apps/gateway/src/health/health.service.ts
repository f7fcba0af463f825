import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { sql, type Kysely } from 'kysely';
import { runHealthChecks, type HealthReport } from '@switchyard/contracts';
import { DB, type Database } from '@switchyard/db';
import { NATS } from '@switchyard/nats';
import { KeyCacheService } from '../auth/key-cache.service';

/**
 * Readiness of the gateway. NATS is required: every request and usage event crosses it. Postgres is only
 * read on a key-cache miss, so while it is down the gateway still serves the keys it holds and reports
 * `degraded` (200); with Postgres down and no key to serve it is `unavailable` (503).
 */
@Injectable()
export class HealthService {
  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(DB) private readonly db: Kysely<Database>,
    @Inject(KeyCacheService) private readonly keys: KeyCacheService,
  ) {}

  async readiness(): Promise<HealthReport> {
    const checks = await runHealthChecks({
      nats: async () => {
        if (this.nc.isClosed()) throw new Error('connection closed; check NATS_URL');
        // A round trip to the server: waits (and times out) while the client is reconnecting.
        await this.nc.flush();
      },
      postgres: async () => {
        await sql`select 1`.execute(this.db);
      },
    });
    if (checks.postgres.status === 'down') checks.postgres.detail += '; check DATABASE_URL';
    const servable = this.keys.servableKeys();
    checks.keyCache = { status: 'up', detail: `${servable} key(s) servable without Postgres`, ms: 0 };
    let status: HealthReport['status'] = 'ok';
    if (checks.nats.status === 'down') status = 'unavailable';
    else if (checks.postgres.status === 'down') status = servable > 0 ? 'degraded' : 'unavailable';
    return { status, checks };
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { sql, type Kysely } from 'kysely';
import { DB, type Database } from '@switchyard/db';
import { NATS } from '@switchyard/nats';

export interface HealthReport {
  status: 'ok' | 'unavailable';
  checks: Record<string, 'ok' | string>;
}

/** Ready means: NATS connected (requests and usage events flow) and Postgres answers (key lookups). */
@Injectable()
export class HealthService {
  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(DB) private readonly db: Kysely<Database>,
  ) {}

  async check(): Promise<HealthReport> {
    const checks: HealthReport['checks'] = {};
    checks.nats = this.nc.isClosed() ? 'down: connection closed; check NATS_URL' : 'ok';
    checks.postgres = await withTimeout(sql`select 1`.execute(this.db), 2000).then(
      () => 'ok',
      (e: Error) => `down: ${e.message}; check DATABASE_URL`,
    );
    const status = Object.values(checks).every((c) => c === 'ok') ? 'ok' : 'unavailable';
    return { status, checks };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref()),
  ]);
}

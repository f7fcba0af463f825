import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { sql, type Kysely } from 'kysely';
import { CLICKHOUSE, type ClickHouseClient } from '@switchyard/analytics';
import { DB, type Database } from '@switchyard/db';
import { NATS } from '@switchyard/nats';

const CHECK_TIMEOUT_MS = 2000;

export interface HealthReport {
  status: 'ok' | 'unavailable';
  down?: string[];
  details?: Record<string, string>;
}

async function within(ms: number, check: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

@Injectable()
export class HealthService {
  constructor(
    @Inject(DB) private readonly db: Kysely<Database>,
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {}

  async check(): Promise<HealthReport> {
    const checks: Record<string, () => Promise<void>> = {
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
    };
    const details: Record<string, string> = {};
    await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await within(CHECK_TIMEOUT_MS, check);
        } catch (e) {
          details[name] = (e as Error)?.message?.slice(0, 200) ?? 'unreachable';
        }
      }),
    );
    const down = Object.keys(details).sort();
    return down.length ? { status: 'unavailable', down, details } : { status: 'ok' };
  }
}

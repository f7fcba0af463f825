import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { analyticsError, createAnalyticsClient, type AnalyticsOptions } from './analytics-client';
import { lit, sql, type SqlFragment } from './sql-literal';
import {
  createUsageRollupBuckets,
  createUsageRollupRuns,
  createUsageRollups,
  createUsageSeenHours,
  createUsageSeenHoursView,
} from './usage-rollups';

export interface AnalyticsMigration {
  /** Unique, ordered name: NNNN_description. Never rename or edit one that shipped: add a new one. */
  name: string;
  /** Statements run one by one (the HTTP interface takes one per request). Each must be idempotent. */
  statements: (db: SqlFragment) => SqlFragment[];
  /**
   * An error of one of its statements that means the statement already took effect (ClickHouse 18.16 has no
   * `ADD COLUMN IF NOT EXISTS`, so an ALTER run twice by two concurrent migrators fails with "already exists").
   */
  alreadyApplied?: RegExp;
  /**
   * A query answering one row with `n > 0` when the migration's effect is already there (a migrator that
   * stopped between its statements, or a concurrent one, did the work): its statements are then skipped and
   * it is recorded. For migrations whose statements cannot all be made idempotent (a table swap by RENAME).
   */
  appliedWhen?: (db: SqlFragment) => SqlFragment;
}

/**
 * Usage rows, one per client request. ReplacingMergeTree over (team_id, requested_model, request_id): a
 * redelivered event produces the same key and collapses; readers use FINAL so a not-yet-merged duplicate
 * is never counted twice. `date` (from ts) partitions by month, so duplicates always share a partition.
 *
 * There is deliberately no SummingMergeTree daily rollup: a materialized view sees every inserted block,
 * including redeliveries, and would count them twice. Daily spend is computed from `usage FINAL`.
 */
const createUsage = (db: SqlFragment) => sql`
CREATE TABLE IF NOT EXISTS ${db}.usage (
  request_id String,
  ts DateTime('UTC'),
  date Date,
  org_id String,
  team_id String,
  user_id String,
  key_id String,
  end_user String,
  tags Array(String),
  requested_model String,
  deployment_id String,
  provider String,
  upstream_model String,
  status UInt16,
  error_type String,
  prompt_tokens UInt64,
  completion_tokens UInt64,
  cached_tokens UInt64,
  reasoning_tokens UInt64,
  cost_nanos Int64,
  latency_ms UInt32,
  ttft_ms Nullable(UInt32),
  stream UInt8,
  cache_hit UInt8,
  fallback_depth UInt8,
  inserted_at DateTime('UTC'),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(date)
ORDER BY (team_id, requested_model, request_id)`;

/** The usage columns of migrations 0001 and 0002, in order: what 0003 copies into the rebuilt table. */
const USAGE_V2_COLUMNS = sql`request_id, ts, date, org_id, team_id, user_id, key_id, end_user, tags, requested_model,
  deployment_id, provider, upstream_model, status, error_type, prompt_tokens, completion_tokens, cached_tokens,
  reasoning_tokens, cost_nanos, latency_ms, ttft_ms, stream, cache_hit, fallback_depth, inserted_at, version,
  usage_estimated, usage_clamped`;

/**
 * The usage table from 0003 on. Sorted by (team_id, ts, request_id): a team's time range reads only its
 * granules (the old key, by model then request id, read every row of the team), and the key stays unique per
 * request so a redelivered row still collapses (ts is the gateway's receive time, carried by the event).
 * Cost is kept by part; cost_nanos is their sum plus retry_cost_nanos (earlier attempts a provider billed).
 */
const createUsageV3 = (db: SqlFragment, table: SqlFragment) => sql`
CREATE TABLE IF NOT EXISTS ${db}.${table} (
  request_id String,
  ts DateTime('UTC'),
  date Date,
  org_id String,
  team_id String,
  user_id String,
  key_id String,
  end_user String,
  tags Array(String),
  requested_model String,
  deployment_id String,
  provider String,
  upstream_model String,
  status UInt16,
  error_type String,
  prompt_tokens UInt64,
  completion_tokens UInt64,
  cached_tokens UInt64,
  reasoning_tokens UInt64,
  cost_nanos Int64,
  latency_ms UInt32,
  ttft_ms Nullable(UInt32),
  stream UInt8,
  cache_hit UInt8,
  fallback_depth UInt8,
  inserted_at DateTime('UTC'),
  version UInt64,
  usage_estimated UInt8 DEFAULT 0,
  usage_clamped UInt8 DEFAULT 0,
  cache_write_tokens UInt64 DEFAULT 0,
  input_cost_nanos Int64 DEFAULT 0,
  cached_cost_nanos Int64 DEFAULT 0,
  cache_write_cost_nanos Int64 DEFAULT 0,
  output_cost_nanos Int64 DEFAULT 0,
  reasoning_cost_nanos Int64 DEFAULT 0,
  other_cost_nanos Int64 DEFAULT 0,
  retry_cost_nanos Int64 DEFAULT 0,
  billed_attempts UInt8 DEFAULT 0,
  unpriced UInt8 DEFAULT 0,
  price_source String DEFAULT '',
  priced_as String DEFAULT '',
  catalogue_version String DEFAULT ''
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(date)
ORDER BY (team_id, ts, request_id)`;

/**
 * Where each request's row is: request id → (team, ts), the usage table's sort key, so GET /v1/generation
 * and the logs find a request by id through two primary-key lookups instead of a full scan (ClickHouse 18.16
 * has no skip indexes). Filled by a materialized view on every insert into usage; redeliveries collapse.
 */
const createUsageByRequest = (db: SqlFragment) => sql`
CREATE TABLE IF NOT EXISTS ${db}.usage_by_request (
  request_id String,
  team_id String,
  ts DateTime('UTC'),
  key_id String,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY tuple()
ORDER BY request_id`;

const MIGRATIONS: AnalyticsMigration[] = [
  { name: '0001_usage', statements: (db) => [createUsage(db)] },
  {
    // Usage counts that are estimates (the upstream reported none) or were brought into range (it reported
    // an absurd one), so analytics can tell them from reported counts.
    name: '0002_usage_flags',
    statements: (db) => [
      sql`ALTER TABLE ${db}.usage ADD COLUMN usage_estimated UInt8 DEFAULT 0`,
      sql`ALTER TABLE ${db}.usage ADD COLUMN usage_clamped UInt8 DEFAULT 0`,
    ],
    alreadyApplied: /DUPLICATE_COLUMN|Code: 44\b|column with this name already exists/,
  },
  {
    // The usage table rebuilt with a sort key that includes time and the cost's parts; a request findable by id.
    name: '0003_usage_by_time_cost_parts',
    statements: (db) => [
      createUsageV3(db, sql`usage_v3`),
      sql`INSERT INTO ${db}.usage_v3 (${USAGE_V2_COLUMNS}) SELECT ${USAGE_V2_COLUMNS} FROM ${db}.usage`,
      sql`RENAME TABLE ${db}.usage TO ${db}.usage_v2_retired, ${db}.usage_v3 TO ${db}.usage`,
    ],
    // A rerun after the RENAME must not copy the new table into a fresh usage_v3 and swap again.
    appliedWhen: (db) =>
      sql`SELECT count() AS n FROM system.columns
WHERE database = ${lit.string(db.text)} AND table = 'usage' AND name = 'catalogue_version'`,
  },
  {
    name: '0004_usage_by_request',
    statements: (db) => [
      createUsageByRequest(db),
      sql`CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.usage_by_request_mv TO ${db}.usage_by_request
AS SELECT request_id, team_id, ts, key_id, version FROM ${db}.usage`,
      // Rows inserted before the view existed; a row the view also wrote collapses with this copy.
      sql`INSERT INTO ${db}.usage_by_request SELECT request_id, team_id, ts, key_id, version FROM ${db}.usage`,
    ],
  },
  {
    // Hourly and daily rollups, filled by the analytics.rollup job (its first run rolls up the rows already
    // there); the hours each insert touched, so late rows get their buckets recomputed. See usage-rollups.ts.
    name: '0005_usage_rollups',
    statements: (db) => [
      createUsageRollups(db),
      createUsageRollupBuckets(db),
      createUsageRollupRuns(db),
      createUsageSeenHours(db),
      createUsageSeenHoursView(db),
    ],
  },
  {
    // Why each answer ended (GET /v1/generation's finish_reason, the logs). Independent of every other
    // migration after 0004 (0005 may land before or after it): it only adds a column to usage.
    name: '0006_usage_finish_reason',
    statements: (db) => [sql`ALTER TABLE ${db}.usage ADD COLUMN finish_reason String DEFAULT ''`],
    alreadyApplied: /DUPLICATE_COLUMN|Code: 44\b|column with this name already exists/,
  },
];

/**
 * In name order, whatever order branches added them in: migrations from parallel work (0005_x, 0006_y) are
 * applied in name order on a fresh database, and each one not yet recorded is applied on an existing one.
 */
export const ANALYTICS_MIGRATIONS: readonly AnalyticsMigration[] = [...MIGRATIONS].sort((a, b) =>
  a.name.localeCompare(b.name),
);

const MIGRATIONS_TABLE = 'schema_migrations';
// Checksums are over the SQL with a fixed database placeholder, so one migration has one checksum everywhere.
const CHECKSUM_DB = lit.ident('__database__');

export function migrationChecksum(m: AnalyticsMigration): string {
  const text = m
    .statements(CHECKSUM_DB)
    .map((s) => s.text.trim())
    .join(';\n');
  return createHash('sha256').update(text).digest('hex');
}

async function appliedMigrations(client: ClickHouseClient, db: SqlFragment): Promise<Map<string, string>> {
  const rs = await client.query({
    query: sql`SELECT name, checksum FROM ${db}.${lit.ident(MIGRATIONS_TABLE)} FINAL ORDER BY name`.text,
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ name: string; checksum: string }>();
  return new Map(rows.map((r) => [r.name, r.checksum]));
}

async function alreadyThere(client: ClickHouseClient, query: SqlFragment): Promise<boolean> {
  const rs = await client.query({ query: query.text, format: 'JSONEachRow' });
  const rows = await rs.json<{ n: string | number }>();
  return Number(rows[0]?.n ?? 0) > 0;
}

/**
 * Creates the database if missing and applies pending migrations in order, recording each (name,
 * checksum, applied_at) in `schema_migrations`. An applied migration whose checksum changed is an error:
 * shipped migrations are never edited. Safe to run twice, and concurrently (every statement is IF NOT
 * EXISTS and the record table collapses duplicates). Works on ClickHouse 18.16 and current versions.
 */
export async function migrateAnalytics(opts: AnalyticsOptions, log: (line: string) => void = () => {}): Promise<void> {
  const db = lit.ident(opts.database);
  const client = createAnalyticsClient(opts);
  let step = 'connect';
  try {
    step = 'CREATE DATABASE';
    await client.command({ query: sql`CREATE DATABASE IF NOT EXISTS ${db}`.text });
    step = `create ${MIGRATIONS_TABLE}`;
    await client.command({
      query: sql`CREATE TABLE IF NOT EXISTS ${db}.${lit.ident(MIGRATIONS_TABLE)} (
  name String,
  checksum String,
  applied_at DateTime('UTC')
) ENGINE = ReplacingMergeTree() ORDER BY name`.text,
    });
    step = `read ${MIGRATIONS_TABLE}`;
    const applied = await appliedMigrations(client, db);
    const known = new Set(ANALYTICS_MIGRATIONS.map((m) => m.name));
    for (const name of applied.keys()) {
      if (!known.has(name))
        log(
          `clickhouse ${opts.database}: migration ${name} is applied but unknown to this version (newer code ran here?)`,
        );
    }
    let count = 0;
    for (const m of ANALYTICS_MIGRATIONS) {
      const checksum = migrationChecksum(m);
      const recorded = applied.get(m.name);
      if (recorded !== undefined) {
        if (recorded !== checksum) {
          throw new Error(
            `ClickHouse migration ${m.name} in database ${opts.database} was applied with checksum ${recorded.slice(0, 12)}… but the code now has ${checksum.slice(0, 12)}…. ` +
              'Applied migrations must not change: restore the original and add a new migration instead.',
          );
        }
        continue;
      }
      step = `migration ${m.name}`;
      const done = m.appliedWhen ? await alreadyThere(client, m.appliedWhen(db)) : false;
      for (const statement of done ? [] : m.statements(db)) {
        try {
          await client.command({ query: statement.text });
        } catch (e) {
          if (!(m.alreadyApplied?.test(e instanceof Error ? e.message : String(e)) ?? false)) throw e;
        }
      }
      step = `record migration ${m.name}`;
      await client.insert({
        table: `${opts.database}.${MIGRATIONS_TABLE}`,
        values: [{ name: m.name, checksum, applied_at: Math.floor(Date.now() / 1000) }],
        format: 'JSONEachRow',
      });
      log(`clickhouse ${opts.database}: applied ${m.name}`);
      count++;
    }
    log(`clickhouse ${opts.database}: ${count === 0 ? 'up to date' : `${count} migration(s) applied`}`);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('ClickHouse migration')) throw e;
    throw analyticsError(`migration (${step})`, opts.database, e);
  } finally {
    await client.close();
  }
}

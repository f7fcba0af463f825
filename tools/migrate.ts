/**
 * Runs the Postgres and ClickHouse migrations against the databases named by the environment
 * (DATABASE_URL, CLICKHOUSE_URL, CLICKHOUSE_DATABASE, ...). Both are idempotent and create the database if needed.
 *
 *   node dist/tools/migrate.js [--only postgres|clickhouse]
 */
import { migrateAnalytics } from '@switchyard/analytics';
import { loadEnv, redactUrl } from '@switchyard/config';
import { migrateDatabase } from '@switchyard/db';

type Target = 'postgres' | 'clickhouse';
const TARGETS: readonly Target[] = ['postgres', 'clickhouse'];

function parseArgs(argv: string[]): Target[] {
  const i = argv.indexOf('--only');
  if (i === -1) {
    const unknown = argv.filter((a) => a.startsWith('-'));
    if (unknown.length > 0)
      throw new Error(`Unknown option ${unknown[0]}. Usage: migrate [--only postgres|clickhouse]`);
    return [...TARGETS];
  }
  const value = argv[i + 1];
  if (value !== 'postgres' && value !== 'clickhouse') {
    throw new Error(`--only takes "postgres" or "clickhouse", got ${value === undefined ? 'nothing' : `"${value}"`}.`);
  }
  return [value];
}

async function main(): Promise<void> {
  const targets = parseArgs(process.argv.slice(2));
  const env = loadEnv();
  const log = (line: string): void => console.log(`    ${line}`);

  if (targets.includes('postgres')) {
    console.log(`==> Postgres migrations on ${redactUrl(env.DATABASE_URL)}`);
    try {
      await migrateDatabase(env.DATABASE_URL, log);
    } catch (e) {
      throw new Error(
        `Postgres migrations failed: ${(e as Error).message}\n` +
          'Check that Postgres answers at DATABASE_URL (bash tools/start.sh starts one) and that the user may create databases.',
      );
    }
  }
  if (targets.includes('clickhouse')) {
    console.log(`==> ClickHouse migrations on ${redactUrl(env.CLICKHOUSE_URL)} database ${env.CLICKHOUSE_DATABASE}`);
    try {
      await migrateAnalytics(
        {
          url: env.CLICKHOUSE_URL,
          database: env.CLICKHOUSE_DATABASE,
          username: env.CLICKHOUSE_USER,
          password: env.CLICKHOUSE_PASSWORD,
        },
        log,
      );
    } catch (e) {
      throw new Error(
        `ClickHouse migrations failed: ${(e as Error).message}\n` +
          'Check that ClickHouse answers at CLICKHOUSE_URL (curl $CLICKHOUSE_URL/ping) and CLICKHOUSE_USER/CLICKHOUSE_PASSWORD.',
      );
    }
  }
  console.log('==> Migrations done');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`!!  ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);

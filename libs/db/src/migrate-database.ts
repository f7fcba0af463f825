import { Migrator } from 'kysely';
import { Client } from 'pg';
import { createDb, redactDatabaseUrl } from './create-db';
import { migrations } from './migrations';

/** A database name is an identifier we must quote into CREATE DATABASE, so it is held to a strict shape. */
export const DATABASE_NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/;

/** Arbitrary but fixed: every Switchyard process migrating the same database serialises on it. */
const MIGRATION_LOCK_ID = 7_265_431_001;

export function databaseNameOf(databaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error('DATABASE_URL is not a valid URL; use postgres://user[:password]@host:port/database.');
  }
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!DATABASE_NAME_PATTERN.test(name)) {
    throw new Error(
      `Database name "${name}" in DATABASE_URL is not allowed: use 1-63 letters, digits or '_', starting with a letter or '_'.`,
    );
  }
  return name;
}

async function connectClient(databaseUrl: string): Promise<Client> {
  const client = new Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    throw new Error(
      `Cannot connect to Postgres at ${redactDatabaseUrl(databaseUrl)}: ${(e as Error).message}. Start Postgres or fix DATABASE_URL.`,
    );
  }
  return client;
}

async function ensureDatabase(databaseUrl: string, name: string, log: (line: string) => void): Promise<void> {
  const adminUrl = new URL(databaseUrl);
  adminUrl.pathname = '/postgres';
  const client = await connectClient(adminUrl.toString());
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return;
    try {
      // Safe to quote: the name matched DATABASE_NAME_PATTERN.
      await client.query(`CREATE DATABASE "${name}"`);
      log(`created database ${name}`);
    } catch (e) {
      // Another process created it between our check and our CREATE: that is what we wanted.
      const code = (e as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw e;
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Creates the database if it does not exist, then applies pending migrations while holding a
 * session-level advisory lock, so concurrent callers (several services booting at once) apply each
 * migration exactly once. Idempotent.
 */
export async function migrateDatabase(
  databaseUrl: string,
  log: (line: string) => void = () => undefined,
): Promise<void> {
  const name = databaseNameOf(databaseUrl);
  await ensureDatabase(databaseUrl, name, log);
  const lock = await connectClient(databaseUrl);
  const db = createDb(databaseUrl, { max: 2 });
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const { error, results } = await migrator.migrateToLatest();
    for (const r of results ?? []) {
      if (r.status === 'Success') log(`applied migration ${r.migrationName}`);
      else if (r.status === 'Error') log(`migration ${r.migrationName} failed`);
    }
    if (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`Postgres migration of ${name} failed: ${message}. Fix the cause and run the migration again.`);
    }
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await lock.end().catch(() => undefined);
    await db.destroy();
  }
}

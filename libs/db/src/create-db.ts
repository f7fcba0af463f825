import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import { redactUrl } from '@switchyard/config';
import type { Database } from './database.types';

/** A pooled Kysely instance. Call `destroy()` when done (DbModule does it on shutdown). */
export function createDb(databaseUrl: string, opts: { max?: number } = {}): Kysely<Database> {
  const pool = new Pool({ connectionString: databaseUrl, max: opts.max ?? 10 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** The URL without its password, for messages (the shared redactUrl of @switchyard/config). */
export function redactDatabaseUrl(databaseUrl: string): string {
  return redactUrl(databaseUrl);
}

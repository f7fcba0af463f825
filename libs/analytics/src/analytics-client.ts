import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';

export interface AnalyticsOptions {
  /** HTTP URL of ClickHouse, e.g. http://127.0.0.1:8123 (CLICKHOUSE_URL). */
  url: string;
  /** Database holding Switchyard's tables (CLICKHOUSE_DATABASE). */
  database: string;
  username?: string;
  password?: string;
}

export type { ClickHouseClient };

/**
 * A client for Switchyard's analytics. It is not bound to the database (which may not exist yet when
 * migrations run): every query names `database.table` explicitly.
 */
export function createAnalyticsClient(
  opts: Pick<AnalyticsOptions, 'url' | 'username' | 'password'> & { requestTimeoutMs?: number },
): ClickHouseClient {
  return createClient({
    url: opts.url,
    username: opts.username ?? 'default',
    password: opts.password ?? '',
    request_timeout: opts.requestTimeoutMs ?? 30_000,
    application: `switchyard-${process.env.SWITCHYARD_SERVICE ?? 'analytics'}`,
    // The client's own logger prints a multi-line dump per failed request; every failure reaches our code
    // as an error, which logs it once, in one line (see conciseClickHouseError).
    log: { level: ClickHouseLogLevel.OFF },
  });
}

/** The URL without credentials, for error messages: the one helper every service uses. */
export { redactUrl } from '@switchyard/config';

/** Wraps a ClickHouse failure in an error that says what failed and what to check. Never swallows. */
export function analyticsError(action: string, database: string, cause: unknown): Error {
  const message = cause instanceof Error ? cause.message : String(cause);
  let hint = 'Check that ClickHouse is running and reachable at CLICKHOUSE_URL, and its server log.';
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|socket hang up|Timeout/i.test(message)) {
    hint = 'ClickHouse did not answer: start it (see tools/) or fix CLICKHOUSE_URL.';
  } else if (/doesn't exist|does not exist|UNKNOWN_TABLE|UNKNOWN_DATABASE/i.test(message)) {
    hint = `Database "${database}" or its tables are missing: run the analytics migrations (migrateAnalytics, nx run analytics:analytics:migrate).`;
  } else if (/Authentication|password|AUTHENTICATION_FAILED|REQUIRED_PASSWORD/i.test(message)) {
    hint = 'ClickHouse refused the credentials: check CLICKHOUSE_USER and CLICKHOUSE_PASSWORD.';
  }
  const err = new Error(`ClickHouse ${action} failed (database ${database}): ${message.trim()}. ${hint}`);
  (err as Error & { cause?: unknown }).cause = cause;
  return err;
}

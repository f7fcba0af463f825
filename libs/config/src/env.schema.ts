import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Every environment variable Switchyard reads, validated once at boot. */
export const EnvSchema = z.object({
  SWITCHYARD_CONFIG: z.string().optional(),
  /** Empty counts as unset (`\${SWITCHYARD_MASTER_KEY:-}` in Compose); its strength is judged by masterKeyPolicy. */
  SWITCHYARD_MASTER_KEY: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  GATEWAY_PORT: port(4000),
  ADMIN_PORT: port(4001),
  GATEWAY_HOST: z.string().default('0.0.0.0'),
  ADMIN_HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/switchyard'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** Where alerts go when general_settings.alerting includes "webhook" (LiteLLM's variable). */
  WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  CLICKHOUSE_URL: z.string().default('http://127.0.0.1:8123'),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/)
    .default('switchyard'),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  /** Prefix of every NATS subject and stream, so stacks sharing one NATS server stay apart. */
  SWITCHYARD_NATS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,32}$/)
    .default('sy'),
  /** Prefix of every Redis key and BullMQ queue. */
  SWITCHYARD_REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_:-]{1,64}$/)
    .default('sy'),
  /**
   * Largest request body accepted. Unset: as large as one NATS message can carry (the server's
   * max_payload less room for headers; 1 MiB by default), since the body crosses NATS in one message.
   */
  SWITCHYARD_MAX_BODY_BYTES: z.coerce.number().int().positive().optional(),
  /**
   * Most answer bytes the gateway holds for one client that is not reading them; past it the request ends as
   * a 499 (`client_too_slow`) and the upstream call stops. Bounds gateway memory per slow client.
   */
  SWITCHYARD_MAX_CLIENT_BUFFER_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(8 * 1024 * 1024),
  /** Most time a client may take to send a request's headers; past it the connection gets a 408 and is closed. */
  SWITCHYARD_HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /**
   * Most time a client may take to send a whole request, headers and body (not the time to answer it); past it
   * the request gets a 408 and its connection is closed. Bounds what a stalled upload holds.
   */
  SWITCHYARD_HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** How long an idle keep-alive connection stays open between requests. */
  SWITCHYARD_HTTP_KEEPALIVE_TIMEOUT_MS: z.coerce.number().int().positive().default(65_000),
  /**
   * Most connections one client address may hold open at once (gateway and admin each); requests on the
   * connections past it get a 429 and the connection is closed. 0 = no limit (for example behind a proxy that
   * makes every client one address: bound connections there).
   */
  SWITCHYARD_MAX_CONNECTIONS_PER_CLIENT: z.coerce.number().int().min(0).default(256),
  /**
   * On SIGTERM, how long requests in progress may finish; connections still open after it (a stalled upload,
   * a long stream) are closed so the process exits.
   */
  SWITCHYARD_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /** Where the gateway forwards the admin routes it answers on its own port (/key/generate, /v1/teams, ...). */
  SWITCHYARD_ADMIN_URL: z.string().url().default('http://127.0.0.1:4001'),
  /** Identifies one process in reply subjects and logs; random when unset. */
  SWITCHYARD_INSTANCE_ID: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,64}$/)
    .optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
  /**
   * Largest size of the JetStream usage stream. Processed events leave it at once (work-queue retention), so
   * this bounds the backlog spend has not processed yet; when it is full, publishes are refused and the
   * gateway retries them (nothing is discarded to make room). JetStream reserves this much storage.
   */
  SWITCHYARD_USAGE_STREAM_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024)
    .default(1024 ** 3),
  /** How long an unprocessed usage event may wait for spend before JetStream deletes it; 0 = no limit. */
  SWITCHYARD_USAGE_STREAM_MAX_AGE_HOURS: z.coerce.number().int().min(0).default(168),
  /**
   * How long processed request ids stay in the processed_usage ledger (it recognises a redelivered event).
   * Must outlive an event's time in the stream: defaults to the stream's max age plus a day, and with no
   * stream max age the ledger is kept for good unless this is set.
   */
  SWITCHYARD_USAGE_LEDGER_RETENTION_HOURS: z.coerce.number().int().positive().optional(),
  /**
   * How long a response stored by the OpenAI Responses API (`store: true`, the default) is kept, hours: until
   * then `previous_response_id` can continue it and `GET /v1/responses/{id}` returns it; then it is deleted
   * (responses.expire-sweep). Default 720 (30 days, as OpenAI keeps them).
   */
  SWITCHYARD_RESPONSES_TTL_HOURS: z.coerce.number().int().positive().default(720),
  /**
   * Where the gateway spools usage events JetStream did not take (NATS unreachable, the stream full), to
   * replay them in order when it is back. One file per NATS prefix and instance id; keep it on a disk that
   * survives a restart of the gateway.
   */
  SWITCHYARD_USAGE_SPOOL_DIR: z.string().min(1).default('.data/usage-spool'),
  /**
   * The most one request reserves against a budget before it runs (USD): its worst-case cost (prompt estimate plus
   * max_tokens, or the model's maximum output) is capped at this, so a request that really costs more can take a
   * budget past its limit by the difference. Decimal, at most 9 places.
   */
  SWITCHYARD_BUDGET_RESERVATION_MAX_USD: z
    .string()
    .regex(/^\d{1,9}(\.\d{1,9})?$/, 'must be a decimal number of USD, like 5 or 0.25')
    .default('5'),
  /**
   * A budget reservation or parallel-request slot whose settlement never comes (usage event lost, gateway killed
   * mid-request) stops counting after this many seconds: longer than any request and the spend service's lag.
   */
  SWITCHYARD_LIMIT_HOLD_TTL_S: z.coerce.number().int().min(10).default(900),
  /**
   * Failed authentications (unknown, revoked or blocked keys) one client address may make per minute on one gateway
   * instance; past it, its requests get 429 before any key lookup until the minute ends. 0 turns it off.
   */
  SWITCHYARD_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(0).default(300),
  /**
   * The server secret virtual keys are stored under (HMAC-SHA256). Unset: derived from the master key, so rotating
   * the master key would invalidate every virtual key; set it (at least 16 characters) in production. Changing it
   * invalidates every virtual key too.
   */
  SWITCHYARD_KEY_HASH_SECRET: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16).optional()),
});
export type Env = z.infer<typeof EnvSchema>;

/** Margin the ledger keeps beyond the stream's max age, for clock skew and a delivery in flight at expiry. */
export const USAGE_LEDGER_MARGIN_HOURS = 24;

/** Hours the processed_usage ledger keeps a request id, or undefined to keep them all (no stream max age). */
export function usageLedgerRetentionHours(env: Env): number | undefined {
  if (env.SWITCHYARD_USAGE_LEDGER_RETENTION_HOURS !== undefined) return env.SWITCHYARD_USAGE_LEDGER_RETENTION_HOURS;
  if (env.SWITCHYARD_USAGE_STREAM_MAX_AGE_HOURS === 0) return undefined;
  return env.SWITCHYARD_USAGE_STREAM_MAX_AGE_HOURS + USAGE_LEDGER_MARGIN_HOURS;
}

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.superRefine((env, ctx) => {
    if (env.SWITCHYARD_HTTP_HEADERS_TIMEOUT_MS > env.SWITCHYARD_HTTP_REQUEST_TIMEOUT_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['SWITCHYARD_HTTP_HEADERS_TIMEOUT_MS'],
        message: `must be at most SWITCHYARD_HTTP_REQUEST_TIMEOUT_MS (${env.SWITCHYARD_HTTP_REQUEST_TIMEOUT_MS}): the request timeout covers the headers too`,
      });
    }
    const ledger = env.SWITCHYARD_USAGE_LEDGER_RETENTION_HOURS;
    const stream = env.SWITCHYARD_USAGE_STREAM_MAX_AGE_HOURS;
    if (ledger !== undefined && stream > 0 && ledger <= stream) {
      ctx.addIssue({
        code: 'custom',
        path: ['SWITCHYARD_USAGE_LEDGER_RETENTION_HOURS'],
        message: `must be more than SWITCHYARD_USAGE_STREAM_MAX_AGE_HOURS (${stream}): a usage event can be redelivered as long as it is in the stream, and the ledger is what recognises it`,
      });
    }
  }).safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}\nFix these variables and start again.`);
  }
  return parsed.data;
}

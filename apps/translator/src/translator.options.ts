/** Translator tuning, read once at boot from the environment. */
export interface TranslatorOptions {
  /**
   * Max sockets per deployment (undici Pool `connections`): each deployment has its own pool, even when
   * several share an origin, so one that hangs holds only its own sockets. Env SWITCHYARD_UPSTREAM_CONNECTIONS,
   * default 128.
   */
  upstreamConnections: number;
  /**
   * How long a streamed attempt may wait for the upstream's response headers, ms: past it the attempt fails
   * as a timeout (retryable) and its socket is freed. Non-streamed answers are bounded by the request's
   * deadline only (their headers come when the whole answer is ready). Env
   * SWITCHYARD_UPSTREAM_FIRST_BYTE_TIMEOUT_MS, default 60000.
   */
  firstByteTimeoutMs: number;
  /** How long an idle upstream socket stays open for reuse, ms. Env SWITCHYARD_UPSTREAM_KEEPALIVE_MS, default 30000. */
  keepAliveMs: number;
  /** Used when a request carries no deadline header, ms. */
  defaultTimeoutMs: number;
  /**
   * Largest non-streamed answer buffered from an upstream, bytes; a larger one fails with a 502 instead
   * of filling the translator's memory. Env SWITCHYARD_MAX_RESPONSE_BYTES, default 64 MiB.
   */
  maxResponseBytes: number;
  /**
   * Attempts this translator runs at once; one more is refused at once with a retryable `overloaded` error
   * the router can act on (another translator, another deployment), instead of queueing without bound.
   * Env SWITCHYARD_TRANSLATOR_MAX_INFLIGHT, default 4096.
   */
  maxInflight: number;
}

export const TRANSLATOR_OPTIONS = Symbol('TRANSLATOR_OPTIONS');

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${name} must be a positive integer (got "${raw}"). Fix it or unset it to use ${fallback}.`);
  return n;
}

export function loadTranslatorOptions(env: NodeJS.ProcessEnv = process.env): TranslatorOptions {
  return {
    upstreamConnections: positiveInt(env, 'SWITCHYARD_UPSTREAM_CONNECTIONS', 128),
    keepAliveMs: positiveInt(env, 'SWITCHYARD_UPSTREAM_KEEPALIVE_MS', 30_000),
    firstByteTimeoutMs: positiveInt(env, 'SWITCHYARD_UPSTREAM_FIRST_BYTE_TIMEOUT_MS', 60_000),
    defaultTimeoutMs: 600_000,
    maxResponseBytes: positiveInt(env, 'SWITCHYARD_MAX_RESPONSE_BYTES', 64 * 1024 * 1024),
    maxInflight: positiveInt(env, 'SWITCHYARD_TRANSLATOR_MAX_INFLIGHT', 4096),
  };
}

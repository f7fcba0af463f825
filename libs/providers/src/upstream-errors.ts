import type { GatewayError } from '@switchyard/contracts';

/** Plain HTTP helpers every adapter's error mapping uses; nothing provider-specific lives here. */

export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Seconds to wait, from `retry-after-ms` (preferred, more precise) or `retry-after` (seconds or an
 * HTTP date). Undefined when absent or unreadable.
 */
export function parseRetryAfter(
  headers: Record<string, string | string[] | undefined>,
  now = Date.now(),
): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined && ms.trim() !== '') {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return n / 1000;
  }
  const ra = headerValue(headers, 'retry-after');
  if (ra === undefined || ra.trim() === '') return undefined;
  const seconds = Number(ra);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds : undefined;
  const at = Date.parse(ra);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

export interface UpstreamContext {
  deploymentId: string;
  provider: string;
  /** Origin only (scheme://host:port): never a path with secrets in it. */
  origin?: string;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  // undici wraps the socket error in `cause`; look a few levels down.
  for (let depth = 0; depth < 4 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isAbort(err: unknown): boolean {
  return (
    err !== null &&
    typeof err === 'object' &&
    ((err as { name?: unknown }).name === 'AbortError' || (err as { code?: unknown }).code === 'UND_ERR_ABORTED')
  );
}

/** What a client message says of the upstream: the provider only (origins and deployment ids are logged). */
function where(ctx: UpstreamContext): string {
  return `the ${ctx.provider} deployment`;
}

/** The attempt ran out of time (the request deadline or the deployment's timeout): 504, retryable. */
export function upstreamTimeout(ctx: UpstreamContext, afterMs?: number): GatewayError {
  return {
    kind: 'timeout',
    status: 504,
    type: 'api_error',
    code: 'timeout',
    param: null,
    message: `The upstream of ${where(ctx)} did not answer in time${afterMs !== undefined ? ` (${Math.round(afterMs)} ms)` : ''}. Retry later, or raise the deployment's timeout.`,
    retryable: true,
  };
}

/**
 * Maps a transport failure (no HTTP status: refused, reset, DNS, timeout, abort) to a gateway error.
 * `timedOut` tells an abort we caused by the deadline apart from other aborts.
 */
export function transportError(
  err: unknown,
  ctx: UpstreamContext,
  timedOut = false,
  /** The provider had begun its answer (headers received): the connection broke mid-body, not on the way. */
  answering = false,
): GatewayError {
  const code = errorCode(err);
  if (timedOut || (code !== undefined && TIMEOUT_CODES.has(code))) return upstreamTimeout(ctx);
  // The code only: a transport error's message can name the upstream's host and address.
  const detail = code ?? (isAbort(err) ? 'aborted' : 'connection failed');
  if (answering) {
    return {
      kind: 'upstream_5xx',
      status: 502,
      type: 'api_error',
      code: 'upstream_response_cut',
      param: null,
      message: `The answer from the upstream of ${where(ctx)} broke off part-way (${detail}). Retry the request; another deployment may serve it.`,
      retryable: true,
    };
  }
  const hint =
    code !== undefined && CONNECTION_CODES.has(code)
      ? 'The gateway operator should check that the provider is reachable; another deployment may serve the request.'
      : "Retry the request; if it keeps failing, check the provider's status.";
  return {
    kind: code !== undefined && CONNECTION_CODES.has(code) ? 'unavailable' : 'upstream_5xx',
    status: 502,
    type: 'api_error',
    code: 'upstream_unreachable',
    param: null,
    message: `Could not complete the call to the upstream of ${where(ctx)}: ${detail}. ${hint}`,
    retryable: true,
  };
}

import type { GatewayError } from '@switchyard/contracts';
import { clientMessage, upstreamOperatorError, upstreamStatusError } from '../errors/upstream-status-error';
import type { UpstreamErrorInput } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { parseRetryAfter } from '../upstream-errors';
import type { GoogleErrorBody } from './gemini.types';

/** What a Google error body says, as far as it could be read. */
export interface GoogleError {
  /** HTTP-like code from the body (`error.code`). */
  code: number | undefined;
  /** Canonical status name: INVALID_ARGUMENT, RESOURCE_EXHAUSTED, ... */
  status: string | undefined;
  message: string | undefined;
  /** google.rpc.ErrorInfo reason (API_KEY_INVALID, SERVICE_DISABLED, ...). */
  reason: string | undefined;
  /** google.rpc.RetryInfo delay, seconds. */
  retryDelay: number | undefined;
  /** The body was Google's `{"error": {...}}` envelope. */
  shaped: boolean;
}

/** "37s", "1.5s", "0.250s": a google.protobuf.Duration in JSON. */
function durationSeconds(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(v.trim());
  return m === null ? undefined : Number(m[1]);
}

/** Reads `{"error": {code, message, status, details}}`, also wrapped in an array (a JSON-array stream's error). */
export function readGoogleError(body: string): GoogleError {
  const none: GoogleError = {
    code: undefined,
    status: undefined,
    message: undefined,
    reason: undefined,
    retryDelay: undefined,
    shaped: false,
  };
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return none;
  }
  if (Array.isArray(doc)) doc = doc[0];
  const e = (doc as Partial<GoogleErrorBody> | null)?.error;
  if (e === null || typeof e !== 'object') return none;
  let reason: string | undefined;
  let retryDelay: number | undefined;
  for (const d of Array.isArray(e.details) ? e.details : []) {
    if (d === null || typeof d !== 'object') continue;
    if (reason === undefined && typeof d.reason === 'string') reason = d.reason;
    if (retryDelay === undefined) retryDelay = durationSeconds(d.retryDelay);
  }
  return {
    code: typeof e.code === 'number' ? e.code : undefined,
    status: typeof e.status === 'string' ? e.status : undefined,
    message: typeof e.message === 'string' && e.message.length > 0 ? e.message : undefined,
    reason,
    retryDelay,
    shaped: typeof e.message === 'string' || typeof e.status === 'string',
  };
}

/** "The input token count (1048677) exceeds the maximum number of tokens allowed (1048576)." */
const CONTEXT_TEXT =
  /exceeds the maximum number of tokens|input token count.*exceeds|too many tokens|context (length|window)/i;
/** Refusals of the prompt by Google's safety systems, in a 400. */
const POLICY_TEXT =
  /prohibited content|blocked (?:due to|by|for) (?:safety|the safety)|safety (?:settings|filters?) block|violates? (?:our|the) (?:policy|policies|terms)/i;
const AUTH_REASONS = new Set([
  'API_KEY_INVALID',
  'API_KEY_EXPIRED',
  'ACCESS_TOKEN_EXPIRED',
  'ACCESS_TOKEN_TYPE_UNSUPPORTED',
]);

/** The HTTP status a Google canonical status stands for (the body is read when the transport's is odd). */
const STATUS_OF: Readonly<Record<string, number>> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL: 500,
  UNKNOWN: 500,
  DATA_LOSS: 500,
  NOT_IMPLEMENTED: 501,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/**
 * Maps a Google (Gemini API / Vertex AI) error reply to the gateway's error, OpenAI-style:
 * - an invalid or expired key (a 400 INVALID_ARGUMENT with reason API_KEY_INVALID, as the Gemini API sends
 *   it), UNAUTHENTICATED 401 and PERMISSION_DENIED 403 are the deployment's credentials failing: kind
 *   `auth`, 502 `upstream_auth_failed` (the client's own key was fine), retryable on another deployment;
 * - INVALID_ARGUMENT 400 keeps the provider's message; a prompt over the context window is
 *   `context_length_exceeded` (kind context_window) and a safety refusal `content_policy_violation`;
 * - FAILED_PRECONDITION (billing not enabled, a region the API does not serve) is the operator's: 502;
 * - NOT_FOUND 404, 413 as they are; RESOURCE_EXHAUSTED 429 with the retry delay (Retry-After, else the
 *   body's RetryInfo); 408 / DEADLINE_EXCEEDED 504 a timeout; UNAVAILABLE 503 (overloaded) a 503; INTERNAL
 *   and other 5xx a 502.
 */
export function normaliseGoogleError(
  reply: UpstreamErrorInput,
  deployment: Pick<ProviderDeployment, 'modelName'>,
  provider = 'gemini',
): GatewayError {
  const g = readGoogleError(reply.body);
  const status =
    reply.status >= 400 ? reply.status : g.status !== undefined ? (STATUS_OF[g.status] ?? 500) : (g.code ?? 500);
  const message = clientMessage(g.message);
  const dep = `model '${deployment.modelName}'`;

  const keyRefused =
    (g.reason !== undefined && AUTH_REASONS.has(g.reason)) ||
    g.status === 'UNAUTHENTICATED' ||
    g.status === 'PERMISSION_DENIED';
  const statusSays = status === 401 || status === 403 || status === 429;
  if (g.status === 'FAILED_PRECONDITION' && !keyRefused && !statusSays) {
    return upstreamOperatorError({
      kind: 'unavailable',
      code: 'upstream_unavailable',
      message: `The provider refused ${dep}${message ? `: ${message}` : '.'} The gateway operator should check the deployment's provider account`,
    });
  }
  const text = g.message ?? '';
  // Google's own wording for a prompt over the window and for a safety refusal, in a 400.
  const kind = CONTEXT_TEXT.test(text) ? 'context_window' : POLICY_TEXT.test(text) ? 'content_policy' : undefined;
  return upstreamStatusError({
    status,
    // Google's canonical status says more than the transport's (an invalid key comes as a 400).
    typeStatus: keyRefused
      ? 401
      : statusSays
        ? undefined
        : g.status === 'RESOURCE_EXHAUSTED'
          ? 429
          : g.status === 'DEADLINE_EXCEEDED'
            ? 504
            : g.status === 'UNAVAILABLE' && status >= 500 && status !== 504
              ? 503
              : undefined,
    model: deployment.modelName,
    message,
    hint: { message: text, shaped: g.shaped },
    kind:
      status >= 400 && status < 500 && status !== 413
        ? (kind ?? (status === 404 ? 'not_found' : 'bad_request'))
        : undefined,
    retryAfter: parseRetryAfter(reply.headers) ?? g.retryDelay,
    credentials: {
      who: `The provider (${provider})`,
      detail: g.reason ?? `HTTP ${status}`,
      check:
        provider === 'vertex_ai'
          ? "the deployment's service account and its access to the project"
          : "the deployment's api_key",
    },
    notTheApi: "a Google API error, so the deployment's URL does not lead to the API",
    unavailableCode: 'upstream_unavailable',
    clientErrorsAs400: kind !== undefined,
    rejection: kind === 'context_window' ? { param: 'messages' } : undefined,
  });
}

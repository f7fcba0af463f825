import type { GatewayError } from '@switchyard/contracts';
import { classifyUpstream } from '../errors/error-classifier';
import { redactKeyShapes } from '../errors/secret-redaction';
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

const MAX_CLIENT_MESSAGE = 1000;

/** The provider's message, keys masked and bounded (the translator also masks configured secrets by value). */
function clientMessage(message: string | undefined): string | undefined {
  if (message === undefined) return undefined;
  const m = redactKeyShapes(message);
  return m.length > MAX_CLIENT_MESSAGE ? `${m.slice(0, MAX_CLIENT_MESSAGE)}…` : m;
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
  const retryAfter = parseRetryAfter(reply.headers) ?? g.retryDelay;
  const withRetry = retryAfter !== undefined ? { retryAfter } : {};

  const keyRefused =
    (g.reason !== undefined && AUTH_REASONS.has(g.reason)) ||
    g.status === 'UNAUTHENTICATED' ||
    g.status === 'PERMISSION_DENIED' ||
    status === 401 ||
    status === 403;
  if (keyRefused) {
    return {
      kind: 'auth',
      status: 502,
      type: 'api_error',
      code: 'upstream_auth_failed',
      param: null,
      message: `The provider (${provider}) rejected the gateway's credentials for ${dep}${g.reason ? ` (${g.reason})` : ` with HTTP ${status}`}. The gateway operator should check the deployment's ${provider === 'vertex_ai' ? 'service account and its access to the project' : 'api_key'}; another deployment may serve the request.`,
      retryable: true,
    };
  }
  if (status === 429 || g.status === 'RESOURCE_EXHAUSTED') {
    return {
      kind: 'rate_limited',
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      param: null,
      message: message ?? `The provider of ${dep} is rate limiting requests. Retry after a short wait.`,
      ...withRetry,
      retryable: true,
    };
  }
  if (g.status === 'FAILED_PRECONDITION') {
    return {
      kind: 'unavailable',
      status: 502,
      type: 'api_error',
      code: 'upstream_unavailable',
      param: null,
      message: `The provider refused ${dep}${message ? `: ${message}` : '.'} The gateway operator should check the deployment's provider account; another deployment may serve the request.`,
      retryable: true,
    };
  }
  if (status === 408 || status === 504 || g.status === 'DEADLINE_EXCEEDED') {
    return {
      kind: 'timeout',
      status: 504,
      type: 'api_error',
      code: 'timeout',
      param: null,
      message: message ?? `The provider of ${dep} timed out. Retry the request.`,
      retryable: true,
    };
  }
  if (status >= 500) {
    const kind = classifyUpstream(status, { message: g.message ?? '' });
    const unavailable = status === 503 || g.status === 'UNAVAILABLE';
    return {
      kind,
      status: unavailable ? 503 : 502,
      type: 'api_error',
      code: unavailable ? 'upstream_unavailable' : 'upstream_error',
      param: null,
      // A server error's text describes the provider's insides, not the request; Google's are generic.
      message: unavailable
        ? `The provider of ${dep} is unavailable${message ? ` (${message})` : ''}. Retry later; another deployment may serve the request.`
        : `The provider of ${dep} failed with HTTP ${status}. Retry the request; another deployment may serve it.`,
      ...withRetry,
      retryable: true,
    };
  }
  if (status === 404 && !g.shaped) {
    return {
      kind: 'unavailable',
      status: 502,
      type: 'api_error',
      code: 'upstream_error',
      param: null,
      message: `The provider of ${dep} answered HTTP 404 with a body that is not a Google API error, so the deployment's URL does not lead to the API. The gateway operator should check its api_base; another deployment may serve the request.`,
      retryable: true,
    };
  }
  if (status === 413) {
    return {
      kind: 'too_large',
      status: 413,
      type: 'invalid_request_error',
      code: 'request_too_large',
      param: null,
      message: message ?? `The request is larger than the provider of ${dep} accepts. Send less.`,
      retryable: false,
    };
  }
  const text = g.message ?? '';
  if (CONTEXT_TEXT.test(text)) {
    return {
      kind: 'context_window',
      status: 400,
      type: 'invalid_request_error',
      code: 'context_length_exceeded',
      param: 'messages',
      message: message ?? `The prompt is longer than ${dep} takes.`,
      retryable: false,
    };
  }
  if (POLICY_TEXT.test(text)) {
    return {
      kind: 'content_policy',
      status: 400,
      type: 'invalid_request_error',
      code: 'content_policy_violation',
      param: null,
      message: message ?? `The provider of ${dep} refused the request under its content policy.`,
      retryable: false,
    };
  }
  return {
    kind: status === 404 ? 'not_found' : 'bad_request',
    status,
    type: 'invalid_request_error',
    code: status === 404 ? 'model_not_found' : null,
    param: null,
    message:
      message ??
      `The provider of ${dep} rejected the request with HTTP ${status}. Check the request parameters against what this model accepts.`,
    retryable: false,
  };
}

/**
 * What went wrong, in terms routing can act on (retry elsewhere, fall back to a bigger context window,
 * cool a deployment down) and every client API can render in its own envelope.
 */
export type ErrorKind =
  /** The request itself is wrong (bad JSON, a parameter the model does not take): no deployment will do better. */
  | 'bad_request'
  /** Credentials were refused: the client's key at the edge, or a deployment's provider key upstream. */
  | 'auth'
  | 'permission'
  | 'not_found'
  | 'rate_limited'
  /** The prompt does not fit the model's context window: a model with a larger one may take it. */
  | 'context_window'
  /** The provider's content filter refused the prompt or the answer. */
  | 'content_policy'
  | 'timeout'
  /** The provider failed (5xx, a broken stream, an unusable answer). */
  | 'upstream_5xx'
  /** Nothing could take the request: no service listening, the upstream unreachable, a deployment not usable. */
  | 'unavailable'
  /** Capacity: a translator at its in-flight bound, a provider saying it is overloaded. */
  | 'overloaded'
  | 'too_large'
  | 'client_disconnected'
  | 'internal';

export const ERROR_KINDS: readonly ErrorKind[] = [
  'bad_request',
  'auth',
  'permission',
  'not_found',
  'rate_limited',
  'context_window',
  'content_policy',
  'timeout',
  'upstream_5xx',
  'unavailable',
  'overloaded',
  'too_large',
  'client_disconnected',
  'internal',
];

/**
 * The one error shape every service speaks, mapped to HTTP only at the edge. Matches OpenAI's
 * `{"error": {"message", "type", "param", "code"}}` envelope.
 */
export interface GatewayError {
  status: number;
  message: string;
  type: string;
  param: string | null;
  code: string | null;
  /** Seconds before a retry may succeed (Retry-After). */
  retryAfter?: number;
  /** Whether another deployment might succeed where this one failed (used by routing). */
  retryable?: boolean;
  /**
   * The deployment cannot be called as configured (a provider without an adapter, settings that make no
   * request, an API it cannot answer in): another deployment may serve the request (`retryable`), but the
   * client retrying it fails the same way until the operator changes the config.
   */
  configFault?: boolean;
  /** What went wrong, for routing and for rendering in the client's API. */
  kind: ErrorKind;
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function errorBody(e: Pick<GatewayError, 'message' | 'type' | 'param' | 'code'>): OpenAIErrorBody {
  return { error: { message: e.message, type: e.type, param: e.param ?? null, code: e.code ?? null } };
}

/** Constructors for the errors the gateway itself raises, with OpenAI's statuses and types. */
export const Errors = {
  invalidRequest: (message: string, param: string | null = null, code: string | null = null): GatewayError => ({
    kind: 'bad_request',
    status: 400,
    message,
    type: 'invalid_request_error',
    param,
    code,
  }),
  unauthorized: (message: string): GatewayError => ({
    kind: 'auth',
    status: 401,
    message,
    type: 'invalid_request_error',
    param: null,
    code: 'invalid_api_key',
  }),
  permissionDenied: (message: string): GatewayError => ({
    kind: 'permission',
    status: 403,
    message,
    type: 'permission_error',
    param: null,
    code: null,
  }),
  modelNotFound: (model: string): GatewayError => ({
    kind: 'not_found',
    status: 404,
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
    type: 'invalid_request_error',
    param: 'model',
    code: 'model_not_found',
  }),
  notFound: (message: string): GatewayError => ({
    kind: 'not_found',
    status: 404,
    message,
    type: 'invalid_request_error',
    param: null,
    code: 'not_found',
  }),
  payloadTooLarge: (limitBytes: number): GatewayError => ({
    kind: 'too_large',
    status: 413,
    message: `Request body is larger than the limit of ${limitBytes} bytes. Send a smaller request (the limit is SWITCHYARD_MAX_BODY_BYTES, at most what one NATS message carries).`,
    type: 'invalid_request_error',
    param: null,
    code: 'request_too_large',
  }),
  rateLimited: (message: string, retryAfter?: number): GatewayError => ({
    kind: 'rate_limited',
    status: 429,
    message,
    type: 'rate_limit_error',
    param: null,
    code: 'rate_limit_exceeded',
    retryAfter,
  }),
  upstreamFailed: (message: string): GatewayError => ({
    kind: 'upstream_5xx',
    status: 502,
    message,
    type: 'api_error',
    param: null,
    code: 'upstream_error',
    retryable: true,
  }),
  unavailable: (message: string): GatewayError => ({
    kind: 'unavailable',
    status: 503,
    message,
    type: 'api_error',
    param: null,
    code: 'service_unavailable',
    retryable: true,
  }),
  timeout: (message: string): GatewayError => ({
    kind: 'timeout',
    status: 504,
    message,
    type: 'api_error',
    param: null,
    code: 'timeout',
    retryable: true,
  }),
  internal: (message: string): GatewayError => ({
    kind: 'internal',
    status: 500,
    message,
    type: 'api_error',
    param: null,
    code: 'internal_error',
  }),
} as const;

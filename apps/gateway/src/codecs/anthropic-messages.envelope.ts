import type { GatewayError } from '@switchyard/contracts';
import type { ErrorEnvelope } from './client-codec';

/**
 * Anthropic's error `type` for each HTTP status (its API reference, "HTTP errors"); any other 4xx is an
 * `invalid_request_error`, any other 5xx an `api_error`.
 */
const ANTHROPIC_ERROR_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

export function anthropicErrorType(status: number): string {
  return ANTHROPIC_ERROR_TYPES[status] ?? (status < 500 ? 'invalid_request_error' : 'api_error');
}

const ANTHROPIC_TYPES: ReadonlySet<string> = new Set(Object.values(ANTHROPIC_ERROR_TYPES));

/**
 * The status an Anthropic client gets: an overloaded provider is Anthropic's 529 (which Claude Code and the
 * SDKs retry with their own backoff), everything else keeps the gateway's status.
 */
export function anthropicStatus(e: Pick<GatewayError, 'status' | 'type' | 'kind'>): number {
  return e.kind === 'overloaded' || e.type === 'overloaded_error' ? 529 : e.status;
}

/**
 * The error object of Anthropic's envelope: the error's own type when it is one of Anthropic's specific
 * ones (overloaded_error, billing_error...), else the status's (OpenAI's generic invalid_request_error on a
 * 404 is Anthropic's not_found_error).
 */
export function anthropicError(e: GatewayError): { type: string; message: string } {
  const status = anthropicStatus(e);
  const generic = e.type === 'api_error' || e.type === 'invalid_request_error';
  const type = ANTHROPIC_TYPES.has(e.type) && !generic ? e.type : anthropicErrorType(status);
  return { type, message: e.message };
}

/**
 * The Anthropic Messages API's error envelope, `{"type":"error","error":{"type","message"}}`, at Anthropic's
 * status: what the Anthropic SDKs read the message from.
 */
export const anthropicErrorEnvelope: ErrorEnvelope = {
  errorBody: (e: GatewayError) => JSON.stringify({ type: 'error', error: anthropicError(e) }),
  statusFor: anthropicStatus,
};

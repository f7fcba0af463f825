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

/**
 * The Anthropic Messages API's error envelope, `{"type":"error","error":{"type","message"}}`: what the
 * Anthropic SDKs read the message from. Used for `/v1/messages` until that front door has its full codec.
 */
export const anthropicErrorEnvelope: ErrorEnvelope = {
  errorBody: (e: GatewayError) =>
    JSON.stringify({ type: 'error', error: { type: anthropicErrorType(e.status), message: e.message } }),
};

import type { GatewayError } from '@switchyard/contracts';
import { ProviderError } from '../provider-adapter';

/**
 * A 2xx answer the adapter cannot use (not JSON, not the API's shape, a stream event out of order): the
 * provider failed, so another deployment may do better (retryable 502). `message` says what was wrong.
 */
export function unusableAnswer(message: string): GatewayError {
  return {
    kind: 'upstream_5xx',
    status: 502,
    type: 'api_error',
    code: 'upstream_bad_response',
    param: null,
    retryable: true,
    message,
  };
}

/** unusableAnswer() as the ProviderError an adapter's parseResponse throws. */
export function badResponse(message: string): ProviderError {
  return new ProviderError(unusableAnswer(message));
}

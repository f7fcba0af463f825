import { Errors } from '@switchyard/contracts';
import { ApiException } from '../common/api.exception';

/**
 * The members of a LiteLLM request body Switchyard acts on. LiteLLM clients send many fields we do not act on;
 * only the known ones are passed on (and validated by the /v1 service they reach).
 */
export function pickLitellmFields(body: unknown, keys: string[]): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiException(Errors.invalidRequest('The request body must be a JSON object.'));
  }
  const src = body as Record<string, unknown>;
  return Object.fromEntries(keys.filter((k) => src[k] !== undefined).map((k) => [k, src[k]]));
}

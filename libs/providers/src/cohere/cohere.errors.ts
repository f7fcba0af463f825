import type { GatewayError } from '@switchyard/contracts';
import { classifyUpstream } from '../errors/error-classifier';
import { createRedactor, deploymentSecrets } from '../errors/secret-redaction';
import type { UpstreamErrorInput } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { parseRetryAfter } from '../upstream-errors';
import type { CohereErrorBody } from './cohere.types';

/** The longest provider message passed to a client. */
const MAX_CLIENT_MESSAGE = 1000;

/** Cohere's message from an error body (`{"message": ...}`, maybe with an `id`); undefined when it is not one. */
export function cohereErrorMessage(body: string): string | undefined {
  if (body.length === 0) return undefined;
  try {
    const doc = JSON.parse(body) as CohereErrorBody | null;
    const m = doc !== null && typeof doc === 'object' ? doc.message : undefined;
    return typeof m === 'string' && m.length > 0 ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Maps a non-2xx reply of Cohere's Chat API to the error the gateway reports. Cohere's message is kept for
 * what the client can act on (a 400, a 404, a 429), with the deployment's secrets and any key shape masked;
 * statuses that are the operator's (a refused key, no credit) or the provider's (5xx) get a message of
 * ours. Messages name the public model, never the deployment or its origin.
 */
export function normaliseCohereError(reply: UpstreamErrorInput, deployment: ProviderDeployment): GatewayError {
  const { status } = reply;
  const raw = cohereErrorMessage(reply.body);
  const redact = createRedactor(deploymentSecrets(deployment));
  const message =
    raw === undefined
      ? undefined
      : redact(raw.length > MAX_CLIENT_MESSAGE ? `${raw.slice(0, MAX_CLIENT_MESSAGE)}…` : raw);
  const dep = `model '${deployment.modelName}'`;
  const retryAfter = parseRetryAfter(reply.headers);

  // 498 is Cohere's "invalid token": the deployment's key, like a 401.
  if (status === 401 || status === 403 || status === 498) {
    return {
      kind: 'auth',
      status: 502,
      type: 'api_error',
      code: 'upstream_auth_failed',
      param: null,
      message: `The provider rejected the gateway's credentials for ${dep} with HTTP ${status}${message ? ` (${message})` : ''}. The gateway operator should check the deployment's api_key; another deployment may serve the request.`,
      retryable: true,
    };
  }
  if (status === 402 || (status === 404 && raw === undefined)) {
    const what =
      status === 402
        ? `The provider refused ${dep} with HTTP 402 (payment required): its account is out of credit or billing is not set up. The gateway operator should check that deployment's provider account`
        : `The provider of ${dep} answered HTTP 404 with a body that is not a Cohere API error, so the deployment's URL does not lead to Cohere's API. The gateway operator should check its api_base`;
    return {
      kind: 'unavailable',
      status: 502,
      type: 'api_error',
      code: 'upstream_error',
      param: null,
      message: `${what}; another deployment may serve the request.`,
      retryable: true,
    };
  }
  if (status === 429) {
    return {
      kind: 'rate_limited',
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      param: null,
      message: message ?? `The provider of ${dep} is rate limiting requests. Retry after a short wait.`,
      ...(retryAfter !== undefined && { retryAfter }),
      retryable: true,
    };
  }
  if (status === 408 || status === 504) {
    return {
      kind: 'timeout',
      status: 504,
      type: 'api_error',
      code: 'timeout',
      param: null,
      message: `The provider of ${dep} timed out (HTTP ${status}). Retry the request.`,
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
      message: message ?? `The request is too large for the provider of ${dep}. Send a smaller request.`,
      retryable: false,
    };
  }
  if (status === 499) {
    // Cohere's "request cancelled": not this client's doing (the translator handles a client that leaves).
    return {
      kind: 'upstream_5xx',
      status: 502,
      type: 'api_error',
      code: 'upstream_error',
      param: null,
      message: `The provider of ${dep} cancelled the request (HTTP 499). Retry the request.`,
      retryable: true,
    };
  }
  if (status >= 400 && status < 500) {
    // 400 and 422 (a body Cohere could not process), 404 (an unknown model) and the rest: the request's own.
    const kind = classifyUpstream(status === 404 ? 404 : 400, { message: raw, shaped: raw !== undefined });
    const code =
      kind === 'context_window'
        ? 'context_length_exceeded'
        : kind === 'content_policy'
          ? 'content_policy_violation'
          : status === 404
            ? 'model_not_found'
            : null;
    return {
      kind,
      status: status === 404 ? 404 : 400,
      type: 'invalid_request_error',
      code,
      param: null,
      message: message ?? `The provider of ${dep} rejected the request with HTTP ${status}.`,
      retryable: false,
    };
  }
  // A server error's text describes the provider's insides, not the request.
  return {
    kind: classifyUpstream(status, { message: raw }),
    status: 502,
    type: 'api_error',
    code: 'upstream_error',
    param: null,
    message: `The provider of ${dep} failed with HTTP ${status}. Retry the request; another deployment may serve it.`,
    ...(retryAfter !== undefined && { retryAfter }),
    retryable: true,
  };
}

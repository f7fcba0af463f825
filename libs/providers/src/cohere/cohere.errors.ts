import type { GatewayError } from '@switchyard/contracts';
import {
  clientMessage,
  deploymentRedactor,
  upstreamServerError,
  upstreamStatusError,
} from '../errors/upstream-status-error';
import type { UpstreamErrorInput } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { parseRetryAfter } from '../upstream-errors';
import type { CohereErrorBody } from './cohere.types';

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
  const message = clientMessage(raw, deploymentRedactor(deployment));
  const retryAfter = parseRetryAfter(reply.headers);
  if (status === 499) {
    // Cohere's "request cancelled": not this client's doing (the translator handles a client that leaves).
    return upstreamServerError({
      model: deployment.modelName,
      detail: 'HTTP 499 (the provider cancelled the request)',
    });
  }
  return upstreamStatusError({
    status,
    // 498 is Cohere's "invalid token": the deployment's key, like a 401.
    typeStatus: status === 498 ? 401 : undefined,
    model: deployment.modelName,
    message,
    hint: { message: raw, shaped: raw !== undefined },
    retryAfter,
    credentials: { check: "the deployment's api_key" },
    notTheApi: "a Cohere API error, so the deployment's URL does not lead to Cohere's API",
    // 422 is a body Cohere could not process: a bad request like a 400.
    clientErrorsAs400: true,
  });
}

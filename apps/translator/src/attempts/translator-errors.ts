import type { GatewayError } from '@switchyard/contracts';
import type { PreparedDeployment } from '../deployment-catalog.service';

/** What an attempt ended by a client that went away reports: nginx's "client closed request". */
export const CLIENT_DISCONNECTED: GatewayError = {
  kind: 'client_disconnected',
  status: 499,
  type: 'client_disconnected',
  code: 'client_disconnected',
  param: null,
  retryable: false,
  message: 'The client closed the connection before the answer was complete; the upstream call was stopped.',
};

/** What a bug that escaped every expected failure path reports. */
export const INTERNAL_ERROR: GatewayError = {
  kind: 'internal',
  status: 500,
  type: 'api_error',
  code: 'internal_error',
  param: null,
  retryable: true,
  message:
    'The translator failed unexpectedly while running this request. Retry it; if it keeps failing, check the translator logs.',
};

export function overloaded(limit: number): GatewayError {
  return {
    kind: 'overloaded',
    status: 503,
    type: 'api_error',
    code: 'translator_overloaded',
    param: null,
    retryable: true,
    retryAfter: 1,
    message: `The gateway is running its maximum of ${limit} provider calls at once. Retry in a moment.`,
  };
}

export function tooLarge(p: PreparedDeployment, limit: number): GatewayError {
  return {
    kind: 'upstream_5xx',
    status: 502,
    type: 'api_error',
    code: 'upstream_response_too_large',
    param: null,
    retryable: false,
    message: `The answer of model '${p.deployment.modelName}' is larger than the gateway accepts (${limit} bytes). Ask for a shorter answer (max_tokens, fewer choices) or stream it.`,
  };
}

export function badRequest(message: string): GatewayError {
  return {
    kind: 'bad_request',
    status: 400,
    type: 'invalid_request_error',
    code: null,
    param: null,
    message,
    retryable: false,
  };
}

/** The deployment's settings do not make a request (the reason is logged for the operator). */
export function misconfigured(p: PreparedDeployment): GatewayError {
  return {
    kind: 'unavailable',
    status: 502,
    type: 'api_error',
    code: 'deployment_misconfigured',
    param: null,
    retryable: true,
    configFault: true,
    message: `A deployment of model '${p.deployment.modelName}' is misconfigured and cannot be called; another deployment may serve the request. The gateway operator finds the reason in the translator's log.`,
  };
}

export function unknownDeployment(): GatewayError {
  return {
    kind: 'unavailable',
    status: 503,
    type: 'api_error',
    code: 'unknown_deployment',
    param: null,
    retryable: true,
    message: `The deployment chosen for this request is unknown to the service that calls providers (the gateway's services disagree on their config). Retry; if it persists, the gateway operator should check that every service loads the same config.`,
  };
}

export function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The client speaks an API this deployment's adapter cannot answer in (yet): another deployment may. */
export function apiMismatch(p: PreparedDeployment, clientApi: string): GatewayError {
  return {
    kind: 'unavailable',
    status: 501,
    type: 'api_error',
    code: 'client_api_not_supported',
    param: null,
    retryable: true,
    configFault: true,
    message: `A deployment of model '${p.deployment.modelName}' (${p.deployment.provider}) cannot answer requests in the ${clientApi} API yet; it speaks ${p.adapter?.api ?? 'no API'}. Use a model whose deployments support it.`,
  };
}

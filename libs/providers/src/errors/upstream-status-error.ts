import type { ErrorKind, GatewayError } from '@switchyard/contracts';
import { classifyUpstream, type UpstreamFailureHint } from './error-classifier';
import { createRedactor, deploymentSecrets, redactKeyShapes } from './secret-redaction';
import type { ProviderDeployment } from '../provider-deployment';

/**
 * The gateway's answer to an upstream's HTTP failure, for every adapter: each adapter reads its own error
 * body (its envelope, its type names) and hands what it found here, so that a 401 or a 429 looks the same
 * to a client whichever provider sent it. Messages name the public model only: deployment ids, origins and
 * environment variables are the operator's, and the translator logs them with the error's code.
 */

/** The longest provider message passed to a client. */
const MAX_CLIENT_MESSAGE = 1000;

/**
 * The provider's message as a client may see it: masked by `redact`, bounded, and none at all when it is
 * HTML (a proxy's page names internal hosts, not the request's fault).
 */
export function clientMessage(
  message: string | undefined,
  redact: (text: string) => string = redactKeyShapes,
): string | undefined {
  if (message === undefined || message === '' || /<\/?[a-z][\s\S]*>/i.test(message)) return undefined;
  const m = redact(message);
  return m.length > MAX_CLIENT_MESSAGE ? `${m.slice(0, MAX_CLIENT_MESSAGE)}…` : m;
}

/** Masks the deployment's own secrets by value (and every key shape); key shapes only when it has none. */
export function deploymentRedactor(
  deployment: ProviderDeployment,
  extraSecrets: readonly string[] = [],
): (text: string) => string {
  const secrets = [...deploymentSecrets(deployment), ...extraSecrets];
  return secrets.length > 0 ? createRedactor(secrets) : redactKeyShapes;
}

/** Context-length and content-policy refusals get OpenAI's codes, so clients branch on them as they do there. */
export function refusalCode(kind: ErrorKind): string | null {
  if (kind === 'context_window') return 'context_length_exceeded';
  if (kind === 'content_policy') return 'content_policy_violation';
  return null;
}

const dep = (model: string): string => `model '${model}'`;

/**
 * A failure that is the operator's to fix or the provider's to recover from (credentials, billing, a wrong
 * api_base, an outage): a retryable 502, so another deployment may serve the request.
 */
export function upstreamOperatorError(e: {
  kind: ErrorKind;
  code: string;
  /** What happened and what the operator should check, without the closing "another deployment may serve". */
  message: string;
}): GatewayError {
  return {
    kind: e.kind,
    status: 502,
    type: 'api_error',
    code: e.code,
    param: null,
    message: `${e.message}; another deployment may serve the request.`,
    retryable: true,
  };
}

export interface UpstreamCredentials {
  /** Who refused: "The provider", "AWS", "Vertex AI". */
  who?: string;
  /** What the operator should check: "the deployment's api_key". */
  check: string;
  /** What the refusal said (default: the HTTP status and the provider's message). */
  detail?: string;
  /** Whether the provider's message is quoted (an auth message can echo part of the key it refused). */
  quote?: boolean;
}

/** The deployment's credentials were refused (by whoever): the client's own key was fine. */
export function upstreamAuthFailed(model: string, c: UpstreamCredentials & { detail: string }): GatewayError {
  return upstreamOperatorError({
    kind: 'auth',
    code: 'upstream_auth_failed',
    message: `${c.who ?? 'The provider'} rejected the gateway's credentials for ${dep(model)} (${c.detail}). The gateway operator should check ${c.check}`,
  });
}

/** A server error of the provider: its text describes the provider's insides, not the request, so it is summarised. */
export function upstreamServerError(e: {
  model: string;
  /** "HTTP 500", "ModelErrorException: ...": what failed. */
  detail: string;
  kind?: ErrorKind;
  retryAfter?: number;
}): GatewayError {
  return {
    kind: e.kind ?? 'upstream_5xx',
    status: 502,
    type: 'api_error',
    code: 'upstream_error',
    param: null,
    message: `The provider of ${dep(e.model)} failed with ${e.detail}. Retry the request; another deployment may serve it.`,
    ...(e.retryAfter !== undefined && { retryAfter: e.retryAfter }),
    retryable: true,
  };
}

export interface UpstreamStatusInput {
  /** The HTTP status the provider answered with. */
  status: number;
  /**
   * The status the provider's own error type stands for, when it says more than the transport's (a proxy may
   * change a status, a type name stays): decides the mapping; `status` is still the one quoted.
   */
  typeStatus?: number;
  /** The public model name. */
  model: string;
  /** The provider's message, fit for a client (see clientMessage), if it sent one. */
  message?: string;
  /** What classifies the failure (the raw message, the provider's code and type); `shaped` is read from it. */
  hint: UpstreamFailureHint;
  /** The kind, when the adapter knows better than the shared classifier (its own context-window wording...). */
  kind?: ErrorKind;
  retryAfter?: number;
  /** Appended to summarised messages: " (Anthropic request id req_…)". */
  ref?: string;
  credentials: UpstreamCredentials;
  /** What the API is, for a 404 that is not its error: "an Anthropic API error, so the deployment's URL does not lead to the Messages API". */
  notTheApi: string;
  /** The 429's code (Bedrock's `quota_exceeded`, an OpenAI-compatible server's own): default rate_limit_exceeded. */
  rateLimitCode?: string;
  /** Statuses that are the provider timing out (504 for most; OpenAI-compatible servers' 504 is a gateway's, a 502). */
  timeoutStatuses?: readonly number[];
  /** A 503 stays a 503 with this code (the provider is unavailable); without it, a 503 is a 502 like any 5xx. */
  unavailableCode?: string;
  /** Client errors other than 404 are reported as 400 (the provider's 422 or 409 is a bad request all the same). */
  clientErrorsAs400?: boolean;
  /** Overrides of the client error's fields (an OpenAI-shaped error's own type, code and param; a param the adapter knows). */
  rejection?: Partial<Pick<GatewayError, 'type' | 'code' | 'param' | 'message'>>;
}

/**
 * Maps an upstream's non-2xx status to the gateway's error, OpenAI-style:
 * - 401/403: the deployment's credentials, a retryable 502 `upstream_auth_failed` (kind auth);
 * - 402 and a 404 that is not the API's envelope: the operator's account or api_base, a retryable 502;
 * - 429: rate limited, the provider's message and retry-after kept;
 * - 408/504: a timeout, 504; 413: too large;
 * - other 4xx: the request's own, the provider's message kept, with OpenAI's codes for context-window
 *   (`context_length_exceeded`), content-policy (`content_policy_violation`) and unknown models
 *   (`model_not_found`);
 * - 5xx: a retryable 502 (503 when the adapter says the provider reports itself unavailable), summarised.
 */
export function upstreamStatusError(i: UpstreamStatusInput): GatewayError {
  const { status, model, message } = i;
  const s = i.typeStatus ?? status;
  const d = dep(model);
  const withRetry = i.retryAfter !== undefined ? { retryAfter: i.retryAfter } : {};
  const kindFor = (classifyAs: number): ErrorKind => i.kind ?? classifyUpstream(classifyAs, i.hint);

  if (s === 401 || s === 403) {
    const quoted = i.credentials.quote !== false && message !== undefined ? `: ${message}` : '';
    return upstreamAuthFailed(model, { ...i.credentials, detail: i.credentials.detail ?? `HTTP ${status}${quoted}` });
  }
  if (s === 402) {
    return upstreamOperatorError({
      kind: 'unavailable',
      code: 'upstream_error',
      message: `The provider refused ${d} with HTTP 402 (payment required): its account is out of credit or billing is not set up. The gateway operator should check that deployment's provider account`,
    });
  }
  if (s === 404 && i.hint.shaped === false) {
    return upstreamOperatorError({
      kind: 'unavailable',
      code: 'upstream_error',
      message: `The provider of ${d} answered HTTP 404 with a body that is not ${i.notTheApi}. The gateway operator should check its api_base`,
    });
  }
  if (s === 429) {
    return {
      kind: 'rate_limited',
      status: 429,
      type: 'rate_limit_error',
      code: i.rateLimitCode ?? 'rate_limit_exceeded',
      param: null,
      message: message ?? `The provider of ${d} is rate limiting requests. Retry after a short wait.`,
      ...withRetry,
      retryable: true,
    };
  }
  if ((i.timeoutStatuses ?? [408, 504]).includes(s)) {
    return {
      kind: 'timeout',
      status: 504,
      type: 'api_error',
      code: 'timeout',
      param: null,
      message: `The provider of ${d} timed out (HTTP ${status}${message !== undefined ? `: ${message}` : ''})${i.ref ?? ''}. Retry the request.`,
      retryable: true,
    };
  }
  if (s >= 400 && s < 500) {
    const clientStatus = i.clientErrorsAs400 === true && s !== 404 && s !== 413 ? 400 : s;
    const kind = kindFor(clientStatus);
    return {
      kind,
      status: clientStatus,
      type: 'invalid_request_error',
      code: s === 413 ? 'request_too_large' : (refusalCode(kind) ?? (s === 404 ? 'model_not_found' : null)),
      param: null,
      message:
        message ??
        (s === 413
          ? `The request is larger than the provider of ${d} accepts. Send a smaller request.`
          : `The provider of ${d} rejected the request with HTTP ${status}. Check the request parameters against what this model accepts.`),
      retryable: false,
      ...i.rejection,
    };
  }
  if (s === 503 && i.unavailableCode !== undefined) {
    return {
      kind: kindFor(503),
      status: 503,
      type: 'api_error',
      code: i.unavailableCode,
      param: null,
      message: `The provider of ${d} is unavailable${message !== undefined ? ` (${message})` : ''}. Retry after a short wait; another deployment may serve the request.`,
      ...withRetry,
      retryable: true,
    };
  }
  return upstreamServerError({
    model,
    detail: `HTTP ${status}${i.ref ?? ''}`,
    kind: kindFor(s),
    retryAfter: i.retryAfter,
  });
}

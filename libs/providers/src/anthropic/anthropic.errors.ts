import type { GatewayError } from '@switchyard/contracts';
import { classifyUpstream } from '../errors/error-classifier';
import { createRedactor, deploymentSecrets, redactKeyShapes } from '../errors/secret-redaction';
import type { UpstreamErrorInput } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { parseRetryAfter } from '../upstream-errors';
import type { AnthropicErrorObject } from './anthropic.types';

/** Anthropic's error types and the HTTP status each comes with (its errors page). */
export const ANTHROPIC_ERROR_STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

interface ReadError {
  type: string | undefined;
  message: string | undefined;
  requestId: string | undefined;
  /** The body was Anthropic's error envelope. */
  shaped: boolean;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** Reads `{"type":"error","error":{"type","message"},"request_id"}`; anything else yields what it can. */
export function readAnthropicError(body: string): ReadError {
  const none: ReadError = { type: undefined, message: undefined, requestId: undefined, shaped: false };
  if (body.length === 0) return none;
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return none;
  }
  if (doc === null || typeof doc !== 'object') return none;
  const d = doc as Record<string, unknown>;
  const e = d['error'];
  if (e === null || typeof e !== 'object' || Array.isArray(e)) return none;
  const eo = e as Record<string, unknown>;
  const message = str(eo['message']);
  return { type: str(eo['type']), message, requestId: str(d['request_id']), shaped: message !== undefined };
}

/** "input length and `max_tokens` exceed context limit: 197202 + 21333 > 200000, decrease input length ..." */
const ANTHROPIC_CONTEXT_TEXT = /exceed context limit|prompt is too long/i;
/** A 400 that is the operator's account, not the request: "Your credit balance is too low to access the Anthropic API." */
const ANTHROPIC_NO_CREDIT = /credit balance is too low/i;

/** The longest provider message passed to a client. */
const MAX_CLIENT_MESSAGE = 1000;

/** The provider's message as a client may see it: masked by `redact`, bounded, and none at all when it is HTML. */
export function clientMessage(message: string | undefined, redact: (t: string) => string): string | undefined {
  if (message === undefined || /<\/?[a-z][\s\S]*>/i.test(message)) return undefined;
  const m = redact(message);
  return m.length > MAX_CLIENT_MESSAGE ? `${m.slice(0, MAX_CLIENT_MESSAGE)}…` : m;
}

/** Context-length and content-policy refusals get OpenAI's codes, so clients branch on them as they do there. */
function refusalCode(kind: GatewayError['kind']): string | null {
  if (kind === 'context_window') return 'context_length_exceeded';
  if (kind === 'content_policy') return 'content_policy_violation';
  return null;
}

/**
 * Maps an Anthropic error (HTTP status and body, or a stream's `error` event given the status its type
 * stands for) to the error the gateway reports. The provider's message is kept where it speaks to the
 * caller (4xx, 429, 529), with every key shape and the deployment's own secrets masked; a 5xx's text is
 * summarised. Messages name the public model only.
 */
export function normaliseAnthropicError(reply: UpstreamErrorInput, deployment: ProviderDeployment): GatewayError {
  const x = readAnthropicError(reply.body);
  // The status is what Anthropic sent; a proxy in between may have changed it, the type never lies.
  const status = reply.status;
  const redact = (() => {
    const secrets = deploymentSecrets(deployment);
    return secrets.length > 0 ? createRedactor(secrets) : redactKeyShapes;
  })();
  const upstream = clientMessage(x.message, redact);
  const dep = `model '${deployment.modelName}'`;
  const ref = x.requestId !== undefined ? ` (Anthropic request id ${x.requestId})` : '';
  const type = x.type;
  let kind = classifyUpstream(status, { type, message: x.message, shaped: x.shaped });
  // Anthropic's own wording for an input and max_tokens that do not fit together in the window.
  if (kind === 'bad_request' && ANTHROPIC_CONTEXT_TEXT.test(x.message ?? '')) kind = 'context_window';

  if (type === 'overloaded_error' || status === 529) {
    return {
      kind: 'overloaded',
      status: 503,
      type: 'overloaded_error',
      code: 'overloaded',
      param: null,
      message: `${upstream ?? 'Overloaded'}: the provider of ${dep} is temporarily overloaded. Retry after a short wait.`,
      retryAfter: parseRetryAfter(reply.headers),
      retryable: true,
    };
  }
  if (status === 401 || status === 403 || type === 'authentication_error' || type === 'permission_error') {
    return {
      kind: 'auth',
      status: 502,
      type: 'api_error',
      code: 'upstream_auth_failed',
      param: null,
      message: `The provider rejected the gateway's credentials for ${dep} with HTTP ${status}${upstream ? ` (${upstream})` : ''}. The gateway operator should check the deployment's api_key; another deployment may serve the request.`,
      retryable: true,
    };
  }
  if (status === 402 || type === 'billing_error' || (status === 400 && ANTHROPIC_NO_CREDIT.test(x.message ?? ''))) {
    return {
      kind: 'unavailable',
      status: 502,
      type: 'api_error',
      code: 'upstream_error',
      param: null,
      message: `The provider refused ${dep} for billing reasons${upstream ? ` (${upstream})` : ''}. The gateway operator should check that deployment's Anthropic account; another deployment may serve the request.`,
      retryable: true,
    };
  }
  if (status === 429 || type === 'rate_limit_error') {
    return {
      kind: 'rate_limited',
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      param: null,
      message: upstream ?? `The provider of ${dep} is rate limiting requests. Retry after a short wait.`,
      retryAfter: parseRetryAfter(reply.headers),
      retryable: true,
    };
  }
  if (status === 413 || type === 'request_too_large') {
    return {
      kind: 'too_large',
      status: 413,
      type: 'invalid_request_error',
      code: 'request_too_large',
      param: null,
      message: upstream ?? `The request is larger than the provider of ${dep} accepts. Send a smaller request.`,
      retryable: false,
    };
  }
  if (status === 408 || status === 504 || type === 'timeout_error') {
    return {
      kind: 'timeout',
      status: 504,
      type: 'api_error',
      code: 'timeout',
      param: null,
      message: `The provider of ${dep} timed out (HTTP ${status})${ref}. Retry the request.`,
      retryable: true,
    };
  }
  if (status === 404 && !x.shaped) {
    return {
      kind: 'unavailable',
      status: 502,
      type: 'api_error',
      code: 'upstream_error',
      param: null,
      message: `The provider of ${dep} answered HTTP 404 with a body that is not an Anthropic API error, so the deployment's URL does not lead to the Messages API. The gateway operator should check its api_base; another deployment may serve the request.`,
      retryable: true,
    };
  }
  if (status >= 400 && status < 500) {
    return {
      kind,
      status,
      type: 'invalid_request_error',
      code: refusalCode(kind) ?? (status === 404 ? 'model_not_found' : null),
      param: null,
      message:
        upstream ??
        `The provider of ${dep} rejected the request with HTTP ${status}. Check the request parameters against what this model accepts.`,
      retryable: false,
    };
  }
  return {
    kind: 'upstream_5xx',
    status: 502,
    type: 'api_error',
    code: 'upstream_error',
    param: null,
    // A server error's text describes the provider's insides, not the request.
    message: `The provider of ${dep} failed with HTTP ${status}${ref}. Retry the request; another deployment may serve it.`,
    retryAfter: parseRetryAfter(reply.headers),
    retryable: true,
  };
}

/**
 * A stream's `error` event (Anthropic sends one when it fails after the 200, e.g. overloaded_error): the
 * same mapping, at the status the error's type stands for.
 */
export function anthropicStreamError(
  error: AnthropicErrorObject | undefined,
  deployment?: ProviderDeployment,
): GatewayError {
  const type = error?.type ?? 'api_error';
  const status = ANTHROPIC_ERROR_STATUS[type] ?? 500;
  const body = JSON.stringify({ type: 'error', error: { type, message: error?.message ?? 'stream error' } });
  const mapped = normaliseAnthropicError(
    { status, body, headers: {} },
    deployment ?? { id: '', modelName: 'requested', provider: 'anthropic', model: '' },
  );
  // A failure inside a 200 is the provider's, whatever its type: another attempt may succeed.
  return mapped.kind === 'bad_request' ? { ...mapped, status: 502, kind: 'upstream_5xx', retryable: true } : mapped;
}

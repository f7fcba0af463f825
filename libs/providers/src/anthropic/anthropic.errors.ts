import type { GatewayError } from '@switchyard/contracts';
import { classifyUpstream } from '../errors/error-classifier';
import {
  clientMessage,
  deploymentRedactor,
  upstreamOperatorError,
  upstreamStatusError,
} from '../errors/upstream-status-error';
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

/** Anthropic's types that say more than the HTTP status (a proxy in between may change the status, never the type). */
const DECISIVE_TYPES = new Set([
  'authentication_error',
  'permission_error',
  'billing_error',
  'rate_limit_error',
  'request_too_large',
  'timeout_error',
]);

/**
 * Maps an Anthropic error (HTTP status and body, or a stream's `error` event given the status its type
 * stands for) to the error the gateway reports. The provider's message is kept where it speaks to the
 * caller (4xx, 429, 529), with every key shape and the deployment's own secrets masked; a 5xx's text is
 * summarised. Messages name the public model only.
 */
export function normaliseAnthropicError(reply: UpstreamErrorInput, deployment: ProviderDeployment): GatewayError {
  const x = readAnthropicError(reply.body);
  const { status } = reply;
  const upstream = clientMessage(x.message, deploymentRedactor(deployment));
  const dep = `model '${deployment.modelName}'`;
  const type = x.type;

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
  const billing =
    status === 402 || type === 'billing_error' || (status === 400 && ANTHROPIC_NO_CREDIT.test(x.message ?? ''));
  if (billing && status !== 401 && status !== 403 && type !== 'authentication_error' && type !== 'permission_error') {
    return upstreamOperatorError({
      kind: 'unavailable',
      code: 'upstream_error',
      message: `The provider refused ${dep} for billing reasons${upstream ? ` (${upstream})` : ''}. The gateway operator should check that deployment's Anthropic account`,
    });
  }
  // Anthropic's own wording for an input and max_tokens that do not fit together in the window.
  const tooLong =
    classifyUpstream(status, { type, message: x.message, shaped: x.shaped }) === 'bad_request' &&
    ANTHROPIC_CONTEXT_TEXT.test(x.message ?? '');
  return upstreamStatusError({
    status,
    typeStatus: type !== undefined && DECISIVE_TYPES.has(type) ? ANTHROPIC_ERROR_STATUS[type] : undefined,
    model: deployment.modelName,
    message: upstream,
    hint: { type, message: x.message, shaped: x.shaped },
    kind: tooLong ? 'context_window' : undefined,
    retryAfter: parseRetryAfter(reply.headers),
    ref: x.requestId !== undefined ? ` (Anthropic request id ${x.requestId})` : '',
    credentials: { check: "the deployment's api_key" },
    notTheApi: "an Anthropic API error, so the deployment's URL does not lead to the Messages API",
  });
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

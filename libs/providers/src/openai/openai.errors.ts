import type { ProviderDeployment } from '../provider-deployment';
import type { GatewayError } from '@switchyard/contracts';
import type { UpstreamErrorInput } from '../provider-adapter';
import { parseRetryAfter } from '../upstream-errors';
import { clientMessage, upstreamStatusError, type UpstreamCredentials } from '../errors/upstream-status-error';
import { redactKeyShapes } from '../errors/secret-redaction';

interface ExtractedError {
  message: string | undefined;
  type: string | undefined;
  code: string | undefined;
  param: string | undefined;
  /** The body was OpenAI's envelope. */
  shaped: boolean;
  /** The message came from a JSON body (not the raw text of, say, a proxy's HTML page). */
  json?: boolean;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : undefined;
}

/**
 * A validation error list as FastAPI/pydantic servers send it (Mistral's `message.detail`, vLLM's
 * `detail`): `[{loc: ["body", "stream_options"], msg: "Extra inputs are not permitted"}]`, as one line
 * naming each field ("stream_options: Extra inputs are not permitted").
 */
function validationDetail(v: unknown): string | undefined {
  const list = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as { detail?: unknown }).detail : v;
  if (typeof list === 'string') return str(list);
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const parts: string[] = [];
  for (const item of list.slice(0, 5)) {
    if (item === null || typeof item !== 'object') continue;
    const { loc, msg } = item as { loc?: unknown; msg?: unknown };
    const path = Array.isArray(loc) ? loc.filter((p) => p !== 'body').join('.') : '';
    if (typeof msg === 'string') parts.push(path ? `${path}: ${msg}` : msg);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/**
 * Reads OpenAI's `{"error": {...}}` envelope, and the near-misses OpenAI-compatible servers send
 * (`{"error": "text"}`, `{"object": "error", "message": ...}`, `{"detail": ...}`).
 */
export function extractOpenAIError(body: string): ExtractedError {
  const none: ExtractedError = {
    message: undefined,
    type: undefined,
    code: undefined,
    param: undefined,
    shaped: false,
  };
  if (body.length === 0) return none;
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return { ...none, message: body.length > 300 ? `${body.slice(0, 300)}…` : body };
  }
  if (doc === null || typeof doc !== 'object') return none;
  const d = doc as Record<string, unknown>;
  const e = d['error'];
  if (e !== null && typeof e === 'object' && !Array.isArray(e)) {
    const eo = e as Record<string, unknown>;
    const message = str(eo['message']);
    return {
      message,
      type: str(eo['type']),
      code: str(eo['code']),
      param: str(eo['param']),
      shaped: message !== undefined,
      json: true,
    };
  }
  if (typeof e === 'string') return { ...none, message: e, json: true };
  return {
    ...none,
    json: true,
    message: str(d['message']) ?? validationDetail(d['message']) ?? validationDetail(d['detail']),
    type: str(d['type']),
    code: str(d['code']),
    param: str(d['param']),
  };
}

/**
 * Upstream messages can quote an API key or name the operator's organisation: every known key shape is
 * masked here; the translator also masks its configured secrets by value in whatever leaves it.
 */
export function scrubSecrets(message: string): string {
  return redactKeyShapes(message);
}

/**
 * Maps a non-2xx reply from an OpenAI-compatible upstream to the error the gateway reports. A client error in
 * OpenAI's envelope passes through with the upstream's status, type, code and param; raw text (a proxy's
 * HTML page, a stack trace) is summarised. `api` names what the deployment should lead to, for a 404 that
 * is not the API's error; `credentials` what the operator checks when the key is refused.
 */
export function normaliseOpenAIError(
  reply: UpstreamErrorInput,
  deployment: ProviderDeployment,
  credentials: UpstreamCredentials = { check: "the deployment's api_key" },
): GatewayError {
  const { status } = reply;
  const x = extractOpenAIError(reply.body);
  // Only a message the provider wrote for API callers (from a JSON error body) is worth passing on.
  const upstreamMessage = x.json === true ? clientMessage(x.message, scrubSecrets) : undefined;
  const dep = `model '${deployment.modelName}'`;
  return upstreamStatusError({
    status,
    model: deployment.modelName,
    message: upstreamMessage,
    hint: { code: x.code, type: x.type, message: x.message, shaped: x.shaped },
    retryAfter: parseRetryAfter(reply.headers),
    // The provider's message can quote part of the key it refused.
    credentials: { ...credentials, quote: false },
    notTheApi:
      "an OpenAI API error, so the deployment's URL does not lead to an OpenAI-compatible API (its api_base usually ends in /v1)",
    rateLimitCode: x.code,
    // An OpenAI-compatible server's 504 is a proxy's in front of it giving up: a server error, not a timeout.
    timeoutStatuses: [408],
    rejection: x.shaped
      ? { type: x.type ?? 'invalid_request_error', code: x.code ?? null, param: x.param ?? null }
      : {
          code: null,
          message: `The provider of ${dep} rejected the request with HTTP ${status}${upstreamMessage ? `: ${upstreamMessage}` : '.'} Check the request parameters against what this model accepts.`,
        },
  });
}

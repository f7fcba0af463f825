import type { ProviderDeployment } from '../provider-deployment';
import type { GatewayError } from '@switchyard/contracts';
import type { UpstreamErrorInput } from '../provider-adapter';
import { parseRetryAfter } from '../upstream-errors';
import { classifyUpstream } from '../errors/error-classifier';
import { redactKeyShapes } from '../errors/secret-redaction';

/** Statuses that are the client's own doing: passed through with the upstream's status and error. */
const CLIENT_STATUSES = new Set([400, 404, 409, 413, 422]);

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

/** The longest provider message passed to a client. */
const MAX_CLIENT_MESSAGE = 1000;

/**
 * A provider's message worth passing to the client: one the provider wrote for API callers (from a JSON
 * error body), keys masked, bounded. Raw text (a proxy's HTML page, a stack trace) is summarised instead.
 */
function clientMessage(x: ExtractedError): string | undefined {
  if (x.message === undefined || x.json !== true || /<\/?[a-z][\s\S]*>/i.test(x.message)) return undefined;
  const m = scrubSecrets(x.message);
  return m.length > MAX_CLIENT_MESSAGE ? `${m.slice(0, MAX_CLIENT_MESSAGE)}…` : m;
}

/**
 * Maps a non-2xx reply from an OpenAI-compatible upstream to the error the gateway reports. Messages name
 * the public model only: deployment ids, environment variables and origins are the operator's, and the
 * translator logs them with the error's code.
 */
export function normaliseOpenAIError(reply: UpstreamErrorInput, deployment: ProviderDeployment): GatewayError {
  const { status } = reply;
  const x = extractOpenAIError(reply.body);
  const upstreamMessage = clientMessage(x);
  const dep = `model '${deployment.modelName}'`;
  const kind = classifyUpstream(status, { code: x.code, type: x.type, message: x.message, shaped: x.shaped });

  if (status === 401 || status === 403) {
    return {
      kind,
      status: 502,
      type: 'api_error',
      code: 'upstream_auth_failed',
      param: null,
      message: `The provider rejected the gateway's credentials for ${dep} with HTTP ${status}. The gateway operator should check the deployment's api_key; another deployment may serve the request.`,
      retryable: true,
    };
  }
  // 402: the provider account behind the deployment is out of credit. A 404 that is not OpenAI's error
  // envelope comes from whatever answers at a wrong api_base (an nginx or HTML page), not from the API.
  // Both are the operator's to fix, not the client's: retryable 502, so another deployment may serve it.
  if (status === 402 || (status === 404 && !x.shaped)) {
    const what =
      status === 402
        ? `The provider refused ${dep} with HTTP 402 (payment required): its account is out of credit or billing is not set up. The gateway operator should check that deployment's provider account`
        : `The provider of ${dep} answered HTTP 404 with a body that is not an OpenAI API error, so the deployment's URL does not lead to an OpenAI-compatible API. The gateway operator should check its api_base (it usually ends in /v1)`;
    return {
      kind,
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
      kind,
      status: 429,
      type: 'rate_limit_error',
      code: x.code ?? 'rate_limit_exceeded',
      param: null,
      message: upstreamMessage ?? `The provider of ${dep} is rate limiting requests. Retry after a short wait.`,
      retryAfter: parseRetryAfter(reply.headers),
      retryable: true,
    };
  }
  if (CLIENT_STATUSES.has(status) || (status >= 400 && status < 500 && status !== 408)) {
    if (x.shaped) {
      return {
        kind,
        status,
        type: x.type ?? 'invalid_request_error',
        code: x.code ?? null,
        param: x.param ?? null,
        message: upstreamMessage ?? `The provider rejected the request with HTTP ${status}.`,
        retryable: false,
      };
    }
    return {
      kind,
      status,
      type: 'invalid_request_error',
      code: null,
      param: null,
      message: `The provider of ${dep} rejected the request with HTTP ${status}${upstreamMessage ? `: ${upstreamMessage}` : '.'} Check the request parameters against what this model accepts.`,
      retryable: false,
    };
  }
  if (status === 408) {
    return {
      kind,
      status: 504,
      type: 'api_error',
      code: 'timeout',
      param: null,
      message: `The provider of ${dep} timed out (HTTP 408). Retry the request.`,
      retryable: true,
    };
  }
  return {
    kind,
    status: 502,
    type: 'api_error',
    code: 'upstream_error',
    param: null,
    // A server error's text describes the provider's insides (hosts, stack traces), not the request.
    message: `The provider of ${dep} failed with HTTP ${status}. Retry the request; another deployment may serve it.`,
    retryAfter: parseRetryAfter(reply.headers),
    retryable: true,
  };
}

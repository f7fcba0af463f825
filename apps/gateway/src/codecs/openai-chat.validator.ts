import { Errors, GATEWAY_ONLY_FIELDS, type GatewayError, type RequestSummary } from '@switchyard/contracts';
import { promptCharsOf, type ChatMessage } from '@switchyard/providers';
import { readTimeoutSeconds } from '../pipeline/request-timeout';
import { parseProviderPreferences } from '@switchyard/routing';

/** At most this many models in a request-level list. */
export const MAX_REQUEST_MODELS = 16;
/** Most top-level parameters a request with `provider.require_parameters` may send (their names travel to the router). */
export const MAX_REQUIRED_PARAMS = 64;
/** Most retries a request may ask for (`num_retries`): each may wait for a backoff. */
export const MAX_REQUEST_RETRIES = 10;

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

type Result = { ok: true; value: RequestSummary } | { ok: false; error: GatewayError };
type Need = NonNullable<RequestSummary['needs']>[number];

/** Members that are the request itself rather than parameters a provider may or may not take. */
const NOT_PARAMETERS: ReadonlySet<string> = new Set(['model', 'messages', 'stream', ...GATEWAY_ONLY_FIELDS]);
/** Content part types that carry an image (Chat Completions' `image_url`; `input_image` of the Responses shape). */
const IMAGE_PARTS: ReadonlySet<unknown> = new Set(['image_url', 'input_image', 'image']);

const refuse = (message: string, param: string | null, code: string | null = null) => ({
  ok: false as const,
  error: Errors.invalidRequest(message, param, code),
});
const bad = (message: string, param: string | null, code: string | null = null): Result => refuse(message, param, code);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkNumber(
  body: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
  integer = false,
): Result | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    return bad(
      `Invalid type for '${name}': expected ${integer ? 'an integer' : 'a number'}, but got ${describe(v)}.`,
      name,
      'invalid_type',
    );
  }
  if (v < min || v > max)
    return bad(`Invalid '${name}': ${v} is out of range; it must be between ${min} and ${max}.`, name, 'invalid_value');
  return undefined;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? 'a string' : `a ${typeof v}`;
}

/**
 * Checks what OpenAI checks before it spends money, with OpenAI's messages and params, so a client sees
 * the same 400s it would see upstream. Hand-written rather than a schema: this runs on every request.
 */
export function validateChatRequest(body: unknown): Result {
  if (!isObject(body)) return bad('The request body must be a JSON object.', null);
  const { model, messages, stream } = body;
  if (model === undefined) return bad("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  if (typeof model !== 'string' || model.length === 0) {
    return bad(
      `Invalid type for 'model': expected a non-empty string, but got ${describe(model)}.`,
      'model',
      'invalid_type',
    );
  }
  if (messages === undefined)
    return bad("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages))
    return bad(
      `Invalid type for 'messages': expected an array, but got ${describe(messages)}.`,
      'messages',
      'invalid_type',
    );
  if (messages.length === 0)
    return bad("Invalid 'messages': empty array. Expected an array with minimum length 1.", 'messages', 'empty_array');
  let images = false;
  for (let i = 0; i < messages.length; i++) {
    const m: unknown = messages[i];
    if (!isObject(m))
      return bad(
        `Invalid type for 'messages[${i}]': expected an object, but got ${describe(m)}.`,
        `messages[${i}]`,
        'invalid_type',
      );
    if (typeof m.role !== 'string' || !ROLES.has(m.role)) {
      return bad(
        `Invalid value for 'messages[${i}].role': expected one of ${[...ROLES].join(', ')}.`,
        `messages[${i}].role`,
        'invalid_value',
      );
    }
    const c = m.content;
    if (c !== undefined && c !== null && typeof c !== 'string' && !Array.isArray(c)) {
      return bad(
        `Invalid type for 'messages[${i}].content': expected a string or an array of content parts.`,
        `messages[${i}].content`,
        'invalid_type',
      );
    }
    if (!images && Array.isArray(c)) images = c.some((part) => isObject(part) && IMAGE_PARTS.has(part.type));
  }
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    return bad(`Invalid type for 'stream': expected a boolean, but got ${describe(stream)}.`, 'stream', 'invalid_type');
  }
  const so = body.stream_options;
  if (so !== undefined && so !== null) {
    if (!isObject(so))
      return bad("Invalid type for 'stream_options': expected an object.", 'stream_options', 'invalid_type');
    if (stream !== true)
      return bad(
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        'stream_options',
        'invalid_value',
      );
  }
  const numeric =
    checkNumber(body, 'temperature', 0, 2) ??
    checkNumber(body, 'top_p', 0, 1) ??
    checkNumber(body, 'n', 1, 128, true) ??
    checkNumber(body, 'max_tokens', 1, Number.MAX_SAFE_INTEGER, true) ??
    checkNumber(body, 'max_completion_tokens', 1, Number.MAX_SAFE_INTEGER, true) ??
    checkNumber(body, 'presence_penalty', -2, 2) ??
    checkNumber(body, 'frequency_penalty', -2, 2);
  if (numeric) return numeric;
  const stop = body.stop;
  if (
    stop !== undefined &&
    stop !== null &&
    typeof stop !== 'string' &&
    !(Array.isArray(stop) && stop.every((s) => typeof s === 'string'))
  ) {
    return bad("Invalid type for 'stop': expected a string or an array of strings.", 'stop', 'invalid_type');
  }
  const user = body.user;
  if (user !== undefined && typeof user !== 'string')
    return bad("Invalid type for 'user': expected a string.", 'user', 'invalid_type');
  const metadata = body.metadata;
  const tags = readTags(metadata);
  const routing = readRoutingHints(body);
  if (!routing.ok) return routing;
  const value: RequestSummary = {
    model,
    stream: stream === true,
    includeUsage: isObject(so) && so.include_usage === true,
    tags,
    promptChars: promptCharsOf(messages as ChatMessage[]),
    strip: routing.strip,
  };
  if (typeof user === 'string') value.user = user.slice(0, 256);
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (typeof maxTokens === 'number') value.maxTokens = maxTokens;
  if (typeof body.n === 'number' && body.n > 1) value.n = body.n;
  if (routing.models.length > 0) value.models = routing.models;
  if (routing.provider !== undefined) value.provider = routing.provider;
  if (routing.numRetries !== undefined) value.numRetries = routing.numRetries;
  if (routing.disableFallbacks) value.disableFallbacks = true;
  if (routing.timeoutMs !== undefined) value.timeoutMs = routing.timeoutMs;
  if (routing.streamTimeoutMs !== undefined) value.streamTimeoutMs = routing.streamTimeoutMs;
  if (isObject(so)) value.streamOptions = so;
  const needs = needsOf(body, images);
  if (needs.length > 0) value.needs = needs;
  if (routing.provider?.require_parameters === true) {
    const params = Object.keys(body).filter((k) => !NOT_PARAMETERS.has(k) && body[k] !== undefined && body[k] !== null);
    // The names travel in a NATS header: a body of thousands of made-up members is refused, not carried.
    if (params.length > MAX_REQUIRED_PARAMS || params.some((p) => p.length > 64))
      return bad(
        `Too many or too long top-level parameters for 'provider.require_parameters' (at most ${MAX_REQUIRED_PARAMS} names of up to 64 characters). Remove the members no provider takes.`,
        'provider.require_parameters',
        'invalid_value',
      );
    value.params = params;
  }
  if (isObject(metadata) && Object.values(metadata).some((v) => typeof v !== 'string')) value.metadataNeedsEdit = true;
  return { ok: true, value };
}

/** What the request needs of a model beyond text, for the router's pre-call checks (enable_pre_call_checks). */
function needsOf(body: Record<string, unknown>, images: boolean): Need[] {
  const needs: Need[] = [];
  const nonEmpty = (v: unknown) => Array.isArray(v) && v.length > 0;
  if (nonEmpty(body.tools) || nonEmpty(body.functions)) needs.push('tools');
  if (images) needs.push('vision');
  if (isObject(body.response_format) && body.response_format.type === 'json_schema') needs.push('json_schema');
  // OpenAI's reasoning_effort, OpenRouter's `reasoning` object, and the `thinking` LiteLLM passes to Anthropic.
  const effort = body.reasoning_effort;
  const reasoning = body.reasoning;
  const thinking = body.thinking;
  if (
    (typeof effort === 'string' && effort !== 'none') ||
    (isObject(reasoning) && reasoning.enabled !== false && reasoning.effort !== 'none') ||
    (isObject(thinking) && thinking.type === 'enabled')
  )
    needs.push('reasoning');
  return needs;
}

/**
 * The routing hints a request may carry: OpenRouter's `models` (models to try in order) and `provider`
 * (provider preferences), LiteLLM's `fallbacks` (model names to try after `model`); and which
 * gateway-only members are present, to strip before the body goes upstream.
 */
export function readRoutingHints(body: Record<string, unknown>):
  | {
      ok: true;
      models: string[];
      provider?: Record<string, unknown>;
      numRetries?: number;
      disableFallbacks?: boolean;
      timeoutMs?: number;
      streamTimeoutMs?: number;
      strip: string[];
    }
  | Extract<Result, { ok: false }> {
  const strip = GATEWAY_ONLY_FIELDS.filter((f) => body[f] !== undefined);
  const models: string[] = [];
  for (const name of ['models', 'fallbacks'] as const) {
    const list = body[name];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list) || !list.every((m) => typeof m === 'string' && m.length > 0 && m.length <= 256)) {
      return refuse(
        `Invalid type for '${name}': expected an array of model names (non-empty strings of at most 256 characters).`,
        name,
        'invalid_type',
      );
    }
    models.push(...(list as string[]));
  }
  if (models.length > MAX_REQUEST_MODELS) {
    return refuse(
      `Too many models in 'models' and 'fallbacks': ${models.length}; at most ${MAX_REQUEST_MODELS} may be given.`,
      body.models !== undefined ? 'models' : 'fallbacks',
      'invalid_value',
    );
  }
  const provider = body.provider;
  if (provider !== undefined && provider !== null) {
    // OpenRouter's provider preferences, checked here so a wrong type is a 400 naming the field, never ignored.
    const prefs = parseProviderPreferences(provider);
    if (!prefs.ok)
      return refuse(
        isObject(provider) ? prefs.message : "Invalid type for 'provider': expected an object of provider preferences.",
        prefs.param,
        prefs.message.startsWith('Unknown')
          ? 'unknown_parameter'
          : prefs.message.startsWith('Invalid value')
            ? 'invalid_value'
            : 'invalid_type',
      );
  }
  const numRetries = body.num_retries;
  if (
    numRetries !== undefined &&
    numRetries !== null &&
    !(
      typeof numRetries === 'number' &&
      Number.isInteger(numRetries) &&
      numRetries >= 0 &&
      numRetries <= MAX_REQUEST_RETRIES
    )
  ) {
    return refuse(
      `Invalid value for 'num_retries': expected an integer from 0 to ${MAX_REQUEST_RETRIES}.`,
      'num_retries',
      'invalid_value',
    );
  }
  const disable = body.disable_fallbacks;
  if (disable !== undefined && disable !== null && typeof disable !== 'boolean') {
    return refuse("Invalid type for 'disable_fallbacks': expected a boolean.", 'disable_fallbacks', 'invalid_type');
  }
  const timeouts: { timeoutMs?: number; streamTimeoutMs?: number } = {};
  for (const [name, field] of [
    ['timeout', 'timeoutMs'],
    ['stream_timeout', 'streamTimeoutMs'],
  ] as const) {
    const ms = readTimeoutSeconds(body[name], name);
    if (typeof ms === 'object') return refuse(ms.invalid, name, 'invalid_value');
    if (ms !== undefined) timeouts[field] = ms;
  }
  return {
    ok: true,
    models,
    provider: isObject(provider) ? provider : undefined,
    ...timeouts,
    ...(typeof numRetries === 'number' && { numRetries }),
    ...(disable === true && { disableFallbacks: true }),
    strip,
  };
}

/** LiteLLM's `metadata.tags`: at most 32, each bounded; what spend is grouped by. */
export function readTags(metadata: unknown): string[] {
  return isObject(metadata) && Array.isArray(metadata.tags)
    ? metadata.tags
        .filter((t): t is string => typeof t === 'string')
        .slice(0, 32)
        .map((t) => t.slice(0, 128))
    : [];
}

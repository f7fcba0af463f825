import { Errors, type GatewayError, type RequestSummary } from '@switchyard/contracts';
import { readRoutingHints } from './openai-chat.validator';

type Result = { ok: true; value: RequestSummary } | { ok: false; error: GatewayError };
type Json = Record<string, unknown>;
type Need = NonNullable<RequestSummary['needs']>[number];

/** Every member of `POST /v1/responses` (the official SDK's ResponseCreateParams), plus the gateway's routing hints. */
const MEMBERS: ReadonlySet<string> = new Set([
  'background',
  'context_management',
  'conversation',
  'include',
  'input',
  'instructions',
  'max_output_tokens',
  'metadata',
  'model',
  'moderation',
  'parallel_tool_calls',
  'previous_response_id',
  'prompt',
  'prompt_cache_key',
  'prompt_cache_options',
  'prompt_cache_retention',
  'reasoning',
  'safety_identifier',
  'service_tier',
  'store',
  'stream',
  'stream_options',
  'temperature',
  'text',
  'tool_choice',
  'tools',
  'top_logprobs',
  'top_p',
  'truncation',
  'user',
  // Switchyard's routing hints (readRoutingHints), removed before the body goes upstream.
  'models',
  'provider',
  'route',
  'transforms',
  'fallbacks',
  'num_retries',
  'disable_fallbacks',
  'timeout',
  'stream_timeout',
]);

const ROLES = new Set(['user', 'assistant', 'system', 'developer']);
const USER_PARTS = new Set(['input_text', 'input_image', 'input_file']);
const ASSISTANT_PARTS = new Set(['output_text', 'refusal']);
const EFFORTS = new Set(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']);
const SUMMARIES = new Set(['auto', 'concise', 'detailed']);
const FORMATS = new Set(['text', 'json_object', 'json_schema']);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? 'a string' : `a ${typeof v}`;
}

const bad = (message: string, param: string | null, code: string | null = 'invalid_value'): Result => ({
  ok: false,
  error: Errors.invalidRequest(message, param, code),
});
const wrongType = (param: string, expected: string, v: unknown): Result =>
  bad(`Invalid type for '${param}': expected ${expected}, but got ${describe(v)}.`, param, 'invalid_type');

function checkNumber(body: Json, name: string, min: number, max: number, integer = false): Result | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
    return wrongType(name, integer ? 'an integer' : 'a number', v);
  if (v < min) return bad(`Invalid '${name}': ${v} is below the minimum value; expected a value >= ${min}.`, name);
  if (v > max) return bad(`Invalid '${name}': ${v} is above the maximum value; expected a value <= ${max}.`, name);
  return undefined;
}

/** Characters of text an input carries (message text, call arguments, call outputs): the usage estimate's basis. */
function inputChars(input: unknown): number {
  if (typeof input === 'string') return input.length;
  if (!Array.isArray(input)) return 0;
  let n = 0;
  const textOf = (c: unknown): number => {
    if (typeof c === 'string') return c.length;
    if (!Array.isArray(c)) return 0;
    let k = 0;
    for (const p of c) if (isObject(p) && typeof p['text'] === 'string') k += p['text'].length;
    return k;
  };
  for (const item of input) {
    if (!isObject(item)) continue;
    n += textOf(item['content']) + textOf(item['output']);
    if (typeof item['arguments'] === 'string') n += item['arguments'].length;
  }
  return n;
}

/** One input item, checked as OpenAI checks it. Returns an error, or whether it carries an image. */
function checkItem(item: unknown, where: string): Result | boolean {
  if (!isObject(item)) return wrongType(where, 'an object', item);
  const type = item['type'] ?? 'message';
  switch (type) {
    case 'message': {
      const role = item['role'];
      if (typeof role !== 'string' || !ROLES.has(role))
        return bad(`Invalid value for '${where}.role': expected one of ${[...ROLES].join(', ')}.`, `${where}.role`);
      const content = item['content'];
      if (typeof content === 'string') return false;
      if (!Array.isArray(content))
        return wrongType(`${where}.content`, 'a string or an array of content parts', content);
      const allowed = role === 'assistant' ? ASSISTANT_PARTS : USER_PARTS;
      let image = false;
      for (const [j, p] of content.entries()) {
        const at = `${where}.content[${j}]`;
        if (!isObject(p)) return wrongType(at, 'an object', p);
        if (typeof p['type'] !== 'string' || !allowed.has(p['type']))
          return bad(
            `Invalid value for '${at}.type': a ${role} message takes ${[...allowed].join(', ')} parts.`,
            `${at}.type`,
          );
        if ((p['type'] === 'input_text' || p['type'] === 'output_text') && typeof p['text'] !== 'string')
          return wrongType(`${at}.text`, 'a string', p['text']);
        if (p['type'] === 'input_image') {
          image = true;
          if (typeof p['image_url'] !== 'string' && typeof p['file_id'] !== 'string')
            return bad(`Missing required parameter: '${at}.image_url' (or file_id).`, `${at}.image_url`);
        }
      }
      return image;
    }
    case 'function_call':
      for (const k of ['call_id', 'name', 'arguments'])
        if (typeof item[k] !== 'string') return wrongType(`${where}.${k}`, 'a string', item[k]);
      return false;
    case 'function_call_output': {
      if (typeof item['call_id'] !== 'string') return wrongType(`${where}.call_id`, 'a string', item['call_id']);
      const out = item['output'];
      if (typeof out !== 'string' && !Array.isArray(out))
        return wrongType(`${where}.output`, 'a string or an array of content parts', out);
      return false;
    }
    case 'reasoning':
    case 'item_reference':
      return false;
    default:
      // Other item types (built-in tool calls) are OpenAI's: only a passthrough deployment takes them.
      if (typeof type !== 'string') return wrongType(`${where}.type`, 'a string', type);
      return false;
  }
}

/**
 * Checks a Responses request as OpenAI checks it before spending anything (unknown members, required
 * ones, types, ranges, input item shapes), with OpenAI's messages naming the param, and summarises it for
 * admission, routing and usage. `background: true` is refused: Switchyard runs every response in the
 * foreground. What a provider other than OpenAI cannot take (built-in tools, `include`) is refused by the
 * translation, naming it.
 */
export function validateResponsesRequest(body: unknown): Result {
  if (!isObject(body)) return bad('The request body must be a JSON object.', null, null);
  for (const k of Object.keys(body))
    if (!MEMBERS.has(k)) return bad(`Unknown parameter: '${k}'.`, k, 'unknown_parameter');
  const model = body['model'];
  if (model === undefined) return bad("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  if (typeof model !== 'string' || model.length === 0) return wrongType('model', 'a non-empty string', model);
  const input = body['input'];
  if (input === undefined) return bad("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  let images = false;
  if (Array.isArray(input)) {
    for (const [i, item] of input.entries()) {
      const r = checkItem(item, `input[${i}]`);
      if (typeof r === 'object') return r;
      images ||= r;
    }
  } else if (typeof input !== 'string') return wrongType('input', 'a string or an array of input items', input);
  const instructions = body['instructions'];
  if (instructions !== undefined && instructions !== null && typeof instructions !== 'string')
    return wrongType('instructions', 'a string', instructions);
  for (const k of ['stream', 'store', 'parallel_tool_calls', 'background'])
    if (body[k] !== undefined && body[k] !== null && typeof body[k] !== 'boolean')
      return wrongType(k, 'a boolean', body[k]);
  if (body['background'] === true)
    return bad(
      "Background responses are not supported by this gateway: leave out 'background' (responses run while the request is open; use stream for long ones).",
      'background',
      'unsupported_parameter',
    );
  if (body['stream_options'] !== undefined && body['stream_options'] !== null) {
    if (!isObject(body['stream_options'])) return wrongType('stream_options', 'an object', body['stream_options']);
    if (body['stream'] !== true)
      return bad("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
  }
  const numeric =
    checkNumber(body, 'temperature', 0, 2) ??
    checkNumber(body, 'top_p', 0, 1) ??
    checkNumber(body, 'max_output_tokens', 16, Number.MAX_SAFE_INTEGER, true) ??
    checkNumber(body, 'top_logprobs', 0, 20, true);
  if (numeric) return numeric;
  for (const k of ['user', 'previous_response_id', 'safety_identifier', 'prompt_cache_key'])
    if (body[k] !== undefined && body[k] !== null && typeof body[k] !== 'string')
      return wrongType(k, 'a string', body[k]);
  const metadata = body['metadata'];
  if (metadata !== undefined && metadata !== null) {
    if (!isObject(metadata)) return wrongType('metadata', 'an object', metadata);
    const entries = Object.entries(metadata);
    if (entries.length > 16)
      return bad(
        "Invalid 'metadata': too many properties; expected at most 16.",
        'metadata',
        'object_above_max_length',
      );
    for (const [k, v] of entries) {
      if (k.length > 64)
        return bad(`Invalid 'metadata': key '${k.slice(0, 64)}…' is longer than 64 characters.`, 'metadata');
      if (typeof v !== 'string' || v.length > 512)
        return bad(`Invalid 'metadata.${k}': expected a string of at most 512 characters.`, `metadata.${k}`);
    }
  }
  const tools = body['tools'];
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools)) return wrongType('tools', 'an array', tools);
    for (const [i, t] of tools.entries()) {
      const at = `tools[${i}]`;
      if (!isObject(t)) return wrongType(at, 'an object', t);
      if (typeof t['type'] !== 'string') return bad(`Missing required parameter: '${at}.type'.`, `${at}.type`);
      if (t['type'] === 'function') {
        if (typeof t['name'] !== 'string' || t['name'].length === 0)
          return bad(`Missing required parameter: '${at}.name'.`, `${at}.name`, 'missing_required_parameter');
        if (t['parameters'] !== undefined && t['parameters'] !== null && !isObject(t['parameters']))
          return wrongType(`${at}.parameters`, 'an object', t['parameters']);
      }
    }
  }
  const choice = body['tool_choice'];
  if (choice !== undefined && choice !== null) {
    const named = isObject(choice) && typeof choice['type'] === 'string';
    if (!(choice === 'auto' || choice === 'none' || choice === 'required' || named))
      return bad(
        "Invalid value for 'tool_choice': expected 'auto', 'none', 'required' or an object with a type.",
        'tool_choice',
      );
    if (isObject(choice) && choice['type'] === 'function' && typeof choice['name'] !== 'string')
      return bad("Missing required parameter: 'tool_choice.name'.", 'tool_choice.name', 'missing_required_parameter');
  }
  const text = body['text'];
  let jsonSchema = false;
  if (text !== undefined && text !== null) {
    if (!isObject(text)) return wrongType('text', 'an object', text);
    const f = text['format'];
    if (f !== undefined && f !== null) {
      if (!isObject(f) || typeof f['type'] !== 'string' || !FORMATS.has(f['type']))
        return bad(
          "Invalid value for 'text.format.type': expected 'text', 'json_object' or 'json_schema'.",
          'text.format.type',
        );
      if (f['type'] === 'json_schema') {
        jsonSchema = true;
        if (typeof f['name'] !== 'string' || f['name'].length === 0)
          return bad(
            "Missing required parameter: 'text.format.name'.",
            'text.format.name',
            'missing_required_parameter',
          );
        if (!isObject(f['schema']))
          return bad(
            "Missing required parameter: 'text.format.schema'.",
            'text.format.schema',
            'missing_required_parameter',
          );
      }
    }
  }
  const reasoning = body['reasoning'];
  let reasons = false;
  if (reasoning !== undefined && reasoning !== null) {
    if (!isObject(reasoning)) return wrongType('reasoning', 'an object', reasoning);
    const effort = reasoning['effort'];
    if (effort !== undefined && effort !== null && (typeof effort !== 'string' || !EFFORTS.has(effort)))
      return bad(
        `Invalid value for 'reasoning.effort': expected one of ${[...EFFORTS].join(', ')}.`,
        'reasoning.effort',
      );
    const summary = reasoning['summary'] ?? reasoning['generate_summary'];
    if (summary !== undefined && summary !== null && (typeof summary !== 'string' || !SUMMARIES.has(summary)))
      return bad(
        `Invalid value for 'reasoning.summary': expected one of ${[...SUMMARIES].join(', ')}.`,
        'reasoning.summary',
      );
    reasons = typeof effort === 'string' && effort !== 'none';
  }
  const include = body['include'];
  if (
    include !== undefined &&
    include !== null &&
    !(Array.isArray(include) && include.every((v) => typeof v === 'string'))
  )
    return wrongType('include', 'an array of strings', include);

  const routing = readRoutingHints(body);
  if (!routing.ok) return routing;
  const strip = [...routing.strip];
  // The gateway answers previous_response_id itself (the stored conversation goes into `input`).
  if (typeof body['previous_response_id'] === 'string') strip.push('previous_response_id');
  const value: RequestSummary = {
    model,
    stream: body['stream'] === true,
    includeUsage: false,
    tags: [],
    promptChars: inputChars(input) + (typeof instructions === 'string' ? instructions.length : 0),
    strip,
  };
  if (typeof body['user'] === 'string') value.user = body['user'].slice(0, 256);
  if (typeof body['max_output_tokens'] === 'number') value.maxTokens = body['max_output_tokens'];
  if (routing.models.length > 0) value.models = routing.models;
  if (routing.provider !== undefined) value.provider = routing.provider;
  if (routing.numRetries !== undefined) value.numRetries = routing.numRetries;
  if (routing.disableFallbacks) value.disableFallbacks = true;
  if (routing.timeoutMs !== undefined) value.timeoutMs = routing.timeoutMs;
  if (routing.streamTimeoutMs !== undefined) value.streamTimeoutMs = routing.streamTimeoutMs;
  const needs: Need[] = [];
  if (Array.isArray(tools) && tools.length > 0) needs.push('tools');
  if (images) needs.push('vision');
  if (jsonSchema) needs.push('json_schema');
  if (reasons) needs.push('reasoning');
  if (needs.length > 0) value.needs = needs;
  return { ok: true, value };
}

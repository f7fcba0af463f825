import type { IncomingHttpHeaders } from 'node:http';
import { Errors, type GatewayError, type RequestSummary } from '@switchyard/contracts';

type Result = { ok: true; value: RequestSummary } | { ok: false; error: GatewayError };
type Json = Record<string, unknown>;

/** The request headers of the Messages API that go on to an Anthropic upstream (pass-through only). */
const FORWARDED_HEADERS = ['anthropic-version', 'anthropic-beta'] as const;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Anthropic words its validation errors `<path>: <problem>`; so do we, with the path as the param. */
function bad(path: string | null, problem: string): Result {
  return { ok: false, error: Errors.invalidRequest(path === null ? problem : `${path}: ${problem}`, path) };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

/** Characters of text a content value carries: text, thinking, tool inputs and results. */
function contentChars(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const b of content) {
    if (!isObject(b)) continue;
    if (typeof b['text'] === 'string') n += b['text'].length;
    if (typeof b['thinking'] === 'string') n += b['thinking'].length;
    if (b['type'] === 'tool_use') n += JSON.stringify(b['input'] ?? {}).length;
    if (b['type'] === 'tool_result') n += contentChars(b['content']);
  }
  return n;
}

function checkNumber(body: Json, name: string, min: number, max: number, integer = false): Result | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    return bad(name, `Input should be ${integer ? 'a valid integer' : 'a valid number'}, not ${describe(v)}.`);
  }
  if (v < min || v > max) return bad(name, `Input should be between ${min} and ${max}; got ${v}.`);
  return undefined;
}

function header(headers: IncomingHttpHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const s = Array.isArray(v) ? v.join(',') : v;
  return s === undefined || s.trim().length === 0 ? undefined : s.trim();
}

/**
 * Checks a Messages request as Anthropic's API checks it before spending anything (required members, their
 * types, roles, ranges), with its `<path>: <problem>` wording, and summarises it for admission, routing and
 * usage. Deeper checks (block shapes a provider refuses) are left to the upstream, or to the translation
 * for other providers. `countTokens`: the count_tokens endpoint, where max_tokens is not asked for.
 */
export function validateMessagesRequest(body: unknown, headers?: IncomingHttpHeaders, countTokens = false): Result {
  if (!isObject(body)) return bad(null, 'The request body must be a JSON object.');
  const { model, messages } = body;
  if (model === undefined) return bad('model', 'Field required.');
  if (typeof model !== 'string' || model.length === 0)
    return bad('model', `Input should be a non-empty string, not ${describe(model)}.`);
  if (!countTokens && body['max_tokens'] === undefined) return bad('max_tokens', 'Field required.');
  const numeric =
    checkNumber(body, 'max_tokens', 1, Number.MAX_SAFE_INTEGER, true) ??
    checkNumber(body, 'temperature', 0, 1) ??
    checkNumber(body, 'top_p', 0, 1) ??
    checkNumber(body, 'top_k', 0, Number.MAX_SAFE_INTEGER, true);
  if (numeric) return numeric;
  if (messages === undefined) return bad('messages', 'Field required.');
  if (!Array.isArray(messages)) return bad('messages', `Input should be a valid list, not ${describe(messages)}.`);
  if (messages.length === 0) return bad('messages', 'At least one message is required.');
  let promptChars = 0;
  for (const [i, m] of messages.entries()) {
    const at = `messages.${i}`;
    if (!isObject(m)) return bad(at, `Input should be an object, not ${describe(m)}.`);
    if (m['role'] !== 'user' && m['role'] !== 'assistant')
      return bad(`${at}.role`, "Input should be 'user' or 'assistant'.");
    const c = m['content'];
    if (typeof c !== 'string' && !Array.isArray(c))
      return bad(`${at}.content`, 'Input should be a string or a list of content blocks.');
    if (Array.isArray(c)) {
      for (const [j, b] of c.entries()) {
        if (!isObject(b) || typeof b['type'] !== 'string')
          return bad(`${at}.content.${j}`, 'Input should be a content block with a `type`.');
      }
    }
    promptChars += contentChars(c);
  }
  const system = body['system'];
  if (system !== undefined) {
    if (typeof system !== 'string' && !Array.isArray(system))
      return bad('system', 'Input should be a string or a list of text blocks.');
    promptChars += contentChars(system);
  }
  const stream = body['stream'];
  if (stream !== undefined && typeof stream !== 'boolean')
    return bad('stream', `Input should be a valid boolean, not ${describe(stream)}.`);
  const stop = body['stop_sequences'];
  if (stop !== undefined && !(Array.isArray(stop) && stop.every((s) => typeof s === 'string')))
    return bad('stop_sequences', 'Input should be a list of strings.');
  const tools = body['tools'];
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return bad('tools', `Input should be a valid list, not ${describe(tools)}.`);
    // Tool definitions are part of the prompt the model reads.
    promptChars += JSON.stringify(tools).length;
  }
  const toolChoice = body['tool_choice'];
  if (toolChoice !== undefined && !(isObject(toolChoice) && typeof toolChoice['type'] === 'string'))
    return bad('tool_choice', 'Input should be an object with a `type`.');
  const thinking = body['thinking'];
  if (thinking !== undefined && !(isObject(thinking) && typeof thinking['type'] === 'string'))
    return bad('thinking', 'Input should be an object with a `type`.');
  const metadata = body['metadata'];
  if (metadata !== undefined && !isObject(metadata)) return bad('metadata', 'Input should be an object.');
  const userId = isObject(metadata) ? metadata['user_id'] : undefined;
  if (userId !== undefined && userId !== null && typeof userId !== 'string')
    return bad('metadata.user_id', 'Input should be a valid string.');

  const clientHeaders: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const v = header(headers, name);
    if (v !== undefined) clientHeaders[name] = v;
  }
  const summary: RequestSummary = {
    model,
    stream: stream === true && !countTokens,
    includeUsage: false,
    tags: [],
    promptChars,
    strip: [],
  };
  if (typeof userId === 'string') summary.user = userId.slice(0, 256);
  if (typeof body['max_tokens'] === 'number') summary.maxTokens = body['max_tokens'];
  if (Object.keys(clientHeaders).length > 0) summary.clientHeaders = clientHeaders;
  if (countTokens) summary.countTokens = true;
  return { ok: true, value: summary };
}

import type { TokenUsage } from '@switchyard/contracts';
import type { ChatCompletion, CompletionUsage } from '../openai-types';
import type { ParsedResponse } from '../provider-adapter';
import { topLevelObjectFromEnd } from '../json/json.scan';
import { badResponse } from '../errors/bad-response';

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/** OpenAI usage → TokenUsage, including cached prompt tokens and reasoning tokens. */
export function toTokenUsage(u: CompletionUsage | null | undefined): TokenUsage {
  if (!u) return { promptTokens: 0, completionTokens: 0, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
  return {
    promptTokens: count(u.prompt_tokens),
    completionTokens: count(u.completion_tokens),
    cachedTokens: count(u.prompt_tokens_details?.cached_tokens),
    cacheWriteTokens: 0,
    reasoningTokens: count(u.completion_tokens_details?.reasoning_tokens),
    ...providerCost(u.cost),
  };
}

/** Nano-USD at most: a reported cost above a million dollars for one request is not a cost. */
const MAX_COST_NANOS = 1e15;

/**
 * A cost the provider reports in USD (OpenRouter's `usage.cost`), in nano-USD; nothing for a value that is
 * not a plausible cost (negative, not finite, absurdly large), which is then priced from the catalogue.
 */
function providerCost(usd: unknown): { costNanos?: number } {
  if (typeof usd !== 'number' || !Number.isFinite(usd) || usd < 0) return {};
  const nanos = Math.round(usd * 1e9);
  return nanos <= MAX_COST_NANOS ? { costNanos: nanos } : {};
}

const NOT_JSON =
  "The provider answered with a body that is not JSON. Retry the request; if it keeps failing, check the deployment's api_base.";
const NOT_A_COMPLETION =
  'The provider answered with JSON that is not a chat completion (no "choices"). Check that the deployment\'s api_base points at an OpenAI-compatible server.';

/** Characters of generated text in a parsed chat.completion: what a usage estimate counts when `usage` is missing. */
export function generatedCharsOfCompletion(doc: ChatCompletion): number {
  let chars = 0;
  const len = (v: unknown): number => (typeof v === 'string' ? v.length : 0);
  for (const c of doc.choices) {
    const m = (c as { message?: Record<string, unknown> } | null)?.message;
    if (m === null || typeof m !== 'object') continue;
    chars += len(m['content']) + len(m['refusal']) + len(m['reasoning_content']);
    const calls = m['tool_calls'];
    if (Array.isArray(calls))
      for (const call of calls)
        chars += len((call as { function?: { arguments?: unknown } } | null)?.function?.arguments);
  }
  return chars;
}

/**
 * A 2xx chat.completion body: the bytes go to the client unchanged (body: null); only usage is read.
 * The body is forwarded as is, so it is not parsed whole: `usage` is found from the end (where OpenAI
 * puts it, after the choices) and only that object is parsed, after cheap checks that the body is an
 * object with "choices". When that fails (no usage, or an unusual layout), the whole body is parsed.
 * A body that is not a chat completion is the upstream's fault: 502, so the router may try elsewhere.
 */
export function parseOpenAIResponse(body: string | Uint8Array): ParsedResponse {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let first = 0;
  while (first < b.length && (b[first] === 0x20 || b[first] === 0x0a || b[first] === 0x0d || b[first] === 0x09))
    first++;
  if (b[first] === 0x7b && b.indexOf('"choices"') !== -1) {
    const usageText = topLevelObjectFromEnd(b, 'usage');
    if (usageText !== undefined) {
      try {
        return { body: null, usage: toTokenUsage(JSON.parse(usageText) as CompletionUsage) };
      } catch {
        // fall through to the full parse, which reports what is wrong
      }
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(typeof body === 'string' ? body : b.toString('utf8'));
  } catch {
    throw badResponse(NOT_JSON);
  }
  if (doc === null || typeof doc !== 'object' || !Array.isArray((doc as ChatCompletion).choices)) {
    throw badResponse(NOT_A_COMPLETION);
  }
  const completion = doc as ChatCompletion;
  const u = completion.usage;
  if (u !== null && typeof u === 'object') return { body: null, usage: toTokenUsage(u) };
  // No usage (some compatible servers leave it out): the caller estimates from the generated text.
  return { body: null, usage: undefined, generatedChars: generatedCharsOfCompletion(completion) };
}

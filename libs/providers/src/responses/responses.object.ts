import type { TokenUsage } from '@switchyard/contracts';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Usage of a Responses API answer (`input_tokens` includes cached reads, `output_tokens` reasoning). */
export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** TokenUsage (inclusive counts, as the Responses API counts) → its usage object. */
export function toResponsesUsage(u: TokenUsage): ResponsesUsage {
  return {
    input_tokens: u.promptTokens,
    input_tokens_details: { cached_tokens: u.cachedTokens },
    output_tokens: u.completionTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: u.promptTokens + u.completionTokens,
  };
}

/** A Responses usage object read back into TokenUsage (a passthrough answer's usage). */
export function fromResponsesUsage(u: unknown): TokenUsage | undefined {
  if (!isObject(u) || typeof u['input_tokens'] !== 'number' || typeof u['output_tokens'] !== 'number') return undefined;
  const inDetails = isObject(u['input_tokens_details']) ? u['input_tokens_details'] : {};
  const outDetails = isObject(u['output_tokens_details']) ? u['output_tokens_details'] : {};
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
  return {
    promptTokens: num(u['input_tokens']),
    completionTokens: num(u['output_tokens']),
    cachedTokens: num(inDetails['cached_tokens']),
    cacheWriteTokens: 0,
    reasoningTokens: num(outDetails['reasoning_tokens']),
  };
}

/**
 * The members of a Response object that echo its request (OpenAI answers with them whatever the model
 * did): instructions, limits, sampling, tools, text format, reasoning, store, metadata, user.
 */
export function responseEcho(body: unknown): Json {
  const b = isObject(body) ? body : {};
  const reasoning = isObject(b['reasoning']) ? b['reasoning'] : {};
  const text = isObject(b['text']) ? b['text'] : {};
  return {
    instructions: typeof b['instructions'] === 'string' ? b['instructions'] : null,
    max_output_tokens: typeof b['max_output_tokens'] === 'number' ? b['max_output_tokens'] : null,
    parallel_tool_calls: b['parallel_tool_calls'] !== false,
    previous_response_id: typeof b['previous_response_id'] === 'string' ? b['previous_response_id'] : null,
    reasoning: {
      effort: typeof reasoning['effort'] === 'string' ? reasoning['effort'] : null,
      summary: typeof reasoning['summary'] === 'string' ? reasoning['summary'] : null,
    },
    store: b['store'] !== false,
    temperature: typeof b['temperature'] === 'number' ? b['temperature'] : 1,
    text: { format: isObject(text['format']) ? text['format'] : { type: 'text' } },
    tool_choice: b['tool_choice'] ?? 'auto',
    tools: Array.isArray(b['tools']) ? b['tools'] : [],
    top_p: typeof b['top_p'] === 'number' ? b['top_p'] : 1,
    truncation: 'disabled',
    user: typeof b['user'] === 'string' ? b['user'] : null,
    metadata: isObject(b['metadata']) ? b['metadata'] : {},
  };
}

/** Whether reasoning text is shown as summary parts: when the request asked for a summary (as OpenAI does). */
export function wantsReasoningSummary(body: unknown): boolean {
  const r = isObject(body) && isObject(body['reasoning']) ? body['reasoning'] : undefined;
  return typeof r?.['summary'] === 'string' && r['summary'] !== 'none';
}

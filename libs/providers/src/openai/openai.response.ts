import type { TokenUsage } from '@switchyard/contracts';
import type { ChatCompletion, CompletionUsage } from '../openai-types';
import { ProviderError, type ParsedResponse } from '../provider-adapter';

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/** OpenAI usage → TokenUsage, including cached prompt tokens and reasoning tokens. */
export function toTokenUsage(u: CompletionUsage | null | undefined): TokenUsage {
  if (!u) return { promptTokens: 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0 };
  return {
    promptTokens: count(u.prompt_tokens),
    completionTokens: count(u.completion_tokens),
    cachedTokens: count(u.prompt_tokens_details?.cached_tokens),
    reasoningTokens: count(u.completion_tokens_details?.reasoning_tokens),
  };
}

/**
 * A 2xx chat.completion body: the bytes go to the client unchanged (body: null); only usage is read.
 * A body that is not a chat completion is the upstream's fault: 502, so the router may try elsewhere.
 */
export function parseOpenAIResponse(text: string): ParsedResponse {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ProviderError({
      status: 502,
      type: 'api_error',
      code: 'upstream_bad_response',
      param: null,
      retryable: true,
      message:
        "The provider answered with a body that is not JSON. Retry the request; if it keeps failing, check the deployment's api_base.",
    });
  }
  if (doc === null || typeof doc !== 'object' || !Array.isArray((doc as ChatCompletion).choices)) {
    throw new ProviderError({
      status: 502,
      type: 'api_error',
      code: 'upstream_bad_response',
      param: null,
      retryable: true,
      message:
        'The provider answered with JSON that is not a chat completion (no "choices"). Check that the deployment\'s api_base points at an OpenAI-compatible server.',
    });
  }
  return { body: null, usage: toTokenUsage((doc as ChatCompletion).usage) };
}

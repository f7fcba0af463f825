import type { TokenUsage } from '@switchyard/contracts';
import type { CompletionUsage } from '../../openai-types';

/**
 * Usage in OpenAI's shape. OpenAI counts inclusively, as the contracts do, so the numbers carry over.
 * Cache writes have no OpenAI field: they stay inside `prompt_tokens` and, when there were any, are also
 * shown as a top-level `cache_creation_input_tokens`, as LiteLLM shows them (they are priced differently).
 */
export function toOpenAIUsage(u: TokenUsage): CompletionUsage {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedTokens },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
    ...(u.cacheWriteTokens > 0 && { cache_creation_input_tokens: u.cacheWriteTokens }),
  };
}

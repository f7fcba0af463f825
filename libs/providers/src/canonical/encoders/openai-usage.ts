import type { TokenUsage } from '@switchyard/contracts';
import type { CompletionUsage } from '../../openai-types';

/**
 * Usage in OpenAI's shape. OpenAI counts inclusively, as the contracts do, so the numbers carry over;
 * cache writes have no OpenAI field and stay inside `prompt_tokens`.
 */
export function toOpenAIUsage(u: TokenUsage): CompletionUsage {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedTokens },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
  };
}

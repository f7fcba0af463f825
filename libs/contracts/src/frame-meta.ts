import { z } from 'zod';

/**
 * Token usage, normalised to one convention whatever the provider reports (OpenAI's, which is inclusive):
 * - `promptTokens`: every input token, cached reads and cache writes included;
 * - `cachedTokens`: input tokens read from the provider's prompt cache (a part of `promptTokens`);
 * - `cacheWriteTokens`: input tokens written to the prompt cache (a part of `promptTokens`; Anthropic's
 *   `cache_creation_input_tokens`), so uncached input = prompt - cached - cacheWrite;
 * - `completionTokens`: every output token, reasoning included;
 * - `reasoningTokens`: output tokens spent on reasoning (a part of `completionTokens`).
 * Adapters of providers that count differently (Anthropic's `input_tokens` excludes cache reads and
 * writes) convert to this before reporting.
 */
export const TokenUsageSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  cachedTokens: z.number().int().nonnegative().default(0),
  cacheWriteTokens: z.number().int().nonnegative().default(0),
  reasoningTokens: z.number().int().nonnegative().default(0),
});
export type TokenUsage = z.infer<typeof TokenUsageSchema>;

/** What the translator knows about an attempt, carried in the `sy-meta` header of the last frame. */
export const FrameMetaSchema = z.object({
  status: z.number().int(),
  deploymentId: z.string().optional(),
  provider: z.string().optional(),
  upstreamModel: z.string().optional(),
  usage: TokenUsageSchema.optional(),
  /** Upstream latency, request start to last byte, ms. */
  latencyMs: z.number().nonnegative().optional(),
  /** Upstream time to first token, ms (streams only). */
  ttftMs: z.number().nonnegative().optional(),
  /** Seconds the client should wait before retrying (from the upstream's Retry-After), on errors. */
  retryAfter: z.number().nonnegative().optional(),
  errorType: z.string().optional(),
  errorCode: z.string().optional(),
  /** Position of the deployment in the fallback chain: 0 is the first choice. */
  fallbackDepth: z.number().int().nonnegative().optional(),
});
export type FrameMeta = z.infer<typeof FrameMetaSchema>;

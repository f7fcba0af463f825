import { z } from 'zod';

export const TokenUsageSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  cachedTokens: z.number().int().nonnegative().default(0),
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

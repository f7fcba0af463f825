import { z } from 'zod';
import { ERROR_KINDS, type ErrorKind } from './gateway-error';

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
  /**
   * What the provider says the request cost, in nano-USD, when it reports it (OpenRouter's `usage.cost`):
   * spend records this figure rather than a catalogue price.
   */
  costNanos: z.number().int().nonnegative().optional(),
});
export type TokenUsage = z.infer<typeof TokenUsageSchema>;

/** One attempt of a request, as the route trail records it. */
export interface AttemptRecord {
  /** 1 for the first attempt. */
  attempt: number;
  deploymentId: string;
  provider?: string;
  /** HTTP-like status the attempt ended with (200 on success). */
  status: number;
  errorKind?: ErrorKind;
  /** Upstream latency of the attempt, ms. */
  latencyMs?: number;
  usage?: TokenUsage;
}

/** The attempts of one request so far, oldest first. Travels with each execute command (H.trail). */
export type RouteTrail = AttemptRecord[];

/** At most this many attempts are carried in a trail; older ones are dropped (the count stays in `attempt`). */
export const MAX_TRAIL = 16;

/** What the translator knows about an attempt, carried in the `sy-meta` header of its final frame. */
export interface FrameMeta {
  status: number;
  /** The attempt this frame belongs to (also in H.attempt). */
  attempt?: number;
  deploymentId?: string;
  provider?: string;
  upstreamModel?: string;
  usage?: TokenUsage;
  /** `usage` is (partly) an estimate from characters: the upstream reported none. */
  usageEstimated?: boolean;
  /** The upstream reported a count out of range; `usage` holds it brought to the bound (USAGE_EVENT_LIMITS). */
  usageClamped?: boolean;
  /** Why the answer ended, in OpenAI's words (`stop`, `length`, `tool_calls`, ...); absent when it did not finish. */
  finishReason?: string;
  /** Upstream latency, request start to last byte, ms. */
  latencyMs?: number;
  /** Upstream time to first token, ms (streams only). */
  ttftMs?: number;
  /** Seconds the client should wait before retrying (from the upstream's Retry-After), on errors. */
  retryAfter?: number;
  errorKind?: ErrorKind;
  /** The error's code (ErrorCode or the provider's), on errors. */
  errorCode?: string;
  /** The OpenAI-style error type, on errors (recorded on the usage event). */
  errorType?: string;
  /** Position of the deployment in the fallback chain: 0 is the first choice. */
  fallbackDepth?: number;
  /** Every attempt of the request, this one last (final frames only). */
  trail?: RouteTrail;
  /**
   * What this attempt cost in nano-USD as the translator priced it from `usage` (spend prices it the same
   * way): the gateway's `x-switchyard-cost`. Absent when no price is known.
   */
  costNanos?: number;
}

const ms = () => z.number().nonnegative();
/** Runtime check of FrameMeta, for tests and for frames from outside this process's trust (not the hot path). */
export const FrameMetaSchema = z
  .object({
    status: z.number().int(),
    attempt: z.number().int().positive().optional(),
    deploymentId: z.string().optional(),
    provider: z.string().optional(),
    upstreamModel: z.string().optional(),
    usage: TokenUsageSchema.optional(),
    usageEstimated: z.boolean().optional(),
    usageClamped: z.boolean().optional(),
    finishReason: z.string().optional(),
    latencyMs: ms().optional(),
    ttftMs: ms().optional(),
    retryAfter: ms().optional(),
    errorKind: z.enum(ERROR_KINDS as [ErrorKind, ...ErrorKind[]]).optional(),
    errorCode: z.string().optional(),
    errorType: z.string().optional(),
    fallbackDepth: z.number().int().nonnegative().optional(),
    costNanos: z.number().int().nonnegative().optional(),
    trail: z
      .array(
        z.object({
          attempt: z.number().int().positive(),
          deploymentId: z.string(),
          provider: z.string().optional(),
          status: z.number().int(),
          errorKind: z.enum(ERROR_KINDS as [ErrorKind, ...ErrorKind[]]).optional(),
          latencyMs: ms().optional(),
          usage: TokenUsageSchema.optional(),
        }),
      )
      .optional(),
  })
  .passthrough();

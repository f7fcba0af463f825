import { z } from 'zod';

/**
 * One event per client request, whatever its outcome, published by the gateway to JetStream
 * (message id = requestId, so a retried publish is deduplicated) and consumed by spend.
 */
export const UsageRecordedEventSchema = z.object({
  requestId: z.string().min(1).max(128),
  /** Epoch milliseconds when the gateway received the request. */
  ts: z.number().int().nonnegative(),
  keyId: z.string().nullable(),
  teamId: z.string().nullable(),
  userId: z.string().nullable().default(null),
  endUser: z.string().max(256).nullable().default(null),
  /** Model name the client asked for. */
  requestedModel: z.string().max(256),
  deploymentId: z.string().nullable(),
  provider: z.string().nullable(),
  /** Model the upstream was asked for (what pricing uses). */
  upstreamModel: z.string().nullable(),
  status: z.number().int(),
  errorType: z.string().nullable().default(null),
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  cachedTokens: z.number().int().nonnegative().default(0),
  reasoningTokens: z.number().int().nonnegative().default(0),
  /** Total time in the gateway, ms. */
  latencyMs: z.number().nonnegative(),
  ttftMs: z.number().nonnegative().nullable().default(null),
  stream: z.boolean(),
  cacheHit: z.boolean().default(false),
  fallbackDepth: z.number().int().nonnegative().default(0),
  tags: z.array(z.string().max(128)).max(32).default([]),
});
export type UsageRecordedEvent = z.infer<typeof UsageRecordedEventSchema>;
export type UsageRecordedEventInput = z.input<typeof UsageRecordedEventSchema>;

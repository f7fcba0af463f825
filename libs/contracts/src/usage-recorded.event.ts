import { z } from 'zod';
import { ERROR_KINDS, type ErrorKind } from './gateway-error';
import { storableText } from './storable-text';

/**
 * Bounds that keep every event storable: spend writes request, key and team ids to Postgres `text`
 * (which refuses U+0000) and the row to ClickHouse (UInt64 tokens, DateTime seconds, UInt32 ms, UInt16
 * status, UInt8 fallback depth). An event outside them can never be stored, so it is rejected when it
 * is decoded instead of coming back forever.
 */
export const USAGE_EVENT_LIMITS = {
  /** Per token count: far above any context window, far below 2^53. */
  maxTokens: 1_000_000_000,
  /** 2020-01-01T00:00:00Z and 2100-01-01T00:00:00Z in epoch ms. */
  minTs: Date.UTC(2020, 0, 1),
  maxTs: Date.UTC(2100, 0, 1),
  /**
   * Latency and time to first token, ms: two days. Config timeouts are capped at one day, and the gateway
   * waits a grace period past them and then still writes the answer, so a real event can exceed one day
   * by a little; a bound at exactly one day could reject (and so leave unbilled) such a request.
   */
  maxDurationMs: 2 * 86_400_000,
  maxStatus: 999,
  maxFallbackDepth: 255,
  maxTags: 32,
} as const;

/** A token count brought into [0, maxTokens] as an integer (NaN reads as 0). */
export function clampTokens(n: number): number {
  if (!(n > 0)) return 0;
  return n >= USAGE_EVENT_LIMITS.maxTokens ? USAGE_EVENT_LIMITS.maxTokens : Math.floor(n);
}

const TOKEN_FIELDS = [
  'promptTokens',
  'completionTokens',
  'cachedTokens',
  'cacheWriteTokens',
  'reasoningTokens',
] as const;
type TokenFields = Record<(typeof TOKEN_FIELDS)[number], number>;

/** Brings every token count of `u` into range, in place; true when one changed. */
export function clampUsageInPlace(u: TokenFields): boolean {
  let changed = false;
  for (const f of TOKEN_FIELDS) {
    const v = clampTokens(u[f]);
    if (v !== u[f]) {
      u[f] = v;
      changed = true;
    }
  }
  return changed;
}

function clampEventUsage<E extends TokenFields & { usageClamped: boolean; attempts: { usage?: TokenFields }[] }>(
  e: E,
): E {
  let clamped = clampUsageInPlace(e);
  for (const a of e.attempts) if (a.usage !== undefined && clampUsageInPlace(a.usage)) clamped = true;
  if (clamped) e.usageClamped = true;
  return e;
}

const NUL = /\u0000/;

/** An id or name the gateway or the config produces: rejected when it holds U+0000 (Postgres refuses it). */
const id = () => z.string().refine((s) => !NUL.test(s), 'must not contain U+0000');

/**
 * A string the client (or a provider) chose (model name, `user`, tags, error type): made storable rather than
 * rejected (U+0000 and lone surrogates become U+FFFD, the length is cut to `max`), so nobody can make a
 * request's usage event invalid, and therefore unbilled or missing from analytics.
 */
const clientText = (max: number) => z.string().transform((s) => storableText(s, max));

/**
 * A token count as an upstream reported it: any number is taken (an absurd `prompt_tokens: 1e300` must not
 * cost the request its usage row) and brought into range by the event's transform, which flags it.
 */
const tokens = () => z.number();
const durationMs = () => z.number().nonnegative().max(USAGE_EVENT_LIMITS.maxDurationMs);

/**
 * One event per client request, whatever its outcome, published by the gateway to JetStream
 * (message id = requestId, so a retried publish is deduplicated) and consumed by spend.
 */
export const UsageRecordedEventSchema = z
  .object({
    requestId: id().min(1).max(128),
    /** Epoch milliseconds when the gateway received the request. */
    ts: z.number().int().min(USAGE_EVENT_LIMITS.minTs).max(USAGE_EVENT_LIMITS.maxTs),
    keyId: id().nullable(),
    teamId: id().nullable(),
    userId: id().nullable().default(null),
    /** The organisation of the key's team (else of its user), for analytics per organisation. */
    orgId: id().nullable().default(null),
    endUser: clientText(256).nullable().default(null),
    /** Model name the client asked for. */
    requestedModel: clientText(256),
    deploymentId: id().nullable(),
    provider: id().nullable(),
    /** Model the upstream was asked for (what pricing uses). */
    upstreamModel: id().nullable(),
    status: z.number().int().nonnegative().max(USAGE_EVENT_LIMITS.maxStatus),
    /** An OpenAI-style error type; a provider may have chosen it. */
    errorType: clientText(128).nullable().default(null),
    promptTokens: tokens(),
    completionTokens: tokens(),
    /** Token fields follow TokenUsage's convention (frame-meta.ts): cached and cache-write tokens are part of promptTokens. */
    cachedTokens: tokens().default(0),
    cacheWriteTokens: tokens().default(0),
    reasoningTokens: tokens().default(0),
    /** The cost the provider reported for the request (nano-USD), when it reports one: it wins over the catalogue. */
    providerCostNanos: z.number().int().nonnegative().max(1e15).nullable().default(null),
    /** Why the answer ended, in OpenAI's words (`stop`, `length`, `tool_calls`, `content_filter`); null when it did not (an error, a client that left). */
    finishReason: clientText(32).nullable().default(null),
    /** Total time in the gateway, ms. */
    latencyMs: durationMs(),
    ttftMs: durationMs().nullable().default(null),
    stream: z.boolean(),
    cacheHit: z.boolean().default(false),
    fallbackDepth: z.number().int().nonnegative().max(USAGE_EVENT_LIMITS.maxFallbackDepth).default(0),
    tags: z
      .array(clientText(128))
      .transform((t) => t.slice(0, USAGE_EVENT_LIMITS.maxTags))
      .default([]),
    /** Some token count is an estimate from characters: the upstream reported none (it failed, or left usage out). */
    usageEstimated: z.boolean().default(false),
    /** Some token count was out of range (negative, fractional, above maxTokens) and was brought to the bound. */
    usageClamped: z.boolean().default(false),
    /** The route trail: every attempt of the request (deployment, status, error kind, latency, usage), oldest first. */
    attempts: z
      .array(
        z.object({
          attempt: z
            .number()
            .int()
            .positive()
            .max(USAGE_EVENT_LIMITS.maxFallbackDepth + 1),
          deploymentId: id().max(256),
          provider: id().max(64).optional(),
          status: z.number().int().nonnegative().max(USAGE_EVENT_LIMITS.maxStatus),
          errorKind: z.enum(ERROR_KINDS as [ErrorKind, ...ErrorKind[]]).optional(),
          latencyMs: durationMs().optional(),
          usage: z
            .object({
              promptTokens: tokens(),
              completionTokens: tokens(),
              cachedTokens: tokens().default(0),
              cacheWriteTokens: tokens().default(0),
              reasoningTokens: tokens().default(0),
              /** What the provider said this attempt cost (nano-USD), when it says. */
              costNanos: z.number().int().nonnegative().max(1e15).optional(),
            })
            .optional(),
        }),
      )
      .max(16)
      .default([]),
  })
  .transform(clampEventUsage);
export type UsageRecordedEvent = z.infer<typeof UsageRecordedEventSchema>;
export type UsageRecordedEventInput = z.input<typeof UsageRecordedEventSchema>;

import type { UsageRecordedEvent } from '@switchyard/contracts';

/** One row of the ClickHouse `usage` table, in TypeScript's casing. Ids are '' where there is none. */
export interface UsageRow {
  requestId: string;
  /** When the gateway received the request, epoch milliseconds (stored to the second). */
  ts: number;
  orgId: string;
  teamId: string;
  userId: string;
  keyId: string;
  endUser: string;
  tags: string[];
  requestedModel: string;
  deploymentId: string;
  provider: string;
  upstreamModel: string;
  status: number;
  errorType: string;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  costNanos: bigint;
  latencyMs: number;
  ttftMs: number | null;
  stream: boolean;
  cacheHit: boolean;
  fallbackDepth: number;
  usageEstimated: boolean;
  usageClamped: boolean;
  /** Input tokens written to the prompt cache (part of promptTokens). */
  cacheWriteTokens?: number;
  /** Why the answer ended (OpenAI's words); '' when it did not finish. */
  finishReason?: string;
  /** How the cost was made; absent on rows built from a bare amount. */
  cost?: UsageCost;
}

/**
 * A request's cost as spend priced it. costNanos = the parts + retryCostNanos (earlier attempts a provider
 * billed). Parts are 0 when the provider reported the cost itself (priceSource 'provider').
 */
export interface UsageCost {
  inputCostNanos: bigint;
  cachedCostNanos: bigint;
  cacheWriteCostNanos: bigint;
  outputCostNanos: bigint;
  reasoningCostNanos: bigint;
  /** Per-request and per-image prices. */
  otherCostNanos: bigint;
  retryCostNanos: bigint;
  billedAttempts: number;
  /** Some attempt had usage and no known price. */
  unpriced: boolean;
  /** 'catalogue', 'override' (the deployment's own prices), 'provider' (reported by it), '' when none. */
  priceSource: string;
  /** The model name the price was found by (base_model or upstream model). */
  pricedAs: string;
  catalogueVersion: string;
}

/** The row for a usage event priced at `costNanos`. */
export function usageRowFromEvent(
  e: UsageRecordedEvent,
  costNanos: bigint,
  orgId: string | null = null,
  cost?: UsageCost,
): UsageRow {
  return {
    requestId: e.requestId,
    ts: e.ts,
    orgId: orgId ?? '',
    teamId: e.teamId ?? '',
    userId: e.userId ?? '',
    keyId: e.keyId ?? '',
    endUser: e.endUser ?? '',
    tags: e.tags,
    requestedModel: e.requestedModel,
    deploymentId: e.deploymentId ?? '',
    provider: e.provider ?? '',
    upstreamModel: e.upstreamModel ?? '',
    status: e.status,
    errorType: e.errorType ?? '',
    promptTokens: e.promptTokens,
    completionTokens: e.completionTokens,
    cachedTokens: e.cachedTokens,
    reasoningTokens: e.reasoningTokens,
    costNanos,
    latencyMs: e.latencyMs,
    ttftMs: e.ttftMs,
    stream: e.stream,
    cacheHit: e.cacheHit,
    fallbackDepth: e.fallbackDepth,
    usageEstimated: e.usageEstimated,
    usageClamped: e.usageClamped,
    cacheWriteTokens: e.cacheWriteTokens,
    finishReason: e.finishReason ?? '',
    ...(cost && { cost }),
  };
}

import { Inject, Injectable } from '@nestjs/common';
import { clampUsageInPlace, storableText, USAGE_EVENT_LIMITS, type TokenUsage } from '@switchyard/contracts';
import { CLIENT_ENDED, type Outcome, type RequestBase } from '../pipeline/outcome';
import { UsagePublisherService } from './usage-publisher.service';

/**
 * Turns what a request learnt into its one usage event, whatever its outcome. The event is made storable
 * here, at the edge: text a client or provider chose is well-formed and bounded, and token counts are in
 * range (an out-of-range count is brought to the bound and flagged), so no field can cost the request its
 * ledger or analytics row.
 */
@Injectable()
export class UsageRecorder {
  constructor(@Inject(UsagePublisherService) private readonly usage: UsagePublisherService) {}

  record(base: RequestBase, outcome: Outcome): void {
    const meta = outcome.meta;
    const u: TokenUsage = { ...NO_USAGE, ...meta?.usage };
    const attempts = (meta?.trail ?? []).map((a) => (a.usage ? { ...a, usage: { ...a.usage } } : a));
    let clamped = meta?.usageClamped === true || clampUsageInPlace(u);
    for (const a of attempts) if (a.usage !== undefined && clampUsageInPlace(a.usage)) clamped = true;
    const errorType = outcome.errorType ?? meta?.errorType;
    const status = outcome.errorType !== undefined && CLIENT_ENDED.has(outcome.errorType) ? 499 : outcome.status;
    this.usage.publish({
      requestId: base.requestId,
      ts: base.startedAt,
      keyId: base.principal?.keyId ?? null,
      teamId: base.principal?.teamId ?? null,
      userId: base.principal?.userId ?? null,
      orgId: base.principal?.organizationId ?? null,
      endUser: base.summary?.user === undefined ? null : storableText(base.summary.user, 256),
      // What the client asked for: an auto route's virtual model, not the group its rules chose (upstreamModel says).
      requestedModel: storableText(base.summary?.autoRoute?.from ?? base.summary?.model ?? '', 256),
      deploymentId: meta?.deploymentId ?? null,
      provider: meta?.provider ?? null,
      upstreamModel: meta?.upstreamModel ?? null,
      status,
      errorType: errorType === undefined ? null : storableText(errorType, 128),
      promptTokens: u.promptTokens,
      completionTokens: u.completionTokens,
      cachedTokens: u.cachedTokens,
      cacheWriteTokens: u.cacheWriteTokens,
      reasoningTokens: u.reasoningTokens,
      providerCostNanos: u.costNanos ?? null,
      finishReason: meta?.finishReason === undefined ? null : storableText(meta.finishReason, 32),
      usageEstimated: meta?.usageEstimated === true,
      usageClamped: clamped,
      latencyMs: performance.now() - base.t0,
      ttftMs: base.summary?.stream && outcome.firstByteAt ? outcome.firstByteAt - base.t0 : null,
      stream: base.summary?.stream ?? false,
      cacheHit: false,
      // The router numbers fallback groups (retries within a group are not fallbacks): absent means none.
      fallbackDepth: meta?.fallbackDepth ?? 0,
      tags: (base.summary?.tags ?? []).slice(0, USAGE_EVENT_LIMITS.maxTags).map((t) => storableText(t, 128)),
      attempts,
    });
  }
}

const NO_USAGE: TokenUsage = {
  promptTokens: 0,
  completionTokens: 0,
  cachedTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
};

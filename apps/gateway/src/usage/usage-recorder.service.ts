import { Inject, Injectable } from '@nestjs/common';
import { CLIENT_ENDED, type Outcome, type RequestBase } from '../pipeline/outcome';
import { UsagePublisherService } from './usage-publisher.service';

/** Turns what a request learnt into its one usage event, whatever its outcome. */
@Injectable()
export class UsageRecorder {
  constructor(@Inject(UsagePublisherService) private readonly usage: UsagePublisherService) {}

  record(base: RequestBase, outcome: Outcome): void {
    const meta = outcome.meta;
    const u = meta?.usage;
    const status = outcome.errorType !== undefined && CLIENT_ENDED.has(outcome.errorType) ? 499 : outcome.status;
    this.usage.publish({
      requestId: base.requestId,
      ts: base.startedAt,
      keyId: base.principal?.keyId ?? null,
      teamId: base.principal?.teamId ?? null,
      userId: null,
      endUser: base.summary?.user ?? null,
      requestedModel: (base.summary?.model ?? '').slice(0, 256),
      deploymentId: meta?.deploymentId ?? null,
      provider: meta?.provider ?? null,
      upstreamModel: meta?.upstreamModel ?? null,
      status,
      errorType: outcome.errorType ?? meta?.errorType ?? null,
      promptTokens: u?.promptTokens ?? 0,
      completionTokens: u?.completionTokens ?? 0,
      cachedTokens: u?.cachedTokens ?? 0,
      cacheWriteTokens: u?.cacheWriteTokens ?? 0,
      reasoningTokens: u?.reasoningTokens ?? 0,
      latencyMs: performance.now() - base.t0,
      ttftMs: base.summary?.stream && outcome.firstByteAt ? outcome.firstByteAt - base.t0 : null,
      stream: base.summary?.stream ?? false,
      cacheHit: false,
      fallbackDepth: meta?.fallbackDepth ?? Math.max(0, (meta?.trail?.length ?? 1) - 1),
      tags: base.summary?.tags ?? [],
      attempts: meta?.trail ?? [],
    });
  }
}

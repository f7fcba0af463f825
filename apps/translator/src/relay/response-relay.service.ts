import { Inject, Injectable } from '@nestjs/common';
import { estimateUsage, finishReasonOfAnswer, ProviderError } from '@switchyard/providers';
import { promptEstimate, settle, type Attempt } from '../attempts/attempt';
import { tooLarge } from '../attempts/translator-errors';
import { TRANSLATOR_OPTIONS, type TranslatorOptions } from '../translator.options';
import { readAll, type UpstreamReply } from '../upstream/upstream-client.service';
import { transportError } from '@switchyard/providers';
import { FramePublisher } from './frame-publisher.service';
import { usdText, withUsageCost } from './usage-cost';

/** A non-streamed answer: read it whole (bounded), interpret it, send it to the client in one go. */
@Injectable()
export class ResponseRelay {
  constructor(
    @Inject(FramePublisher) private readonly frames: FramePublisher,
    @Inject(TRANSLATOR_OPTIONS) private readonly options: TranslatorOptions,
  ) {}

  async relay(a: Attempt, reply: UpstreamReply): Promise<void> {
    const limit = this.options.maxResponseBytes;
    let bytes: Buffer | undefined;
    try {
      bytes = await readAll(reply.body, limit, 'stop');
    } catch (e) {
      // Cut off mid-body (a reset, the deadline): the provider received the prompt and may bill it.
      if (!settle(a)) return;
      return this.fail(a, transportError(e, a.prepared.ctx, a.timedOut, true), true);
    }
    if (bytes === undefined) reply.discard();
    if (!settle(a)) return;
    if (bytes === undefined) return this.fail(a, tooLarge(a.prepared, limit));
    let parsed;
    try {
      parsed = a.op.parseResponse(bytes, reply.headers);
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
      // A 200 that is not an answer is not relayed as one; the provider may still bill the prompt.
      return this.fail(a, e.gatewayError, true);
    }
    // Some OpenAI-compatible servers leave usage out: bill an estimate rather than nothing.
    const usage =
      parsed.usage ??
      estimateUsage({ promptChars: a.input.summary.promptChars, completionChars: parsed.generatedChars ?? 0 });
    a.committed = true;
    const meta = this.frames.meta(a, 200, usage, undefined, parsed.usage === undefined);
    const text = parsed.body ?? bytes.toString('utf8');
    const finishReason = finishReasonOfAnswer(text);
    if (finishReason !== undefined) meta.finishReason = finishReason;
    let body = parsed.body === null ? bytes : Buffer.from(parsed.body, 'utf8');
    // OpenAI-shaped answers carry their cost in usage.cost, as OpenRouter's do.
    if (meta.costNanos !== undefined && a.prepared.adapter?.api === 'openai.chat')
      body = Buffer.from(withUsageCost(body.toString('utf8'), usdText(BigInt(meta.costNanos))), 'utf8');
    this.frames.response(a, body, meta);
  }

  private fail(a: Attempt, error: Parameters<FramePublisher['failBeforeCommit']>[4], billed = false): void {
    this.frames.failBeforeCommit(
      a.request,
      a.requestId,
      a.attempt,
      a.prepared,
      error,
      a.t0,
      undefined,
      a.trail,
      billed ? promptEstimate(a) : undefined,
    );
  }
}

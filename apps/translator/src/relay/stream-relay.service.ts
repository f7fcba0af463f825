import { Inject, Injectable } from '@nestjs/common';
import type { GatewayError, TokenUsage } from '@switchyard/contracts';
import {
  createFrameDecoder,
  estimateUsage,
  FrameDecodeError,
  transportError,
  type FramedEvent,
  type StreamFraming,
} from '@switchyard/providers';
import { performance } from 'node:perf_hooks';
import { billedSoFar, settle, type Attempt } from '../attempts/attempt';
import { readAll } from '../upstream/upstream-client.service';
import type { UpstreamReply } from '../upstream/upstream-client.service';
import { attemptCostNanos, usdText, withUsageCost } from './usage-cost';
import { FramePublisher } from './frame-publisher.service';

/**
 * A streamed answer: decodes the upstream's framing, translates each event for the client, and sends the
 * chunks to the gateway as they come.
 *
 * Commit point: nothing goes to the client until the first content, tool-call or refusal delta. The
 * preamble (OpenAI's empty role chunk, say) is held back meanwhile, so an attempt that fails before saying
 * anything real fails back to the router, which may still retry or fall back, and the client never saw it.
 */
@Injectable()
export class StreamRelay {
  constructor(@Inject(FramePublisher) private readonly frames: FramePublisher) {}

  async relay(a: Attempt, reply: UpstreamReply): Promise<void> {
    const adapter = a.prepared.adapter!;
    if (adapter.streamFraming === 'sse' && isJson(reply.headers['content-type']))
      return this.answeredWithJson(a, reply);
    const translator = a.op.createStreamTranslator({
      includeUsage: a.input.summary.includeUsage,
      request: {
        id: a.op.answerId,
        model: a.input.summary.model,
        n: a.input.summary.n ?? 1,
        promptChars: a.input.summary.promptChars,
      },
    });
    const state = translator.state;
    a.stream = state;
    // The decoder is the one made for the framing the adapter declares (SSE, AWS event stream, JSON, NDJSON).
    const decoder = createFrameDecoder(adapter.streamFraming);
    /** Wire text held back until the attempt commits. */
    let held = '';
    /** A throw while publishing is NATS failing (a closing connection), not the upstream. */
    let publishing = false;
    let failure: GatewayError | undefined;

    const openaiChat = adapter.api === 'openai.chat';
    const send = (text: string): void => {
      // The chunk that reports usage (the last, with stream_options.include_usage) carries its cost too.
      if (openaiChat && state.usage !== undefined && text.includes('"usage"')) {
        const cost = attemptCostNanos(a, state.usage);
        if (cost !== undefined) text = withUsageCost(text, usdText(cost));
      }
      a.committed = true;
      publishing = true;
      this.frames.chunk(a, Buffer.from(text, 'utf8'));
      publishing = false;
    };
    const feed = (events: FramedEvent[StreamFraming][]): void => {
      if (a.settled) return; // cancelled: the client is gone
      let out = '';
      for (let i = 0; i < events.length; i++) {
        out += translator.push(events[i]!);
        if (a.ttftMs === undefined && state.contentSeen) a.ttftMs = performance.now() - a.t0;
        if (state.error !== undefined) break;
      }
      emit(out);
    };
    /** Sends wire text, holding it back until the attempt commits (its first real content). */
    const emit = (out: string): void => {
      if (out.length === 0) return;
      if (a.committed) return send(out);
      held += out;
      if (state.contentSeen) {
        const text = held;
        held = '';
        send(text);
      }
    };

    try {
      for await (const piece of reply.body) {
        feed(decoder.push(piece));
        if (state.error !== undefined || a.settled) break;
      }
      if (state.error === undefined && !a.settled) {
        feed(decoder.end());
        // The adapter's closing chunks (a usage chunk, a final event) go out like any other.
        if (!a.settled) emit(translator.end());
      }
      failure = state.error;
    } catch (e) {
      if (publishing) {
        reply.discard();
        throw e; // the runner ends the attempt as an unexpected failure
      }
      if (e instanceof FrameDecodeError) {
        // What decoded before the fault still counts (it may have committed the attempt).
        feed(e.events as FramedEvent[StreamFraming][]);
        failure = undecodable(a, e);
      } else {
        failure = transportError(e, a.prepared.ctx, a.timedOut, true);
      }
    }
    if (failure !== undefined || a.settled) reply.discard();
    if (!settle(a)) return; // cancelled: the 499 went out already, and the abort is no failure

    if (failure === undefined) {
      // A complete answer without any content (an empty reply) commits at its end.
      if (held.length > 0) send(held);
      const billed = billedSoFar(a);
      this.frames.done(a, this.frames.meta(a, 200, billed.usage, a.ttftMs, billed.estimated));
      return;
    }
    // The provider took the request and may have generated part of an answer: bill what it reported, else an estimate.
    const billed = billedSoFar(a);
    if (!a.committed) {
      return this.frames.failBeforeCommit(
        a.request,
        a.requestId,
        a.attempt,
        a.prepared,
        failure,
        a.t0,
        undefined,
        a.trail,
        billed,
      );
    }
    this.frames.logFailure(a.requestId, a.prepared, failure, true);
    this.frames.endCommitted(a, failure, this.frames.meta(a, failure.status, billed.usage, a.ttftMs, billed.estimated));
  }

  /**
   * A stream asked for, a JSON body received (a server that ignores `stream`, or a proxy's JSON error with
   * status 200): not a stream the client can be given. It fails back to the router (retryable) carrying the
   * usage the body reports, else the estimate, since the provider may have billed a whole answer.
   */
  private async answeredWithJson(a: Attempt, reply: UpstreamReply): Promise<void> {
    let bytes: Buffer | undefined;
    let failure: GatewayError | undefined;
    try {
      bytes = await readAll(reply.body, MAX_JSON_BODY_BYTES, 'drop');
    } catch (e) {
      failure = transportError(e, a.prepared.ctx, a.timedOut, true);
    }
    if (!settle(a)) return;
    let billed: { usage: TokenUsage; estimated: boolean } | undefined;
    if (bytes !== undefined) {
      try {
        const parsed = a.op.parseResponse(bytes, reply.headers);
        billed =
          parsed.usage !== undefined
            ? { usage: parsed.usage, estimated: false }
            : {
                usage: estimateUsage({
                  promptChars: a.input.summary.promptChars,
                  completionChars: parsed.generatedChars ?? 0,
                }),
                estimated: true,
              };
      } catch {
        // Not an answer either: only the prompt may have been billed.
      }
    }
    billed ??= {
      usage: estimateUsage({ promptChars: a.input.summary.promptChars, completionChars: 0 }),
      estimated: true,
    };
    failure ??= {
      kind: 'upstream_5xx',
      status: 502,
      type: 'api_error',
      code: 'upstream_bad_stream',
      param: null,
      retryable: true,
      message: `The provider of model '${a.prepared.deployment.modelName}' answered a streamed request with JSON instead of an event stream. Retry the request, or ask without stream; another deployment may serve it.`,
    };
    this.frames.failBeforeCommit(a.request, a.requestId, a.attempt, a.prepared, failure, a.t0, 200, a.trail, billed);
  }
}

/** A JSON body where a stream was asked for is read to find its usage, up to this size. */
const MAX_JSON_BODY_BYTES = 8 * 1024 * 1024;

function isJson(contentType: string | string[] | undefined): boolean {
  const v = Array.isArray(contentType) ? contentType[0] : contentType;
  return v !== undefined && /^\s*application\/(?:[\w.+-]+\+)?json\b/i.test(v);
}

function undecodable(a: Attempt, e: FrameDecodeError): GatewayError {
  return {
    kind: 'upstream_5xx',
    status: 502,
    type: 'api_error',
    code: 'upstream_bad_stream',
    param: null,
    retryable: true,
    message: `The stream of model '${a.prepared.deployment.modelName}' could not be decoded (${e.framing}: ${e.code}). Retry the request; another deployment may serve it.`,
  };
}

import type { GatewayError, TokenUsage } from '@switchyard/contracts';
import type { CanonicalFinishReason, TokenLogprob } from '../canonical/canonical-event.types';
import type { CanonicalSink, NativeStreamReader } from '../canonical/canonical-stream';
import { classifyUpstream } from '../errors/error-classifier';
import { scrubSecrets } from '../openai/openai.errors';
import { clientMessage, refusalCode } from '../errors/upstream-status-error';
import type { SseEvent } from '../sse/sse.parser';
import type { CohereLogprobItem, CohereStreamEvent, CohereUsage } from './cohere.types';

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/**
 * Cohere usage → TokenUsage: `tokens` (what the model read and wrote) when reported, else `billed_units`.
 * `cached_tokens` are prompt tokens read from Cohere's cache, inside the input count. Cohere reports no
 * separate count of thinking tokens: they are inside the output tokens, and reasoningTokens stays 0.
 */
export function cohereUsage(u: CohereUsage | null | undefined): TokenUsage | undefined {
  if (u === null || u === undefined || typeof u !== 'object') return undefined;
  const has = (x: { input_tokens?: number; output_tokens?: number } | null | undefined) =>
    x !== null && x !== undefined && (x.input_tokens !== undefined || x.output_tokens !== undefined);
  const src = has(u.tokens) ? u.tokens : has(u.billed_units) ? u.billed_units : undefined;
  if (src === undefined || src === null) return undefined;
  const promptTokens = count(src.input_tokens);
  return {
    promptTokens,
    completionTokens: count(src.output_tokens),
    cachedTokens: Math.min(count(u.cached_tokens), promptTokens),
    cacheWriteTokens: 0,
    reasoningTokens: 0,
  };
}

/**
 * Cohere's log-probabilities → OpenAI's. Cohere gives one number per token id of a text piece but not each
 * token's text, so each piece becomes one entry: its text, and the sum of its tokens' log-probabilities
 * (the probability of the whole piece). Cohere reports no alternatives: `top_logprobs` is empty.
 */
export function cohereLogprobs(item: CohereLogprobItem | null | undefined): TokenLogprob[] {
  const lps = item?.logprobs;
  if (!Array.isArray(lps) || lps.length === 0) return [];
  const token = typeof item?.text === 'string' ? item.text : '';
  return [
    {
      token,
      logprob: lps.reduce((a, b) => a + (typeof b === 'number' ? b : 0), 0),
      bytes: [...Buffer.from(token, 'utf8')],
      top_logprobs: [],
    },
  ];
}

/** Cohere's finish reasons that end an answer normally, as OpenAI's. ERROR and TIMEOUT are failures. */
const FINISH: Readonly<Record<string, CanonicalFinishReason>> = {
  COMPLETE: 'stop',
  STOP_SEQUENCE: 'stop',
  MAX_TOKENS: 'length',
  TOOL_CALL: 'tool_calls',
};

/** The failure a finish_reason of ERROR or TIMEOUT stands for; undefined for a normal finish. */
export function cohereFinishFailure(
  reason: string | null | undefined,
  detail?: string | null,
): GatewayError | undefined {
  if (reason === 'TIMEOUT') {
    return {
      kind: 'timeout',
      status: 504,
      type: 'api_error',
      code: 'timeout',
      param: null,
      retryable: true,
      message: 'The provider timed out while generating the answer (finish_reason TIMEOUT). Retry the request.',
    };
  }
  if (reason === 'ERROR') return cohereStreamError(detail ?? undefined, 'finish_reason ERROR');
  return undefined;
}

/** The normal finish for Cohere's `reason` (an unknown one counts as a stop). */
export function cohereFinish(reason: string | null | undefined): CanonicalFinishReason {
  return reason !== null && reason !== undefined && Object.hasOwn(FINISH, reason) ? FINISH[reason]! : 'stop';
}

/** An error reported inside an answer. Keeps Cohere's message (keys masked), and recognises context/policy failures. */
export function cohereStreamError(message: string | undefined, what = 'an error'): GatewayError {
  const text =
    clientMessage(message, scrubSecrets) ??
    `The provider reported ${what} in the middle of the answer. Retry the request.`;
  const asRefusal = classifyUpstream(400, { message: text });
  const kind = asRefusal === 'context_window' || asRefusal === 'content_policy' ? asRefusal : 'upstream_5xx';
  return {
    kind,
    status: 502,
    type: 'api_error',
    code: refusalCode(kind) ?? 'upstream_stream_error',
    param: null,
    message: text,
    retryable: true,
  };
}

export interface CohereAnswerHead {
  /** The chunk id when Cohere gives none (`chatcmpl-...`). */
  id: string;
  /** The model the client asked for: what the answer names. */
  model: string;
  /** Seconds since the epoch. */
  created: number;
}

/** Cohere's generation id as an OpenAI-style completion id. */
export function completionId(cohereId: unknown, fallback: string): string {
  return typeof cohereId === 'string' && cohereId.length > 0 ? `chatcmpl-${cohereId}` : fallback;
}

/**
 * Reads a Cohere v2 chat stream (SSE, one JSON event per `data`, `type` naming it) into canonical events:
 * message-start → the answer's head and role; content-start/-delta → text or reasoning (a `thinking`
 * part); tool-plan-delta → reasoning (the plan Cohere writes before calling tools); tool-call-start → a
 * call's id and name (then its first arguments, if any), tool-call-delta → argument fragments;
 * message-end → usage and the finish, and the answer is complete. content-end, tool-call-end, citations
 * and debug events carry nothing OpenAI's chunks can hold; `[DONE]` follows message-end.
 */
export class CohereStreamReader implements NativeStreamReader<SseEvent> {
  private started = false;
  /** Kind of each content part by its index (content-delta names it only by the key it carries). */
  private readonly contentKinds = new Map<number, 'text' | 'thinking'>();
  /** Cohere's tool-call index → ours (0, 1, ... in order of their start). */
  private readonly toolIndexes = new Map<number, number>();
  private currentTool = -1;
  private nextTool = 0;

  constructor(private readonly head: CohereAnswerHead) {}

  push(event: SseEvent, sink: CanonicalSink): void {
    const data = event.data;
    if (data === '[DONE]') return;
    let doc: CohereStreamEvent;
    try {
      doc = JSON.parse(data) as CohereStreamEvent;
    } catch {
      return this.fail(sink, cohereStreamError(undefined, 'a stream event that is not JSON'));
    }
    if (doc === null || typeof doc !== 'object') {
      return this.fail(sink, cohereStreamError(undefined, 'a stream event that is not an object'));
    }
    const type = typeof doc.type === 'string' ? doc.type : event.event;
    if (type === 'error' || (doc.type === undefined && typeof doc['message'] === 'string')) {
      return this.fail(sink, cohereStreamError(typeof doc['message'] === 'string' ? doc['message'] : undefined));
    }
    this.start(sink, doc.id);
    const message = doc.delta?.message;
    switch (type) {
      case 'message-start':
        return;
      case 'content-start': {
        const c = message?.content as { type?: string; text?: string; thinking?: string } | undefined;
        const kind = c?.type === 'thinking' || (c?.type === undefined && typeof c?.thinking === 'string');
        this.contentKinds.set(doc.index ?? 0, kind ? 'thinking' : 'text');
        return this.content(sink, doc, c);
      }
      case 'content-delta':
        return this.content(sink, doc, message?.content as { text?: string; thinking?: string } | undefined);
      case 'tool-plan-delta':
        if (typeof message?.tool_plan === 'string' && message.tool_plan.length > 0)
          sink.emit({ type: 'reasoning_delta', choice: 0, text: message.tool_plan });
        return;
      case 'tool-call-start': {
        const call = message?.tool_calls as { id?: string; function?: { name?: string; arguments?: string } };
        const index = this.nextTool++;
        if (typeof doc.index === 'number') this.toolIndexes.set(doc.index, index);
        this.currentTool = index;
        sink.emit({
          type: 'tool_call_start',
          choice: 0,
          index,
          id: typeof call?.id === 'string' ? call.id : `call_${index}`,
          name: typeof call?.function?.name === 'string' ? call.function.name : '',
        });
        const args = call?.function?.arguments;
        if (typeof args === 'string' && args.length > 0)
          sink.emit({ type: 'tool_call_delta', choice: 0, index, arguments: args });
        return;
      }
      case 'tool-call-delta': {
        const args = (message?.tool_calls as { function?: { arguments?: string } } | undefined)?.function?.arguments;
        if (typeof args !== 'string' || args.length === 0) return;
        // Some streams leave the index out of deltas: they belong to the call that started last.
        const index = (typeof doc.index === 'number' ? this.toolIndexes.get(doc.index) : undefined) ?? this.currentTool;
        if (index < 0) return this.fail(sink, cohereStreamError(undefined, 'tool-call arguments before any tool call'));
        sink.emit({ type: 'tool_call_delta', choice: 0, index, arguments: args });
        return;
      }
      case 'message-end': {
        const d = doc.delta;
        const usage = cohereUsage(d?.usage);
        if (usage !== undefined) sink.emit({ type: 'usage', usage });
        const failure = cohereFinishFailure(d?.finish_reason, d?.error);
        if (failure !== undefined) return this.fail(sink, failure);
        const reason = typeof d?.finish_reason === 'string' ? d.finish_reason : null;
        sink.emit({ type: 'finish', choice: 0, reason: cohereFinish(reason), nativeReason: reason });
        sink.done();
        return;
      }
      default:
        // content-end, tool-call-end, citation-start/-end, debug, and event types added later.
        return;
    }
  }

  /** A body that ends before message-end is truncated: the canonical translator reports it. */
  end(): void {}

  private start(sink: CanonicalSink, id: unknown): void {
    if (this.started) return;
    this.started = true;
    sink.emit({
      type: 'message_start',
      id: completionId(id, this.head.id),
      model: this.head.model,
      created: this.head.created,
    });
    sink.emit({ type: 'role', choice: 0 });
  }

  private content(
    sink: CanonicalSink,
    doc: CohereStreamEvent,
    c: { text?: string; thinking?: string } | undefined,
  ): void {
    if (c === undefined || c === null) return;
    const kind = this.contentKinds.get(doc.index ?? 0);
    if (typeof c.thinking === 'string' && (kind === 'thinking' || typeof c.text !== 'string')) {
      if (c.thinking.length > 0) sink.emit({ type: 'reasoning_delta', choice: 0, text: c.thinking });
      return;
    }
    if (typeof c.text === 'string' && c.text.length > 0) {
      const logprobs = doc.logprobs === undefined || doc.logprobs === null ? undefined : cohereLogprobs(doc.logprobs);
      sink.emit({ type: 'text_delta', choice: 0, text: c.text, ...(logprobs !== undefined && { logprobs }) });
    }
  }

  private fail(sink: CanonicalSink, error: GatewayError): void {
    sink.emit({ type: 'error', error });
  }
}

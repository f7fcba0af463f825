import type { GatewayError } from '@switchyard/contracts';
import type { ChatCompletion, ChatCompletionChunk, ChatToolCall, FinishReason } from '../../openai-types';
import type { SseEvent } from '../../sse/sse.parser';
import type { CanonicalSink, NativeStreamReader } from '../canonical-stream';
import { scrubSecrets } from '../../openai/openai.errors';
import { toTokenUsage } from '../../openai/openai.response';
import type { CanonicalEvent, CanonicalFinishReason, ReasoningBlock } from '../canonical-event.types';

const FINISH: Readonly<Record<FinishReason, CanonicalFinishReason>> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  content_filter: 'content_filter',
  function_call: 'tool_calls',
};

/** OpenAI's finish_reason, normalised; a compatible server's own word (`eos`, `abort`) counts as a stop. */
export function normaliseOpenAIFinish(reason: string): CanonicalFinishReason {
  return Object.hasOwn(FINISH, reason) ? FINISH[reason as FinishReason] : 'stop';
}

function streamError(raw: unknown, fallback: string): GatewayError {
  const e = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  return {
    status: 502,
    type: typeof e['type'] === 'string' ? e['type'] : 'api_error',
    code: typeof e['code'] === 'string' ? e['code'] : 'upstream_stream_error',
    param: null,
    message: typeof e['message'] === 'string' ? scrubSecrets(e['message']) : fallback,
    retryable: true,
    kind: 'upstream_5xx',
  };
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * Turns an OpenAI-compatible stream (chunk JSON, one SSE `data` at a time) into canonical events, so an
 * OpenAI-compatible upstream can be re-encoded for another client API. Reasoning arrives as
 * `reasoning_content` (DeepSeek, vLLM, LiteLLM) or `reasoning` (OpenRouter, Ollama's compatible API).
 */
export class OpenAIChatDecoder {
  private started = false;
  private readonly roles = new Set<number>();
  private failed = false;

  /** One SSE `data` payload (text, or an already parsed chunk); `[DONE]` yields nothing. */
  push(data: string | ChatCompletionChunk): CanonicalEvent[] {
    if (this.failed || data === '[DONE]') return [];
    let chunk: ChatCompletionChunk;
    if (typeof data === 'string') {
      try {
        chunk = JSON.parse(data) as ChatCompletionChunk;
      } catch {
        return this.fail(
          streamError(undefined, 'The provider sent a stream event that is not JSON. Retry the request.'),
        );
      }
    } else chunk = data;
    if (chunk === null || typeof chunk !== 'object') {
      return this.fail(
        streamError(undefined, 'The provider sent a stream event that is not a chunk. Retry the request.'),
      );
    }
    const maybeError = (chunk as { error?: unknown }).error;
    if (maybeError !== undefined && maybeError !== null) {
      return this.fail(streamError(maybeError, 'The provider reported an error in the middle of the stream.'));
    }

    const out: CanonicalEvent[] = [];
    if (!this.started) {
      this.started = true;
      out.push({
        type: 'message_start',
        id: String(chunk.id ?? ''),
        model: String(chunk.model ?? ''),
        created: typeof chunk.created === 'number' ? chunk.created : 0,
        ...(nonEmpty(chunk.system_fingerprint) && { systemFingerprint: chunk.system_fingerprint }),
        ...(nonEmpty(chunk.service_tier) && { serviceTier: chunk.service_tier }),
      });
    }
    for (const c of Array.isArray(chunk.choices) ? chunk.choices : []) {
      const choice = typeof c.index === 'number' ? c.index : 0;
      const d = c.delta ?? {};
      if (d.role !== undefined && !this.roles.has(choice)) {
        this.roles.add(choice);
        out.push({ type: 'role', choice });
      }
      const reasoning = d['reasoning_content'] ?? d['reasoning'];
      if (nonEmpty(reasoning)) out.push({ type: 'reasoning_delta', choice, text: reasoning });
      if (nonEmpty(d.content)) out.push({ type: 'text_delta', choice, text: d.content });
      if (nonEmpty(d.refusal)) out.push({ type: 'refusal_delta', choice, text: d.refusal });
      for (const t of Array.isArray(d.tool_calls) ? d.tool_calls : []) {
        if (nonEmpty(t.id)) {
          out.push({ type: 'tool_call_start', choice, index: t.index, id: t.id, name: t.function?.name ?? '' });
        }
        if (nonEmpty(t.function?.arguments)) {
          out.push({ type: 'tool_call_delta', choice, index: t.index, arguments: t.function.arguments });
        }
      }
      if (nonEmpty(c.finish_reason)) {
        out.push({
          type: 'finish',
          choice,
          reason: normaliseOpenAIFinish(c.finish_reason),
          nativeReason: c.finish_reason,
        });
      }
    }
    if (chunk.usage !== undefined && chunk.usage !== null)
      out.push({ type: 'usage', usage: toTokenUsage(chunk.usage) });
    return out;
  }

  private fail(error: GatewayError): CanonicalEvent[] {
    this.failed = true;
    return [{ type: 'error', error }];
  }
}

/**
 * An OpenAI-compatible upstream's stream as a native reader, so it can be written for another client API
 * (canonicalStreamTranslator with that API's encoder): each SSE `data` through OpenAIChatDecoder,
 * `[DONE]` ends it.
 */
export class OpenAIChatStreamReader implements NativeStreamReader<SseEvent> {
  private readonly decoder = new OpenAIChatDecoder();

  push(event: SseEvent, sink: CanonicalSink): void {
    const data = event.data.trim();
    if (data.length === 0) return;
    if (data === '[DONE]') return sink.done();
    for (const e of this.decoder.push(data)) sink.emit(e);
  }

  end(): void {
    // A stream without [DONE] that finished is complete (the caller checks); nothing is implicit.
  }
}

/**
 * A whole OpenAI `chat.completion` as canonical events, in the order a stream would carry them: what a
 * non-streamed answer of any adapter (they all answer in OpenAI chat) becomes before another client API's
 * aggregator writes it. Reasoning comes from `reasoning_content` / `reasoning` and `thinking_blocks`.
 */
export function emitChatCompletion(completion: ChatCompletion, sink: CanonicalSink): void {
  sink.emit({
    type: 'message_start',
    id: String(completion.id ?? ''),
    model: String(completion.model ?? ''),
    created: typeof completion.created === 'number' ? completion.created : 0,
  });
  for (const c of Array.isArray(completion.choices) ? completion.choices : []) {
    const choice = typeof c.index === 'number' ? c.index : 0;
    const m = (c.message ?? {}) as Record<string, unknown>;
    sink.emit({ type: 'role', choice });
    const blocks = Array.isArray(m['thinking_blocks']) ? (m['thinking_blocks'] as ReasoningBlock[]) : [];
    const reasoning = m['reasoning_content'] ?? m['reasoning'];
    if (blocks.length > 0) {
      for (const b of blocks) {
        if (b.type === 'thinking' && b.thinking.length > 0)
          sink.emit({ type: 'reasoning_delta', choice, text: b.thinking });
        sink.emit({ type: 'reasoning_block', choice, block: b });
      }
    } else if (nonEmpty(reasoning)) sink.emit({ type: 'reasoning_delta', choice, text: reasoning });
    if (nonEmpty(m['content'])) sink.emit({ type: 'text_delta', choice, text: m['content'] });
    if (nonEmpty(m['refusal'])) sink.emit({ type: 'refusal_delta', choice, text: m['refusal'] });
    const calls = Array.isArray(m['tool_calls']) ? (m['tool_calls'] as ChatToolCall[]) : [];
    for (const [index, t] of calls.entries()) {
      sink.emit({ type: 'tool_call_start', choice, index, id: String(t.id ?? ''), name: t.function?.name ?? '' });
      if (nonEmpty(t.function?.arguments))
        sink.emit({ type: 'tool_call_delta', choice, index, arguments: t.function.arguments });
    }
    if (nonEmpty(c.finish_reason)) {
      sink.emit({
        type: 'finish',
        choice,
        reason: normaliseOpenAIFinish(c.finish_reason),
        nativeReason: c.finish_reason,
      });
    }
  }
  if (completion.usage !== undefined && completion.usage !== null)
    sink.emit({ type: 'usage', usage: toTokenUsage(completion.usage) });
  sink.done();
}

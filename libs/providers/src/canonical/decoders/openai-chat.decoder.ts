import type { GatewayError } from '@switchyard/contracts';
import type { ChatCompletionChunk, FinishReason } from '../../openai-types';
import { scrubSecrets } from '../../openai/openai.errors';
import { toTokenUsage } from '../../openai/openai.response';
import type { CanonicalEvent, CanonicalFinishReason } from '../canonical-event.types';

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

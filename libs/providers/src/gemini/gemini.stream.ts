import { randomBytes } from 'node:crypto';
import type { GatewayError, TokenUsage } from '@switchyard/contracts';
import type { CanonicalFinishReason } from '../canonical/canonical-event.types';
import type { CanonicalSink, NativeStreamReader } from '../canonical/canonical-stream';
import type { SseEvent } from '../sse/sse.parser';
import { normaliseGoogleError } from './gemini.errors';
import { encodeToolCallId } from './gemini.tool-ids';
import type { GeminiCandidate, GeminiUsageMetadata, GenerateContentResponse } from './gemini.types';
import { unusableAnswer } from '../errors/bad-response';

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/**
 * Gemini's usageMetadata in the contracts' convention: the prompt includes the cached part (and tool-use
 * prompt tokens), the completion includes thinking. Gemini has no cache-write count (an explicit cache is
 * created, and billed, by its own call).
 */
export function geminiTokenUsage(u: GeminiUsageMetadata): TokenUsage {
  const thoughts = count(u.thoughtsTokenCount);
  return {
    promptTokens: count(u.promptTokenCount) + count(u.toolUsePromptTokenCount),
    completionTokens: count(u.candidatesTokenCount) + thoughts,
    cachedTokens: count(u.cachedContentTokenCount),
    cacheWriteTokens: 0,
    reasoningTokens: thoughts,
  };
}

const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

/**
 * Gemini's finishReason as OpenAI's: STOP is `tool_calls` when the candidate called functions (Gemini says
 * STOP either way), MAX_TOKENS `length`, every safety/recitation stop `content_filter`; the rest (OTHER,
 * LANGUAGE, MALFORMED_FUNCTION_CALL, ...) `stop`, with Gemini's word kept as the native reason.
 */
export function geminiFinishReason(reason: string, calledTools: boolean): CanonicalFinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (FILTERED.has(reason)) return 'content_filter';
  return calledTools ? 'tool_calls' : 'stop';
}

/** A prompt Gemini refused to answer at all (promptFeedback.blockReason, no candidates). */
function promptBlocked(reason: string, detail: string | undefined): GatewayError {
  return {
    kind: 'content_policy',
    status: 400,
    type: 'invalid_request_error',
    code: 'content_policy_violation',
    param: 'messages',
    message: `Gemini refused the prompt (blockReason ${reason})${detail ? `: ${detail}` : ''}. Rephrase the request.`,
    retryable: false,
  };
}

interface ChoiceState {
  /** Tool calls seen so far: the next one's index. */
  tools: number;
  finished: boolean;
}

export interface GeminiReaderHead {
  /** The answer's id; when undefined, `chatcmpl-<responseId>` (or a fresh one). */
  id?: string;
  /** The model the answer names (the client's); when undefined, Gemini's modelVersion. */
  model?: string;
  /** Names the public model in errors. */
  modelName?: string;
}

/**
 * Reads GenerateContentResponse objects (each SSE event of `streamGenerateContent?alt=sse`, or the one body
 * of `generateContent`) into canonical events. Gemini streams whole parts: text arrives in pieces, each
 * function call whole (one start and one delta with all its arguments). Candidates are choices by their
 * `index`. Usage comes on every chunk, cumulative: the last one wins.
 */
export class GeminiStreamReader implements NativeStreamReader<SseEvent> {
  private started = false;
  private readonly choices = new Map<number, ChoiceState>();

  constructor(private readonly head: GeminiReaderHead = {}) {}

  push(event: SseEvent, sink: CanonicalSink): void {
    if (event.event !== '' && event.event !== 'message') return;
    const data = event.data.trim();
    if (data.length === 0) return;
    let doc: unknown;
    try {
      doc = JSON.parse(data);
    } catch {
      sink.emit({
        type: 'error',
        error: unusableAnswer(
          'The provider sent a stream event that is not complete JSON (the stream was cut). Retry the request.',
        ),
      });
      return;
    }
    this.read(doc, sink);
  }

  /** Applies one GenerateContentResponse (or Google's error object, which a stream may end with). */
  read(doc: unknown, sink: CanonicalSink): void {
    if (Array.isArray(doc)) {
      for (const d of doc) this.read(d, sink);
      return;
    }
    if (doc === null || typeof doc !== 'object') {
      sink.emit({
        type: 'error',
        error: unusableAnswer('The provider sent a stream event that is not a response object.'),
      });
      return;
    }
    const r = doc as GenerateContentResponse & { error?: { code?: unknown } };
    if (r.error !== undefined && r.error !== null) {
      const code = typeof r.error.code === 'number' && r.error.code >= 400 ? r.error.code : 500;
      const error = normaliseGoogleError(
        { status: code, body: JSON.stringify(doc), headers: {} },
        { modelName: this.head.modelName ?? this.head.model ?? 'unknown' },
      );
      sink.emit({ type: 'error', error });
      return;
    }
    this.start(r, sink);
    const candidates = Array.isArray(r.candidates) ? r.candidates : [];
    candidates.forEach((c, i) => this.candidate(c, typeof c?.index === 'number' ? c.index : i, sink));
    const blocked = r.promptFeedback?.blockReason;
    const u = r.usageMetadata;
    // Early chunks count the prompt only: taken as the request's usage, they would bill a stream cut short
    // as if nothing was generated. Usage counts once it covers the answer (or the answer is complete);
    // until then a cut stream is billed by the translator's estimate of what went by.
    if (
      u !== undefined &&
      u !== null &&
      (u.candidatesTokenCount !== undefined || this.complete() || blocked !== undefined)
    ) {
      sink.emit({ type: 'usage', usage: geminiTokenUsage(u) });
    }
    if (candidates.length === 0 && typeof blocked === 'string' && blocked.length > 0) {
      sink.emit({ type: 'error', error: promptBlocked(blocked, r.promptFeedback?.blockReasonMessage) });
    }
  }

  end(sink: CanonicalSink): void {
    // Nothing at all: the canonical translator reports the truncation.
    if (!this.started) return;
    if (this.complete()) {
      sink.done();
      return;
    }
    sink.emit({
      type: 'error',
      error: {
        kind: 'upstream_5xx',
        status: 502,
        type: 'api_error',
        code: 'upstream_stream_truncated',
        param: null,
        message: 'The provider closed the stream before the answer was complete. Retry the request.',
        retryable: true,
      },
    });
  }

  /** Every candidate seen has finished. */
  private complete(): boolean {
    if (this.choices.size === 0) return false;
    for (const c of this.choices.values()) if (!c.finished) return false;
    return true;
  }

  private start(r: GenerateContentResponse, sink: CanonicalSink): void {
    if (this.started) return;
    this.started = true;
    const id =
      this.head.id ??
      (typeof r.responseId === 'string' && r.responseId.length > 0
        ? `chatcmpl-${r.responseId}`
        : `chatcmpl-${randomBytes(12).toString('hex')}`);
    sink.emit({
      type: 'message_start',
      id,
      model: this.head.model ?? (typeof r.modelVersion === 'string' ? r.modelVersion : 'gemini'),
      created: Math.floor(Date.now() / 1000),
    });
  }

  private candidate(c: GeminiCandidate, choice: number, sink: CanonicalSink): void {
    if (c === null || typeof c !== 'object') return;
    let state = this.choices.get(choice);
    if (state === undefined) {
      state = { tools: 0, finished: false };
      this.choices.set(choice, state);
      sink.emit({ type: 'role', choice });
    }
    const parts = Array.isArray(c.content?.parts) ? c.content.parts : [];
    for (const p of parts) {
      if (p === null || typeof p !== 'object') continue;
      if (p.functionCall !== undefined && p.functionCall !== null) {
        const fc = p.functionCall;
        const index = state.tools++;
        sink.emit({
          type: 'tool_call_start',
          choice,
          index,
          id: encodeToolCallId(typeof fc.id === 'string' ? fc.id : undefined, p.thoughtSignature),
          name: typeof fc.name === 'string' ? fc.name : '',
        });
        sink.emit({ type: 'tool_call_delta', choice, index, arguments: JSON.stringify(fc.args ?? {}) });
      } else if (typeof p.text === 'string' && p.text.length > 0) {
        // A text part's own thoughtSignature (Gemini puts one on the last part of a thinking answer) has no
        // OpenAI field to travel in; Gemini requires signatures back only on function calls.
        sink.emit(
          p.thought === true
            ? { type: 'reasoning_delta', choice, text: p.text }
            : { type: 'text_delta', choice, text: p.text },
        );
      }
      // Other parts (inlineData images, executableCode) are not asked for by this adapter.
    }
    if (typeof c.finishReason === 'string' && c.finishReason.length > 0 && !state.finished) {
      state.finished = true;
      sink.emit({
        type: 'finish',
        choice,
        reason: geminiFinishReason(c.finishReason, state.tools > 0),
        nativeReason: c.finishReason,
      });
    }
  }
}

import type { GatewayError } from '@switchyard/contracts';
import type { ChatCompletionChunk } from '../openai-types';
import type { StreamState, StreamTranslator, StreamTranslatorOptions } from '../provider-adapter';
import type { SseEvent } from '../sse/sse.parser';
import { scrubSecrets } from './openai.errors';
import { classifyUpstream } from '../errors/error-classifier';
import { toTokenUsage } from './openai.response';
import { generatedCharsOfChunk } from '../usage/usage.estimate';

/*
 * Chunks go to the client byte for byte as the upstream sent them; a chunk is parsed only when it can
 * change the state: until the first content arrived (time to first token), and afterwards only when a
 * cheap scan says it may carry usage, a finish_reason or an error. A `"` inside a JSON string is always
 * escaped, so these patterns can only match real keys (a false positive merely costs a parse).
 */
const MAY_CARRY_USAGE = /"usage"\s*:\s*\{/;
const MAY_FINISH = /"finish_reason"\s*:\s*"/;
const MAY_BE_ERROR = /^\s*\{\s*"error"\s*:/;

export function initialStreamState(): StreamState {
  return {
    contentSeen: false,
    finished: false,
    done: false,
    usage: undefined,
    generatedChars: 0,
    error: undefined,
  };
}

function streamError(e: unknown): GatewayError {
  const eo = e !== null && typeof e === 'object' ? (e as Record<string, unknown>) : {};
  const message =
    typeof eo['message'] === 'string'
      ? scrubSecrets(eo['message'])
      : 'The provider reported an error in the middle of the stream.';
  const type = typeof eo['type'] === 'string' ? eo['type'] : 'api_error';
  const code = typeof eo['code'] === 'string' ? eo['code'] : 'upstream_stream_error';
  // A stream error has no HTTP status: it is the provider failing, unless it names a refusal of the input.
  const asRefusal = classifyUpstream(400, { code, type, message });
  const kind =
    asRefusal === 'context_window' || asRefusal === 'content_policy'
      ? asRefusal
      : classifyUpstream(500, { code, type, message });
  return {
    kind,
    status: 502,
    type,
    code,
    param: null,
    message,
    retryable: true,
  };
}

function hasContent(choices: ChatCompletionChunk['choices']): boolean {
  for (const c of choices) {
    const d = c.delta;
    if (d === undefined || d === null) continue;
    if (
      (typeof d.content === 'string' && d.content.length > 0) ||
      (typeof d.refusal === 'string' && d.refusal.length > 0)
    )
      return true;
    if (Array.isArray(d.tool_calls) && d.tool_calls.length > 0) return true;
  }
  return false;
}

/** A legacy completions (`text_completion`) chunk's choices carry their text as `text`, not in a delta. */
function hasText(choices: ChatCompletionChunk['choices']): boolean {
  for (const c of choices) {
    const text = (c as { text?: unknown }).text;
    if (typeof text === 'string' && text.length > 0) return true;
  }
  return false;
}

/**
 * The reducer: applies one upstream SSE event to the state and returns the SSE text to forward ('' for none).
 * `[DONE]` is not forwarded (the gateway writes it), nor the usage-only chunk unless the client asked for it.
 */
export function reduceOpenAIStream(state: StreamState, event: SseEvent, opts: StreamTranslatorOptions): string {
  if (state.done || state.error !== undefined) return '';
  const data = event.data;
  if (data === '[DONE]') {
    state.done = true;
    return '';
  }
  if (event.event === 'error') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      parsed = { message: data.slice(0, 300) };
    }
    const p = parsed as { error?: unknown } | null;
    state.error = streamError(p !== null && typeof p === 'object' && p.error !== undefined ? p.error : parsed);
    return '';
  }
  if (event.event !== '' && event.event !== 'message') return '';
  state.generatedChars += generatedCharsOfChunk(data);

  const mustParse =
    !state.contentSeen ||
    MAY_CARRY_USAGE.test(data) ||
    (!state.finished && MAY_FINISH.test(data)) ||
    MAY_BE_ERROR.test(data);
  if (!mustParse) return forward(data, opts);

  let chunk: ChatCompletionChunk;
  try {
    chunk = JSON.parse(data) as ChatCompletionChunk;
  } catch {
    state.error = streamError({ message: 'The provider sent a stream event that is not JSON. Retry the request.' });
    return '';
  }
  if (chunk === null || typeof chunk !== 'object') return '';
  const maybeError = (chunk as { error?: unknown }).error;
  if (maybeError !== undefined && maybeError !== null) {
    state.error = streamError(maybeError);
    return '';
  }
  const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
  if (!state.contentSeen && (hasContent(choices) || hasText(choices))) state.contentSeen = true;
  if (!state.finished)
    for (const c of choices)
      if (c.finish_reason) {
        state.finished = true;
        state.finishReason = c.finish_reason;
        break;
      }
  if (chunk.usage !== undefined && chunk.usage !== null) {
    state.usage = toTokenUsage(chunk.usage);
    // The usage-only chunk exists because we asked for it; the client sees it only if it asked too.
    if (choices.length === 0 && !opts.includeUsage) return '';
  }
  return forward(data, opts);
}

/**
 * Asking upstream for usage makes it add `"usage":null` to every chunk; a client that did not ask gets
 * chunks without it, as OpenAI would have sent them. (Outside strings a `"` is never escaped, so the
 * pattern cannot match inside content.)
 */
const NULL_USAGE = ',"usage":null';
function forward(data: string, opts: StreamTranslatorOptions): string {
  if (!opts.includeUsage) {
    const at = data.indexOf(NULL_USAGE);
    if (at !== -1) return `data: ${data.slice(0, at)}${data.slice(at + NULL_USAGE.length)}\n\n`;
  }
  return `data: ${data}\n\n`;
}

export function createOpenAIStreamTranslator(opts: StreamTranslatorOptions): StreamTranslator {
  const state = initialStreamState();
  return {
    state,
    push: (event) => reduceOpenAIStream(state, event, opts),
    end: () => {
      // Pass-through: every chunk went out as it came, so the end adds none of its own.
      if (state.done || state.error !== undefined) return '';
      // Some compatible servers close without `[DONE]`; a finished choice is a complete answer.
      if (state.finished) {
        state.done = true;
        return '';
      }
      state.error = {
        kind: 'upstream_5xx',
        status: 502,
        type: 'api_error',
        code: 'upstream_stream_truncated',
        param: null,
        message: 'The provider closed the stream before the answer was complete. Retry the request.',
        retryable: true,
      };
      return '';
    },
  };
}

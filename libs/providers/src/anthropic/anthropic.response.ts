import type { TokenUsage } from '@switchyard/contracts';
import { aggregateCanonical, type CanonicalSink } from '../canonical/canonical-stream';
import type { CanonicalFinishReason } from '../canonical/canonical-event.types';
import { generatedCharsOfCompletion } from '../openai/openai.response';
import type { ParsedResponse } from '../provider-adapter';
import { estimateTokens } from '../usage/usage.estimate';
import { JSON_TOOL_NAME } from './anthropic.request';
import type { AnthropicMessage, AnthropicStopReason, AnthropicUsage } from './anthropic.types';
import { badResponse } from '../errors/bad-response';

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/**
 * Anthropic usage → TokenUsage. Anthropic's `input_tokens` leaves out the cache: prompt tokens are
 * input + cache reads + cache writes. Reasoning tokens are `output_tokens_details.thinking_tokens` where
 * the API reports them, else estimated from the thinking text (a quarter of its characters, at most the
 * output tokens), since they are a part of the output either way.
 */
export function anthropicTokenUsage(u: AnthropicUsage | null | undefined, thinkingChars = 0): TokenUsage {
  const input = count(u?.input_tokens);
  const cachedTokens = count(u?.cache_read_input_tokens);
  const cacheWriteTokens = count(u?.cache_creation_input_tokens);
  const completionTokens = count(u?.output_tokens);
  const reported = u?.output_tokens_details?.thinking_tokens;
  const reasoningTokens =
    typeof reported === 'number' ? count(reported) : Math.min(estimateTokens(thinkingChars), completionTokens);
  return {
    promptTokens: input + cachedTokens + cacheWriteTokens,
    completionTokens,
    cachedTokens,
    cacheWriteTokens,
    reasoningTokens: Math.min(reasoningTokens, completionTokens),
  };
}

/**
 * Anthropic's stop_reason as an OpenAI finish_reason. `jsonOnly`: the only tool the model called was the
 * response_format tool, whose input became the content, so the answer is complete text ("stop").
 */
export function anthropicFinish(reason: AnthropicStopReason | string | null, jsonOnly: boolean): CanonicalFinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return jsonOnly ? 'stop' : 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn (a server tool's long turn paused: what came is complete text).
      return 'stop';
  }
}

/** Whether Anthropic reported token counts at all. */
export function hasUsage(u: AnthropicUsage | null | undefined): boolean {
  return typeof u?.input_tokens === 'number' || typeof u?.output_tokens === 'number';
}

export interface AnthropicReadOptions {
  /** The clock for `created` (epoch ms); tests set it. */
  now?: () => number;
}

/** Emits a whole Anthropic message as canonical events, in the order a stream would have carried them. */
export function emitAnthropicMessage(
  msg: AnthropicMessage,
  sink: CanonicalSink,
  opts: AnthropicReadOptions = {},
): void {
  const now = opts.now ?? Date.now;
  sink.emit({ type: 'message_start', id: msg.id, model: msg.model, created: Math.floor(now() / 1000) });
  sink.emit({ type: 'role', choice: 0 });
  let tools = 0;
  let thinkingChars = 0;
  for (const block of msg.content) {
    const b = block as Record<string, unknown>;
    switch (b['type']) {
      case 'text':
        if (typeof b['text'] === 'string' && b['text'].length > 0)
          sink.emit({ type: 'text_delta', choice: 0, text: b['text'] });
        break;
      case 'thinking': {
        const thinking = typeof b['thinking'] === 'string' ? b['thinking'] : '';
        thinkingChars += thinking.length;
        if (thinking.length > 0) sink.emit({ type: 'reasoning_delta', choice: 0, text: thinking });
        const signature = typeof b['signature'] === 'string' ? b['signature'] : null;
        sink.emit({ type: 'reasoning_block', choice: 0, block: { type: 'thinking', thinking, signature } });
        break;
      }
      case 'redacted_thinking':
        if (typeof b['data'] === 'string') {
          sink.emit({ type: 'reasoning_block', choice: 0, block: { type: 'redacted_thinking', data: b['data'] } });
        }
        break;
      case 'tool_use': {
        const args = JSON.stringify(b['input'] ?? {});
        if (b['name'] === JSON_TOOL_NAME) {
          sink.emit({ type: 'text_delta', choice: 0, text: args });
          break;
        }
        const index = tools++;
        sink.emit({ type: 'tool_call_start', choice: 0, index, id: String(b['id']), name: String(b['name']) });
        sink.emit({ type: 'tool_call_delta', choice: 0, index, arguments: args });
        break;
      }
      default:
        // Server tools' blocks (web search, code execution results) have no place in an OpenAI message.
        break;
    }
  }
  sink.emit({
    type: 'finish',
    choice: 0,
    reason: anthropicFinish(msg.stop_reason, tools === 0),
    nativeReason: msg.stop_reason ?? null,
  });
  // An answer without usage (a proxy that strips it) reports none: the caller estimates rather than bill zero.
  if (hasUsage(msg.usage)) sink.emit({ type: 'usage', usage: anthropicTokenUsage(msg.usage, thinkingChars) });
  sink.done();
}

/** Parses a 2xx Messages body into an AnthropicMessage; throws a 502 ProviderError for anything else. */
export function readAnthropicMessage(body: string | Uint8Array): AnthropicMessage {
  let doc: unknown;
  try {
    doc = JSON.parse(
      typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
    );
  } catch {
    throw badResponse('The provider answered with a body that is not JSON. Retry the request.');
  }
  const msg = doc as Partial<AnthropicMessage> | null;
  if (msg === null || typeof msg !== 'object' || msg.type !== 'message' || !Array.isArray(msg.content)) {
    throw badResponse(
      'The provider answered with JSON that is not an Anthropic message (no "content"). Check that the deployment\'s api_base points at the Anthropic Messages API.',
    );
  }
  return msg as AnthropicMessage;
}

/**
 * A 2xx non-streamed answer → the OpenAI chat.completion the client gets (text, tool calls with their ids,
 * reasoning_content and thinking_blocks, finish_reason, usage with cache reads and writes).
 */
export function parseAnthropicResponse(body: string | Uint8Array, opts: AnthropicReadOptions = {}): ParsedResponse {
  const msg = readAnthropicMessage(body);
  let usage: TokenUsage | undefined;
  const completion = aggregateCanonical((sink) =>
    emitAnthropicMessage(
      msg,
      {
        emit: (e) => {
          if (e.type === 'usage') usage = e.usage;
          sink.emit(e);
        },
        done: () => sink.done(),
      },
      opts,
    ),
  );
  if (usage === undefined) {
    return { body: JSON.stringify(completion), usage, generatedChars: generatedCharsOfCompletion(completion) };
  }
  return { body: JSON.stringify(completion), usage };
}

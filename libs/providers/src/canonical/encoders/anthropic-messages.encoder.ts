import type { TokenUsage } from '@switchyard/contracts';
import type { AnthropicStopReason } from '../../anthropic/anthropic.types';
import { estimateTokens } from '../../usage/usage.estimate';
import type { CanonicalEvent, CanonicalFinishReason, EventOf } from '../canonical-event.types';

/** Anthropic's own stop reasons: a provider that said one of these (Bedrock Converse, Claude) keeps it. */
const ANTHROPIC_STOP_REASONS: ReadonlySet<string> = new Set<AnthropicStopReason>([
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
  'pause_turn',
  'refusal',
  'model_context_window_exceeded',
]);

const FROM_CANONICAL: Readonly<Record<CanonicalFinishReason, AnthropicStopReason>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'refusal',
};

/**
 * The Anthropic stop_reason for a canonical finish: the provider's own word when it is one of Anthropic's
 * (so `stop_sequence` survives from Bedrock), else the canonical reason's counterpart. A `stop` whose native
 * word is not Anthropic's (OpenAI's `stop`, Gemini's `STOP`) is `end_turn`: those APIs do not say whether a
 * stop sequence ended the text.
 */
export function anthropicStopReason(reason: CanonicalFinishReason, nativeReason: string | null): AnthropicStopReason {
  if (nativeReason !== null && ANTHROPIC_STOP_REASONS.has(nativeReason)) {
    const native = nativeReason as AnthropicStopReason;
    // A native word that contradicts the canonical reason (a tool_use Claude answered as text) loses.
    if (FROM_CANONICAL[reason] === native || reason === 'stop') return native;
  }
  return FROM_CANONICAL[reason];
}

/** The usage object of an Anthropic message (and of its stream's message_delta). */
export interface AnthropicUsageOut {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
}

/**
 * TokenUsage (inclusive counts) → Anthropic's usage, where `input_tokens` leaves out the cache reads and
 * writes that have their own fields.
 */
export function toAnthropicUsage(u: TokenUsage): AnthropicUsageOut {
  return {
    input_tokens: Math.max(0, u.promptTokens - u.cachedTokens - u.cacheWriteTokens),
    cache_creation_input_tokens: u.cacheWriteTokens,
    cache_read_input_tokens: u.cachedTokens,
    output_tokens: u.completionTokens,
  };
}

export interface AnthropicMessagesEncoderOptions {
  /** The message id the client sees (`msg_…`): providers' own ids are of other shapes. */
  id: string;
  /** The model the answer names when the provider named none. */
  model: string;
  /** Characters of prompt text: message_start's input_tokens estimate when the provider has not counted yet. */
  promptChars?: number;
}

type OpenBlock =
  { kind: 'text'; index: number } | { kind: 'thinking'; index: number } | { kind: 'tool'; index: number; call: number };

/**
 * Writes canonical events as Anthropic's Messages stream, event for event as Anthropic sends it:
 * `message_start` (the message with empty content and the input usage known so far), a `ping`, then per
 * content block `content_block_start`, its deltas (`text_delta`, `thinking_delta` then `signature_delta`,
 * `input_json_delta`) and `content_block_stop`; at the end `message_delta` (stop_reason, stop_sequence,
 * the whole usage) and `message_stop`. Blocks are numbered in order and never reopened, as the SDK's
 * MessageStream expects: a kind of content different from the open block's closes it and opens the next.
 * Only choice 0 is written (the Messages API has one). `error` events are not written here: the gateway
 * ends a broken stream with Anthropic's `error` event.
 */
export class AnthropicMessagesEncoder {
  private head: EventOf<'message_start'> | undefined;
  private open: OpenBlock | undefined;
  private next = 0;
  /** Tool calls by their canonical index → their block index, for deltas that come after another block. */
  private readonly toolBlocks = new Map<number, number>();
  private finish: EventOf<'finish'> | undefined;
  private usage: TokenUsage | undefined;
  private started = false;

  constructor(private readonly opts: AnthropicMessagesEncoderOptions) {}

  push(event: CanonicalEvent): string {
    if (event.type !== 'message_start' && event.type !== 'usage' && 'choice' in event && event.choice !== 0) return '';
    switch (event.type) {
      case 'message_start':
        this.head = event;
        return '';
      case 'role':
        return '';
      case 'text_delta':
      case 'refusal_delta':
        if (event.text.length === 0) return '';
        return this.start() + this.ensure('text') + this.delta({ type: 'text_delta', text: event.text });
      case 'reasoning_delta':
        if (event.text.length === 0) return '';
        return this.start() + this.ensure('thinking') + this.delta({ type: 'thinking_delta', thinking: event.text });
      case 'reasoning_block':
        return this.start() + this.reasoningBlock(event);
      case 'tool_call_start': {
        let out = this.start() + this.close();
        const index = this.next++;
        this.open = { kind: 'tool', index, call: event.index };
        this.toolBlocks.set(event.index, index);
        out += sse('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: event.id, name: event.name, input: {} },
        });
        return out;
      }
      case 'tool_call_delta': {
        const index = this.toolBlocks.get(event.index);
        if (index === undefined || event.arguments.length === 0) return '';
        return sse('content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: event.arguments },
        });
      }
      case 'finish':
        this.finish ??= event;
        return this.start() + this.close();
      case 'usage':
        this.usage = event.usage;
        return '';
      case 'error':
        return '';
    }
  }

  /** The events are over: the open block closes, then `message_delta` and `message_stop`. */
  end(): string {
    let out = this.start() + this.close();
    const f = this.finish;
    const usage = this.usage === undefined ? { output_tokens: 0 } : toAnthropicUsage(this.usage);
    out += sse('message_delta', {
      type: 'message_delta',
      delta: {
        stop_reason: f === undefined ? 'end_turn' : anthropicStopReason(f.reason, f.nativeReason),
        stop_sequence: null,
      },
      usage,
    });
    out += sse('message_stop', { type: 'message_stop' });
    return out;
  }

  /**
   * message_start, written with the first content (not before: providers that count the prompt up front,
   * Anthropic and Gemini, have reported it by then). Its input counts are the provider's when known, else an
   * estimate from the prompt's characters (clients that read them only here, such as older SDKs sizing
   * their context, get a number near the truth); message_delta carries the exact ones at the end.
   */
  private start(): string {
    if (this.started) return '';
    this.started = true;
    const u = this.usage;
    const usage =
      u !== undefined
        ? { ...toAnthropicUsage(u), output_tokens: Math.min(u.completionTokens, 1) }
        : {
            input_tokens: estimateTokens(this.opts.promptChars ?? 0),
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
            output_tokens: 0,
          };
    const message = {
      id: this.opts.id,
      type: 'message',
      role: 'assistant',
      model: this.head?.model || this.opts.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage,
    };
    return sse('message_start', { type: 'message_start', message }) + sse('ping', { type: 'ping' });
  }

  /** Opens a block of `kind` unless one is open: text and thinking deltas continue their open block. */
  private ensure(kind: 'text' | 'thinking'): string {
    if (this.open?.kind === kind) return '';
    const out = this.close();
    const index = this.next++;
    this.open = { kind, index };
    const block = kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' };
    return out + sse('content_block_start', { type: 'content_block_start', index, content_block: block });
  }

  private delta(delta: Record<string, unknown>): string {
    return sse('content_block_delta', { type: 'content_block_delta', index: this.open!.index, delta });
  }

  /**
   * A whole reasoning block: a thinking block's signature goes on its open block (as Anthropic sends it, a
   * `signature_delta` before the stop); a redacted block is a block of its own.
   */
  private reasoningBlock(event: EventOf<'reasoning_block'>): string {
    const b = event.block;
    if (b.type === 'redacted_thinking') {
      const index = this.next++;
      return (
        this.close() +
        sse('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'redacted_thinking', data: b.data },
        }) +
        sse('content_block_stop', { type: 'content_block_stop', index })
      );
    }
    // A thinking block whose text never streamed (the provider sent it whole) is written now.
    let out = '';
    if (this.open?.kind !== 'thinking') {
      out += this.ensure('thinking');
      if (b.thinking.length > 0) out += this.delta({ type: 'thinking_delta', thinking: b.thinking });
    }
    if (b.signature !== null && b.signature.length > 0)
      out += this.delta({ type: 'signature_delta', signature: b.signature });
    return out + this.close();
  }

  private close(): string {
    const open = this.open;
    if (open === undefined) return '';
    this.open = undefined;
    return sse('content_block_stop', { type: 'content_block_stop', index: open.index });
  }
}

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

import type { GatewayError, TokenUsage } from '@switchyard/contracts';
import type { AnthropicContentBlock, AnthropicStopReason } from '../../anthropic/anthropic.types';
import { badResponse, unusableAnswer } from '../../errors/bad-response';
import { ProviderError } from '../../provider-adapter';
import type { CanonicalEvent, EventOf } from '../canonical-event.types';
import { anthropicStopReason, toAnthropicUsage, type AnthropicUsageOut } from './anthropic-messages.encoder';

/** A whole Anthropic message, as `POST /v1/messages` answers without a stream. */
export interface AnthropicMessageOut {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicContentBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsageOut;
}

/**
 * Builds one Anthropic message from canonical events (choice 0): content blocks in the order their content
 * came (text, thinking with its signature, redacted thinking, tool_use with its input parsed), stop_reason,
 * and usage with the cache counts apart. What a Messages client gets when the provider is not Anthropic.
 */
export class AnthropicMessageAggregator {
  private head: EventOf<'message_start'> | undefined;
  private readonly content: AnthropicContentBlock[] = [];
  /** Tool calls by canonical index: their block and the JSON text of their arguments so far. */
  private readonly tools = new Map<number, { block: Record<string, unknown>; args: string }>();
  private finish: EventOf<'finish'> | undefined;
  private usage: TokenUsage | undefined;
  private failure: GatewayError | undefined;

  constructor(private readonly opts: { id: string; model: string }) {}

  push(event: CanonicalEvent): void {
    if ('choice' in event && event.choice !== 0) return;
    switch (event.type) {
      case 'message_start':
        this.head = event;
        return;
      case 'text_delta':
      case 'refusal_delta': {
        const last = this.content.at(-1);
        if (last?.type === 'text') last['text'] = `${String(last['text'])}${event.text}`;
        else if (event.text.length > 0) this.content.push({ type: 'text', text: event.text });
        return;
      }
      case 'reasoning_delta': {
        const last = this.content.at(-1);
        if (last?.type === 'thinking' && last['signature'] === '')
          last['thinking'] = `${String(last['thinking'])}${event.text}`;
        else this.content.push({ type: 'thinking', thinking: event.text, signature: '' });
        return;
      }
      case 'reasoning_block': {
        const b = event.block;
        if (b.type === 'redacted_thinking') {
          this.content.push({ type: 'redacted_thinking', data: b.data });
          return;
        }
        const last = this.content.at(-1);
        if (last?.type === 'thinking' && last['signature'] === '') last['signature'] = b.signature ?? '';
        else this.content.push({ type: 'thinking', thinking: b.thinking, signature: b.signature ?? '' });
        return;
      }
      case 'tool_call_start': {
        const block = { type: 'tool_use', id: event.id, name: event.name, input: {} };
        this.tools.set(event.index, { block, args: '' });
        this.content.push(block);
        return;
      }
      case 'tool_call_delta': {
        const t = this.tools.get(event.index);
        if (t === undefined) {
          this.failure ??= unusableAnswer(
            `The provider sent arguments for tool call ${event.index} before starting it. Retry the request.`,
          );
          return;
        }
        t.args += event.arguments;
        return;
      }
      case 'finish':
        this.finish ??= event;
        return;
      case 'usage':
        this.usage = event.usage;
        return;
      case 'error':
        this.failure ??= event.error;
        return;
      default:
        return;
    }
  }

  /** The message; throws a ProviderError when the events carried an error or never began. */
  result(): AnthropicMessageOut {
    if (this.failure !== undefined) throw new ProviderError(this.failure);
    if (this.head === undefined) throw badResponse('The provider ended the answer before it began. Retry the request.');
    for (const { block, args } of this.tools.values()) {
      if (args.trim().length === 0) continue;
      try {
        block['input'] = JSON.parse(args) as unknown;
      } catch {
        throw badResponse(
          `The provider answered tool call '${String(block['name'])}' with arguments that are not JSON. Retry the request.`,
        );
      }
    }
    const f = this.finish;
    return {
      id: this.opts.id,
      type: 'message',
      role: 'assistant',
      model: this.head.model || this.opts.model,
      content: this.content,
      stop_reason: f === undefined ? 'end_turn' : anthropicStopReason(f.reason, f.nativeReason),
      stop_sequence: null,
      usage: toAnthropicUsage(
        this.usage ?? {
          promptTokens: 0,
          completionTokens: 0,
          cachedTokens: 0,
          cacheWriteTokens: 0,
          reasoningTokens: 0,
        },
      ),
    };
  }
}

import type { GatewayError, TokenUsage } from '@switchyard/contracts';
import type { ChatCompletion, ChatCompletionChoice, ChatToolCall } from '../../openai-types';
import { ProviderError } from '../../provider-adapter';
import type {
  CanonicalEvent,
  CanonicalFinishReason,
  EventOf,
  ReasoningBlock,
  TokenLogprob,
} from '../canonical-event.types';
import { toOpenAIUsage } from './openai-usage';
import { badResponse, unusableAnswer } from '../../errors/bad-response';

interface ChoiceState {
  content: string | null;
  refusal: string | null;
  reasoning: string | null;
  blocks: ReasoningBlock[];
  tools: Map<number, ChatToolCall>;
  finish: CanonicalFinishReason | null;
  /** Log-probabilities of the content tokens, when the provider reported them. */
  logprobs: TokenLogprob[] | null;
}

/**
 * Builds one non-streamed `chat.completion` from canonical events: what a client that did not ask for a
 * stream gets when the provider only streams, or when the adapter works in events either way.
 */
export class OpenAIChatAggregator {
  private head: EventOf<'message_start'> | undefined;
  private readonly choices = new Map<number, ChoiceState>();
  private usage: TokenUsage | undefined;
  private failure: GatewayError | undefined;

  constructor(private readonly opts: { reasoning?: 'reasoning_content' | 'omit' } = {}) {}

  push(event: CanonicalEvent): void {
    switch (event.type) {
      case 'message_start':
        this.head = event;
        return;
      case 'role':
        this.choice(event.choice);
        return;
      case 'text_delta': {
        const c = this.choice(event.choice);
        c.content = (c.content ?? '') + event.text;
        if (event.logprobs !== undefined) (c.logprobs ??= []).push(...event.logprobs);
        return;
      }
      case 'refusal_delta': {
        const c = this.choice(event.choice);
        c.refusal = (c.refusal ?? '') + event.text;
        return;
      }
      case 'reasoning_delta': {
        const c = this.choice(event.choice);
        c.reasoning = (c.reasoning ?? '') + event.text;
        return;
      }
      case 'reasoning_block':
        this.choice(event.choice).blocks.push(event.block);
        return;
      case 'tool_call_start':
        this.choice(event.choice).tools.set(event.index, {
          id: event.id,
          type: 'function',
          function: { name: event.name, arguments: '' },
        });
        return;
      case 'tool_call_delta': {
        const call = this.choice(event.choice).tools.get(event.index);
        // Arguments for a call that never started cannot be attributed; the provider's stream is broken.
        if (call === undefined) {
          this.failure ??= unusableAnswer(
            `The provider streamed arguments for tool call ${event.index} before starting it. Retry the request.`,
          );
          return;
        }
        call.function.arguments += event.arguments;
        return;
      }
      case 'finish':
        this.choice(event.choice).finish = event.reason;
        return;
      case 'usage':
        this.usage = event.usage;
        return;
      case 'error':
        this.failure ??= event.error;
        return;
    }
  }

  /** The error the stream ended with, if any. */
  get error(): GatewayError | undefined {
    return this.failure;
  }

  /** The completion; throws a ProviderError if the stream reported an error or never started. */
  result(): ChatCompletion {
    if (this.failure !== undefined) throw new ProviderError(this.failure);
    const head = this.head;
    if (head === undefined) {
      throw badResponse('The provider ended the answer before it began. Retry the request.');
    }
    const choices: ChatCompletionChoice[] = [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => {
        const message: ChatCompletionChoice['message'] = { role: 'assistant', content: c.content, refusal: c.refusal };
        if (this.opts.reasoning !== 'omit') {
          if (c.reasoning !== null) message['reasoning_content'] = c.reasoning;
          if (c.blocks.length > 0) message['thinking_blocks'] = c.blocks;
        }
        if (c.tools.size > 0) message.tool_calls = [...c.tools.entries()].sort(([a], [b]) => a - b).map(([, t]) => t);
        message.annotations = [];
        const logprobs = c.logprobs === null ? null : { content: c.logprobs, refusal: null };
        return { index, message, logprobs, finish_reason: c.finish };
      });
    return {
      id: head.id,
      object: 'chat.completion',
      created: head.created,
      model: head.model,
      choices,
      ...(this.usage !== undefined && { usage: toOpenAIUsage(this.usage) }),
      ...(head.serviceTier !== undefined && { service_tier: head.serviceTier }),
      ...(head.systemFingerprint !== undefined && { system_fingerprint: head.systemFingerprint }),
    };
  }

  private choice(index: number): ChoiceState {
    let c = this.choices.get(index);
    if (c === undefined) {
      c = {
        content: null,
        refusal: null,
        reasoning: null,
        blocks: [],
        tools: new Map(),
        finish: null,
        logprobs: null,
      };
      this.choices.set(index, c);
    }
    return c;
  }
}

/** All events at once: the completion they describe. */
export function aggregateOpenAIChat(events: Iterable<CanonicalEvent>): ChatCompletion {
  const agg = new OpenAIChatAggregator();
  for (const e of events) agg.push(e);
  return agg.result();
}

import { errorBody } from '@switchyard/contracts';
import type { ChatCompletionChunk, ChatCompletionChunkChoice, ChatCompletionChunkDelta } from '../../openai-types';
import type { CanonicalEvent, EventOf } from '../canonical-event.types';
import { toOpenAIUsage } from './openai-usage';

export interface OpenAIChatEncoderOptions {
  /** The client asked for `stream_options.include_usage`: `usage: null` on every chunk, then a usage-only chunk. */
  includeUsage: boolean;
  /**
   * Where reasoning deltas go: `reasoning_content` (the field OpenAI-compatible servers and LiteLLM use;
   * OpenAI's own SDK ignores it), with whole blocks in `thinking_blocks`, or nowhere.
   */
  reasoning?: 'reasoning_content' | 'omit';
}

const DONE = 'data: [DONE]\n\n';

/**
 * Writes canonical events as OpenAI `chat.completion.chunk` SSE text, the way OpenAI streams them: a
 * first chunk per choice with `role: "assistant"` and `content: ""`, one chunk per delta, `finish_reason`
 * on a chunk of its own with an empty delta, and (when asked for) a last chunk with `choices: []` and the
 * usage, written by end() because providers may report usage before the last choice finished.
 */
export class OpenAIChatEncoder {
  private head: EventOf<'message_start'> | undefined;
  private readonly started = new Set<number>();
  private usage: EventOf<'usage'>['usage'] | undefined;
  private failed = false;

  constructor(private readonly opts: OpenAIChatEncoderOptions) {}

  /** Feeds one event; returns the SSE text to write ('' for none). */
  push(event: CanonicalEvent): string {
    if (this.failed) return '';
    switch (event.type) {
      case 'message_start':
        this.head = event;
        return '';
      case 'role':
        return this.start(event.choice);
      case 'text_delta':
        return this.start(event.choice) + this.delta(event.choice, { content: event.text });
      case 'refusal_delta':
        return this.start(event.choice) + this.delta(event.choice, { refusal: event.text });
      case 'reasoning_delta':
        if (this.opts.reasoning === 'omit') return this.start(event.choice);
        return this.start(event.choice) + this.delta(event.choice, { reasoning_content: event.text });
      case 'reasoning_block':
        // The whole block at once (LiteLLM's `thinking_blocks`): a client collects these to send back.
        if (this.opts.reasoning === 'omit') return this.start(event.choice);
        return this.start(event.choice) + this.delta(event.choice, { thinking_blocks: [event.block] });
      case 'tool_call_start':
        return (
          this.start(event.choice) +
          this.delta(event.choice, {
            tool_calls: [
              { index: event.index, id: event.id, type: 'function', function: { name: event.name, arguments: '' } },
            ],
          })
        );
      case 'tool_call_delta':
        return (
          this.start(event.choice) +
          this.delta(event.choice, { tool_calls: [{ index: event.index, function: { arguments: event.arguments } }] })
        );
      case 'finish':
        return (
          this.start(event.choice) +
          this.write([{ index: event.choice, delta: {}, logprobs: null, finish_reason: event.reason }])
        );
      case 'usage':
        this.usage = event.usage;
        return '';
      case 'error':
        this.failed = true;
        return `data: ${JSON.stringify(errorBody(event.error))}\n\n`;
    }
  }

  /** The events are over: the usage-only chunk when the client asked for it and the provider reported usage. */
  end(): string {
    if (this.failed || !this.opts.includeUsage || this.usage === undefined) return '';
    const chunk = this.chunk([]);
    chunk.usage = toOpenAIUsage(this.usage);
    this.usage = undefined;
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }

  /** The stream's last line. */
  terminator(): string {
    return DONE;
  }

  private start(choice: number): string {
    if (this.started.has(choice)) return '';
    this.started.add(choice);
    return this.delta(choice, { role: 'assistant', content: '', refusal: null });
  }

  private delta(choice: number, delta: ChatCompletionChunkDelta): string {
    return this.write([{ index: choice, delta, logprobs: null, finish_reason: null }]);
  }

  private write(choices: ChatCompletionChunkChoice[]): string {
    return `data: ${JSON.stringify(this.chunk(choices))}\n\n`;
  }

  private chunk(choices: ChatCompletionChunkChoice[]): ChatCompletionChunk {
    const head = this.head;
    if (head === undefined) throw new Error('OpenAIChatEncoder: message_start must come before any other event.');
    // Key order follows OpenAI's streams; optional fields appear only when the provider told us their value.
    const chunk: ChatCompletionChunk = {
      id: head.id,
      object: 'chat.completion.chunk',
      created: head.created,
      model: head.model,
      ...(head.serviceTier !== undefined && { service_tier: head.serviceTier }),
      ...(head.systemFingerprint !== undefined && { system_fingerprint: head.systemFingerprint }),
      choices,
      ...(this.opts.includeUsage && { usage: null }),
    };
    return chunk;
  }
}

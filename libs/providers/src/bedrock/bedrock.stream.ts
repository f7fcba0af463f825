import type { GatewayError, TokenUsage } from '@switchyard/contracts';
import type { CanonicalFinishReason, ReasoningBlock } from '../canonical/canonical-event.types';
import type { CanonicalSink, NativeStreamReader } from '../canonical/canonical-stream';
import { readAwsServiceMessage } from '../framing/bedrock-event';
import type { AwsEventStreamMessage } from '../framing/framing.types';
import { FrameDecodeError } from '../framing/framing.types';
import { bedrockStreamError } from './bedrock.errors';
import { RESPONSE_FORMAT_TOOL } from './bedrock.request';
import type {
  BedrockTokenUsage,
  ContentBlockDeltaEvent,
  ContentBlockStartEvent,
  ContentBlockStopEvent,
  MessageStopEvent,
  MetadataEvent,
} from './bedrock.types';
import { unusableAnswer } from '../errors/bad-response';

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/**
 * Bedrock usage → the contracts' convention. Bedrock's `inputTokens` leaves out the prompt tokens read from
 * or written to the cache (as Anthropic's `input_tokens` does), so the prompt is their sum. Converse
 * reports no reasoning count: reasoning tokens are inside `outputTokens` and reported as 0.
 */
export function bedrockUsage(u: Partial<BedrockTokenUsage> | undefined): TokenUsage {
  const cachedTokens = count(u?.cacheReadInputTokens);
  const cacheWriteTokens = count(u?.cacheWriteInputTokens);
  return {
    promptTokens: count(u?.inputTokens) + cachedTokens + cacheWriteTokens,
    completionTokens: count(u?.outputTokens),
    cachedTokens,
    cacheWriteTokens,
    reasoningTokens: 0,
  };
}

/**
 * A Converse stop reason → the OpenAI finish_reason, or the error it means. `tool_use` is `tool_calls`
 * unless the only tool called was the response_format translation (then the answer is content: `stop`).
 * A model whose output Bedrock could not parse (`malformed_*`) gave no usable answer: an error.
 */
export function bedrockFinish(
  stopReason: string,
  calledClientTool: boolean,
): { reason: CanonicalFinishReason } | { error: GatewayError } {
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
      return { reason: calledClientTool ? 'tool_calls' : 'stop' };
    case 'tool_use':
      return { reason: calledClientTool ? 'tool_calls' : 'stop' };
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return { reason: 'length' };
    case 'guardrail_intervened':
    case 'content_filtered':
      return { reason: 'content_filter' };
    case 'malformed_model_output':
    case 'malformed_tool_use':
      return {
        error: unusableAnswer(
          `The model's output could not be read by bedrock (${stopReason}). Retry the request; another deployment may serve it.`,
        ),
      };
    default:
      return { reason: calledClientTool ? 'tool_calls' : 'stop' };
  }
}

export interface BedrockReaderOptions {
  /** The id the client's chunks carry (`chatcmpl-...`). */
  id: string;
  /** The model the client asked for (what the chunks name). */
  model: string;
  /** Seconds since the epoch. */
  created: number;
}

type BlockState =
  | { kind: 'text' }
  | { kind: 'tool'; index: number }
  /** The response_format tool: its input is the answer's content. */
  | { kind: 'answer' }
  | { kind: 'reasoning'; text: string; signature: string | undefined; redacted: string | undefined };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a ConverseStream, one AWS event-stream message at a time: messageStart, per content block a
 * contentBlockStart (tool use only), contentBlockDeltas (text, tool input fragments, reasoning text and
 * signature), contentBlockStop; then messageStop (the stop reason) and metadata (usage), after which the
 * answer is complete. Exception messages (`:message-type` exception) end the stream with their error.
 * Also reads a whole Converse answer (readConverseOutput), so both paths emit the same events.
 */
export class BedrockStreamReader implements NativeStreamReader<AwsEventStreamMessage> {
  private started = false;
  private readonly blocks = new Map<number, BlockState>();
  private tools = 0;
  private stopped = false;

  constructor(private readonly opts: BedrockReaderOptions) {}

  push(message: AwsEventStreamMessage, sink: CanonicalSink): void {
    let m;
    try {
      m = readAwsServiceMessage(message);
    } catch (e) {
      sink.emit({
        type: 'error',
        error: unusableAnswer(`The provider's stream is malformed: ${(e as FrameDecodeError).message}`),
      });
      return;
    }
    if (m.messageType === 'exception') {
      sink.emit({
        type: 'error',
        error: bedrockStreamError(m.exceptionType, this.messageOf(m.payload), this.opts.model),
      });
      return;
    }
    if (m.messageType === 'error') {
      sink.emit({ type: 'error', error: bedrockStreamError(m.errorCode, m.errorMessage, this.opts.model) });
      return;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(utf8.decode(m.payload));
    } catch {
      sink.emit({
        type: 'error',
        error: unusableAnswer(`The provider sent a ${m.eventType} event that is not JSON. Retry the request.`),
      });
      return;
    }
    if (payload === null || typeof payload !== 'object') return;
    switch (m.eventType) {
      case 'messageStart':
        this.start(sink);
        return;
      case 'contentBlockStart':
        this.blockStart(payload as ContentBlockStartEvent, sink);
        return;
      case 'contentBlockDelta':
        this.blockDelta(payload as ContentBlockDeltaEvent, sink);
        return;
      case 'contentBlockStop':
        this.blockStop((payload as ContentBlockStopEvent).contentBlockIndex, sink);
        return;
      case 'messageStop':
        this.stop((payload as MessageStopEvent).stopReason, sink);
        return;
      case 'metadata':
        this.start(sink);
        sink.emit({ type: 'usage', usage: bedrockUsage((payload as MetadataEvent).usage) });
        if (this.stopped) sink.done();
        return;
      default:
        // An event this reader does not know yet (Bedrock adds some over time): nothing for the client.
        return;
    }
  }

  end(sink: CanonicalSink): void {
    // A stream that said why it stopped is complete even if its metadata (usage) did not come.
    if (this.stopped) sink.done();
  }

  /** Emits the events of a whole Converse answer's content blocks, as the stream would have. */
  readContent(content: readonly Record<string, unknown>[], sink: CanonicalSink): void {
    this.start(sink);
    content.forEach((block, i) => {
      if (typeof block['text'] === 'string') {
        this.blockDelta({ contentBlockIndex: i, delta: { text: block['text'] } }, sink);
      } else if (block['toolUse'] !== undefined) {
        const use = block['toolUse'] as { toolUseId?: unknown; name?: unknown; input?: unknown };
        if (typeof use.toolUseId !== 'string' || typeof use.name !== 'string') {
          sink.emit({
            type: 'error',
            error: unusableAnswer('The provider answered with a tool use without an id or name.'),
          });
          return;
        }
        this.blockStart(
          { contentBlockIndex: i, start: { toolUse: { toolUseId: use.toolUseId, name: use.name } } },
          sink,
        );
        this.blockDelta({ contentBlockIndex: i, delta: { toolUse: { input: JSON.stringify(use.input ?? {}) } } }, sink);
      } else if (block['reasoningContent'] !== undefined) {
        const rc = block['reasoningContent'] as {
          reasoningText?: { text?: unknown; signature?: unknown };
          redactedContent?: unknown;
        };
        const text = rc.reasoningText?.text;
        const signature = rc.reasoningText?.signature;
        this.blockDelta(
          {
            contentBlockIndex: i,
            delta: {
              reasoningContent: {
                ...(typeof text === 'string' && { text }),
                ...(typeof signature === 'string' && { signature }),
                ...(typeof rc.redactedContent === 'string' && { redactedContent: rc.redactedContent }),
              },
            },
          },
          sink,
        );
        this.blockStop(i, sink);
      }
      // Other blocks (citations, images) have no place in an OpenAI chat answer.
    });
  }

  /** The stop reason of a whole answer: its finish (or error) event. */
  readStop(stopReason: string, sink: CanonicalSink): void {
    this.stop(stopReason, sink);
  }

  private messageOf(payload: Uint8Array): string | undefined {
    try {
      const doc = JSON.parse(utf8.decode(payload)) as { message?: unknown; Message?: unknown };
      const m = doc?.message ?? doc?.Message;
      return typeof m === 'string' ? m : undefined;
    } catch {
      return undefined;
    }
  }

  private start(sink: CanonicalSink): void {
    if (this.started) return;
    this.started = true;
    sink.emit({ type: 'message_start', id: this.opts.id, model: this.opts.model, created: this.opts.created });
    sink.emit({ type: 'role', choice: 0 });
  }

  private blockStart(e: ContentBlockStartEvent, sink: CanonicalSink): void {
    this.start(sink);
    const use = e.start?.toolUse;
    if (use === undefined) return;
    if (use.name === RESPONSE_FORMAT_TOOL) {
      this.blocks.set(e.contentBlockIndex, { kind: 'answer' });
      return;
    }
    const index = this.tools++;
    this.blocks.set(e.contentBlockIndex, { kind: 'tool', index });
    sink.emit({ type: 'tool_call_start', choice: 0, index, id: use.toolUseId, name: use.name });
  }

  private blockDelta(e: ContentBlockDeltaEvent, sink: CanonicalSink): void {
    this.start(sink);
    const d = e.delta ?? {};
    const block = this.blocks.get(e.contentBlockIndex);
    if (typeof d.text === 'string') {
      sink.emit({ type: 'text_delta', choice: 0, text: d.text });
    } else if (d.toolUse !== undefined) {
      const input = typeof d.toolUse.input === 'string' ? d.toolUse.input : '';
      if (block?.kind === 'answer') sink.emit({ type: 'text_delta', choice: 0, text: input });
      else if (block?.kind === 'tool')
        sink.emit({ type: 'tool_call_delta', choice: 0, index: block.index, arguments: input });
      else
        sink.emit({
          type: 'error',
          error: unusableAnswer(
            `The provider streamed tool input for content block ${e.contentBlockIndex} before starting it. Retry the request.`,
          ),
        });
    } else if (d.reasoningContent !== undefined) {
      const rc = d.reasoningContent;
      let r = block?.kind === 'reasoning' ? block : undefined;
      if (r === undefined) {
        r = { kind: 'reasoning', text: '', signature: undefined, redacted: undefined };
        this.blocks.set(e.contentBlockIndex, r);
      }
      if (typeof rc.text === 'string') {
        r.text += rc.text;
        sink.emit({ type: 'reasoning_delta', choice: 0, text: rc.text });
      }
      if (typeof rc.signature === 'string') r.signature = (r.signature ?? '') + rc.signature;
      if (typeof rc.redactedContent === 'string') r.redacted = (r.redacted ?? '') + rc.redactedContent;
    }
  }

  private blockStop(index: number, sink: CanonicalSink): void {
    const block = this.blocks.get(index);
    if (block?.kind !== 'reasoning') return;
    const out: ReasoningBlock =
      block.redacted !== undefined
        ? { type: 'redacted_thinking', data: block.redacted }
        : { type: 'thinking', thinking: block.text, signature: block.signature ?? null };
    sink.emit({ type: 'reasoning_block', choice: 0, block: out });
  }

  private stop(stopReason: unknown, sink: CanonicalSink): void {
    this.start(sink);
    const native = typeof stopReason === 'string' ? stopReason : 'end_turn';
    const finish = bedrockFinish(native, this.tools > 0);
    if ('error' in finish) {
      sink.emit({ type: 'error', error: finish.error });
      return;
    }
    this.stopped = true;
    sink.emit({ type: 'finish', choice: 0, reason: finish.reason, nativeReason: native });
  }
}

import type { GatewayError } from '@switchyard/contracts';
import { canonicalStreamTranslator, type CanonicalSink, type NativeStreamReader } from '../canonical/canonical-stream';
import type { StreamTranslator, StreamTranslatorOptions } from '../provider-adapter';
import type { SseEvent } from '../sse/sse.parser';
import { anthropicStreamError } from './anthropic.errors';
import { JSON_TOOL_NAME } from './anthropic.request';
import { anthropicFinish, anthropicTokenUsage, hasUsage, type AnthropicReadOptions } from './anthropic.response';
import type { AnthropicStreamEvent, AnthropicUsage } from './anthropic.types';

/** What one open content block of the stream is, by its index. */
type Block =
  | { kind: 'text' }
  /** A client tool's call: its arguments stream as tool_call deltas. */
  | { kind: 'tool'; index: number; args: number }
  /** The response_format tool: its input streams as the message's text. */
  | { kind: 'json' }
  | { kind: 'thinking'; thinking: string; signature: string }
  /** Blocks with no OpenAI counterpart (server tools' results): read and left out. */
  | { kind: 'other' };

/** The events that carry the answer, after message_start. */
const ANSWER_EVENTS: ReadonlySet<string> = new Set([
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
]);

function badStream(message: string): GatewayError {
  return {
    kind: 'upstream_5xx',
    status: 502,
    type: 'api_error',
    code: 'upstream_bad_stream',
    param: null,
    retryable: true,
    message,
  };
}

/**
 * Anthropic's Messages stream, one SSE event at a time: message_start (id, model, input usage),
 * content_block_start / _delta / _stop per block (text, tool_use, thinking, redacted_thinking),
 * message_delta (stop_reason, final usage), message_stop (the answer is complete); ping, and event types it
 * does not know (Vertex AI's vertex_event), are skipped wherever they come, and an `error` event ends the
 * stream with its error. Canonical events out, nothing written here.
 */
export class AnthropicStreamReader implements NativeStreamReader<SseEvent> {
  private started = false;
  private readonly blocks = new Map<number, Block>();
  private tools = 0;
  private thinkingChars = 0;
  private usage: AnthropicUsage = {};
  private failed = false;
  private finished = false;

  constructor(private readonly opts: AnthropicReadOptions & { model?: string } = {}) {}

  push(event: SseEvent, sink: CanonicalSink): void {
    if (this.failed) return;
    if (event.event === 'ping' || event.data.length === 0) return;
    let ev: AnthropicStreamEvent;
    try {
      ev = JSON.parse(event.data) as AnthropicStreamEvent;
    } catch {
      return this.fail(sink, badStream('The provider sent a stream event that is not JSON. Retry the request.'));
    }
    if (ev === null || typeof ev !== 'object') {
      return this.fail(sink, badStream('The provider sent a stream event that is not an object. Retry the request.'));
    }
    if (event.event === 'error' || ev.type === 'error') {
      const error = (ev as { error?: { type: string; message: string } }).error;
      return this.fail(sink, anthropicStreamError(error, this.deploymentView()));
    }
    if (!this.started && ev.type !== 'message_start') {
      // Events that carry none of the answer may come first: ping, Vertex AI's vertex_event (its metered usage).
      if (!ANSWER_EVENTS.has(ev.type)) return;
      return this.fail(
        sink,
        badStream(
          `The provider's stream began with ${JSON.stringify(ev.type)} instead of message_start. Retry the request.`,
        ),
      );
    }
    switch (ev.type) {
      case 'message_start': {
        if (this.started) return;
        this.started = true;
        const m = ev.message;
        const now = this.opts.now ?? Date.now;
        sink.emit({
          type: 'message_start',
          id: String(m?.id ?? ''),
          model: String(m?.model ?? ''),
          created: Math.floor(now() / 1000),
        });
        sink.emit({ type: 'role', choice: 0 });
        if (m?.usage !== undefined && m.usage !== null) this.usage = { ...m.usage };
        return;
      }
      case 'content_block_start':
        return this.start(ev.index, ev.content_block as Record<string, unknown>, sink);
      case 'content_block_delta':
        return this.delta(ev.index, ev.delta as Record<string, unknown>, sink);
      case 'content_block_stop':
        return this.stop(ev.index, sink);
      case 'message_delta': {
        // Counts in message_delta are cumulative; a null one keeps what message_start said.
        for (const [k, v] of Object.entries(ev.usage ?? {})) if (v !== null && v !== undefined) this.usage[k] = v;
        const reason = ev.delta?.stop_reason ?? null;
        if (!this.finished) {
          this.finished = true;
          sink.emit({
            type: 'finish',
            choice: 0,
            reason: anthropicFinish(reason, this.tools === 0),
            nativeReason: reason,
          });
        }
        // A stream that reported no counts at all leaves usage to the caller's estimate, rather than zero.
        if (hasUsage(this.usage)) {
          sink.emit({ type: 'usage', usage: anthropicTokenUsage(this.usage, this.thinkingChars) });
        }
        return;
      }
      case 'message_stop':
        sink.done();
        return;
      default:
        // Event types added after this was written are skipped, as Anthropic's versioning policy asks.
        return;
    }
  }

  end(): void {
    // Nothing is implicit in Anthropic's stream: without message_stop it was cut short (the caller reports it).
  }

  private start(index: number, block: Record<string, unknown> | undefined, sink: CanonicalSink): void {
    const type = block?.['type'];
    if (type === 'text') {
      this.blocks.set(index, { kind: 'text' });
      const text = block?.['text'];
      if (typeof text === 'string' && text.length > 0) sink.emit({ type: 'text_delta', choice: 0, text });
    } else if (type === 'tool_use') {
      if (block?.['name'] === JSON_TOOL_NAME) {
        this.blocks.set(index, { kind: 'json' });
        return;
      }
      const call = { kind: 'tool' as const, index: this.tools++, args: 0 };
      this.blocks.set(index, call);
      sink.emit({
        type: 'tool_call_start',
        choice: 0,
        index: call.index,
        id: String(block?.['id'] ?? ''),
        name: String(block?.['name'] ?? ''),
      });
    } else if (type === 'thinking') {
      const thinking = typeof block?.['thinking'] === 'string' ? block['thinking'] : '';
      const b: Block = {
        kind: 'thinking',
        thinking: '',
        signature: typeof block?.['signature'] === 'string' ? block['signature'] : '',
      };
      this.blocks.set(index, b);
      if (thinking.length > 0) this.think(b, thinking, sink);
    } else if (type === 'redacted_thinking') {
      this.blocks.set(index, { kind: 'other' });
      if (typeof block?.['data'] === 'string') {
        sink.emit({ type: 'reasoning_block', choice: 0, block: { type: 'redacted_thinking', data: block['data'] } });
      }
    } else {
      this.blocks.set(index, { kind: 'other' });
    }
  }

  private think(b: Extract<Block, { kind: 'thinking' }>, text: string, sink: CanonicalSink): void {
    b.thinking += text;
    this.thinkingChars += text.length;
    sink.emit({ type: 'reasoning_delta', choice: 0, text });
  }

  private delta(index: number, delta: Record<string, unknown> | undefined, sink: CanonicalSink): void {
    const b = this.blocks.get(index);
    if (b === undefined) {
      return this.fail(
        sink,
        badStream(`The provider streamed a delta for content block ${index} before starting it. Retry the request.`),
      );
    }
    const type = delta?.['type'];
    const text = (field: string): string => (typeof delta?.[field] === 'string' ? (delta[field] as string) : '');
    if (type === 'text_delta' && b.kind === 'text') {
      const t = text('text');
      if (t.length > 0) sink.emit({ type: 'text_delta', choice: 0, text: t });
    } else if (type === 'input_json_delta' && (b.kind === 'tool' || b.kind === 'json')) {
      const json = text('partial_json');
      if (json.length === 0) return;
      if (b.kind === 'json') sink.emit({ type: 'text_delta', choice: 0, text: json });
      else {
        b.args += json.length;
        sink.emit({ type: 'tool_call_delta', choice: 0, index: b.index, arguments: json });
      }
    } else if (type === 'thinking_delta' && b.kind === 'thinking') {
      const t = text('thinking');
      if (t.length > 0) this.think(b, t, sink);
    } else if (type === 'signature_delta' && b.kind === 'thinking') {
      b.signature += text('signature');
    }
    // citations_delta, and deltas of blocks left out: nothing to say in an OpenAI chunk.
  }

  private stop(index: number, sink: CanonicalSink): void {
    const b = this.blocks.get(index);
    if (b === undefined) return;
    if (b.kind === 'thinking') {
      sink.emit({
        type: 'reasoning_block',
        choice: 0,
        block: { type: 'thinking', thinking: b.thinking, signature: b.signature.length > 0 ? b.signature : null },
      });
    } else if (b.kind === 'tool' && b.args === 0) {
      // A call without arguments streams none: OpenAI clients parse the arguments, so they get "{}".
      sink.emit({ type: 'tool_call_delta', choice: 0, index: b.index, arguments: '{}' });
    }
  }

  private fail(sink: CanonicalSink, error: GatewayError): void {
    this.failed = true;
    sink.emit({ type: 'error', error });
  }

  private deploymentView(): { id: string; modelName: string; provider: string; model: string } {
    return { id: '', modelName: this.opts.model ?? 'requested', provider: 'anthropic', model: '' };
  }
}

/** The StreamTranslator of the Anthropic adapter: its reader's events, written as OpenAI chunks. */
export function createAnthropicStreamTranslator(
  opts: StreamTranslatorOptions,
  read: AnthropicReadOptions = {},
): StreamTranslator<SseEvent> {
  return canonicalStreamTranslator(opts, new AnthropicStreamReader({ ...read, model: opts.request?.model }));
}

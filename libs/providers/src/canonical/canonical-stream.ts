import type { ClientApi, GatewayError } from '@switchyard/contracts';
import { ProviderError, type StreamTranslator, type StreamTranslatorOptions } from '../provider-adapter';
import { initialStreamState } from '../openai/openai.stream';
import type { CanonicalEvent } from './canonical-event.types';
import { AnthropicMessagesEncoder } from './encoders/anthropic-messages.encoder';
import { OpenAIChatAggregator } from './encoders/openai-chat.aggregator';
import { OpenAIChatEncoder } from './encoders/openai-chat.encoder';
import { OpenAIResponsesEncoder } from './encoders/openai-responses.encoder';
import { responseEcho, wantsReasoningSummary } from '../responses/responses.object';

/** Writes canonical events as one client API's stream text. */
export interface CanonicalEncoder {
  /** Feeds one event; returns the wire text to write ('' for none). */
  push(event: CanonicalEvent): string;
  /** The events are over (normally): the closing wire text. */
  end(): string;
}

/**
 * The encoder of the client's API (StreamTranslatorOptions.clientApi; OpenAI chat when absent). A client
 * API without an encoder here cannot be served by translation, and says so.
 */
export function encoderFor(opts: StreamTranslatorOptions, options: CanonicalTranslatorOptions = {}): CanonicalEncoder {
  const api: ClientApi = opts.clientApi ?? 'openai.chat';
  switch (api) {
    case 'openai.chat':
      return new OpenAIChatEncoder({
        includeUsage: opts.includeUsage,
        reasoning: options.reasoning ?? 'reasoning_content',
      });
    case 'anthropic.messages':
      return new AnthropicMessagesEncoder({
        id: opts.request?.id ?? 'msg_unknown',
        model: opts.request?.model ?? '',
        promptChars: opts.request?.promptChars,
      });
    case 'openai.responses':
      return new OpenAIResponsesEncoder({
        id: opts.request?.id ?? 'resp_unknown',
        model: opts.request?.model ?? '',
        echo: responseEcho(opts.request?.clientBody),
        reasoningSummary: wantsReasoningSummary(opts.request?.clientBody),
      });
    default:
      throw new ProviderError({
        kind: 'bad_request',
        status: 400,
        type: 'invalid_request_error',
        code: 'unsupported_client_api',
        param: null,
        retryable: false,
        message: `Answers cannot be written in the ${api} API by translation yet. Use /v1/chat/completions.`,
      });
  }
}

/** Where a native stream reader puts what it understood. */
export interface CanonicalSink {
  emit(event: CanonicalEvent): void;
  /** The provider said the answer is complete (Anthropic `message_stop`, Bedrock `messageStop` + metadata, ...). */
  done(): void;
}

/**
 * A provider's stream, read one framed event at a time (an SSE event, an AWS event-stream message, a
 * JSON value): a stateful object per stream that emits canonical events. It never writes wire text: the
 * OpenAI encoder does, so every native adapter's chunks are shaped by one piece of code.
 */
export interface NativeStreamReader<E> {
  push(event: E, sink: CanonicalSink): void;
  /** The upstream body ended: emit what the provider left implicit (a final finish, usage). */
  end(sink: CanonicalSink): void;
}

export interface CanonicalTranslatorOptions {
  /** Where reasoning goes in the client's chunks (default `reasoning_content`). */
  reasoning?: 'reasoning_content' | 'omit';
  /**
   * Pass-through: each upstream event is written to the client as this function renders it (its own
   * bytes, for an upstream that speaks the client's API), and the reader only keeps the state (commit
   * point, usage, errors). An event that ends the stream with an error is not written: the gateway writes
   * the client API's error event.
   */
  passthrough?: (event: unknown) => string;
}

const truncated = (): GatewayError => ({
  kind: 'upstream_5xx',
  status: 502,
  type: 'api_error',
  code: 'upstream_stream_truncated',
  param: null,
  message: 'The provider closed the stream before the answer was complete. Retry the request.',
  retryable: true,
});

/**
 * The StreamTranslator of a native adapter: its reader's canonical events, written as OpenAI chunks, with
 * the translator state (commit point, usage, generated characters, errors) kept from the events. An
 * `error` event is not written: the state carries it and the translator's relay ends the stream with it.
 */
export function canonicalStreamTranslator<E>(
  opts: StreamTranslatorOptions,
  reader: NativeStreamReader<E>,
  options: CanonicalTranslatorOptions = {},
): StreamTranslator<E> {
  const state = initialStreamState();
  const passthrough = options.passthrough;
  const encoder: CanonicalEncoder = passthrough ? { push: () => '', end: () => '' } : encoderFor(opts, options);
  let out = '';
  const sink: CanonicalSink = {
    emit(event) {
      if (state.error !== undefined || state.done) return;
      switch (event.type) {
        case 'text_delta':
        case 'refusal_delta':
        case 'reasoning_delta':
          if (event.text.length === 0) return;
          state.generatedChars += event.text.length;
          state.contentSeen = true;
          break;
        case 'tool_call_start':
          state.generatedChars += event.name.length;
          state.contentSeen = true;
          break;
        case 'tool_call_delta':
          state.generatedChars += event.arguments.length;
          break;
        case 'finish':
          if (!state.finished) state.finishReason = event.reason;
          state.finished = true;
          break;
        case 'usage':
          state.usage = event.usage;
          break;
        case 'error':
          state.error = event.error;
          return;
        default:
          break;
      }
      out += encoder.push(event);
    },
    done() {
      if (state.error === undefined) state.done = true;
    },
  };
  const take = (): string => {
    const text = out;
    out = '';
    return text;
  };
  return {
    state,
    push(event) {
      if (state.done || state.error !== undefined) return '';
      reader.push(event, sink);
      if (passthrough !== undefined && state.error === undefined) out += passthrough(event);
      return take();
    },
    end() {
      if (state.error === undefined && !state.done) {
        reader.end(sink);
        if (state.error === undefined && !state.done) {
          if (state.finished) state.done = true;
          else state.error = truncated();
        }
      }
      if (state.error !== undefined) return take();
      return take() + encoder.end();
    },
  };
}

/**
 * Reads a whole native answer through the same reader a stream uses (for providers whose non-streamed
 * answer is easiest described as events), and returns the `chat.completion` it makes. Throws a
 * ProviderError when the events carried an error or never began.
 */
export function aggregateCanonical(
  emitAll: (sink: CanonicalSink) => void,
  options: CanonicalTranslatorOptions = {},
): ReturnType<OpenAIChatAggregator['result']> {
  const agg = new OpenAIChatAggregator({ reasoning: options.reasoning ?? 'reasoning_content' });
  emitAll({ emit: (e) => agg.push(e), done: () => undefined });
  return agg.result();
}

import type { SseEvent } from '../sse/sse.parser';

/**
 * How an upstream frames a streamed response body. Declared by the adapter, never guessed by shared code:
 * - `sse`: Server-Sent Events (OpenAI, Anthropic, Gemini with `alt=sse`);
 * - `aws-eventstream`: the binary `application/vnd.amazon.eventstream` framing (Bedrock ConverseStream);
 * - `json`: one JSON document streamed as it is written, usually a top-level array (Gemini without `alt=sse`);
 * - `ndjson`: one JSON value per line (Ollama, Cohere v1).
 */
export type StreamFraming = 'sse' | 'aws-eventstream' | 'json' | 'ndjson';

/** A header value of an AWS event stream message, tagged with its wire type so it re-encodes byte for byte. */
export type AwsHeaderValue =
  | { type: 'boolean'; value: boolean }
  | { type: 'byte'; value: number }
  | { type: 'short'; value: number }
  | { type: 'integer'; value: number }
  | { type: 'long'; value: bigint }
  | { type: 'binary'; value: Uint8Array }
  | { type: 'string'; value: string }
  /** Milliseconds since the epoch, as the wire carries them (an i64). */
  | { type: 'timestamp'; value: bigint }
  /** Lower-case 8-4-4-4-12 hex. */
  | { type: 'uuid'; value: string };

/** One message of an AWS event stream. */
export interface AwsEventStreamMessage {
  headers: Record<string, AwsHeaderValue>;
  payload: Uint8Array;
}

/** What each framing yields: one event type per framing, so callers never switch on the framing. */
export interface FramedEvent {
  sse: SseEvent;
  'aws-eventstream': AwsEventStreamMessage;
  /** Each element of the top-level array (or the single top-level value), parsed. */
  json: unknown;
  /** Each line's value, parsed. */
  ndjson: unknown;
}

/**
 * Turns body pieces into framed events, in any split of the body. `push` returns the events that the piece
 * completed; `end` says the body is over and returns what was still pending. Both throw a FrameDecodeError
 * when the body is not what the framing promises (its `events` holds what was complete before the fault);
 * after one, the decoder stays failed and every further call throws the same error.
 */
export interface FrameDecoder<E> {
  push(bytes: Uint8Array): E[];
  end(): E[];
}

export type FrameDecodeErrorCode =
  /** The body ended in the middle of a frame (or before the first). */
  | 'truncated'
  /** A line or element is not JSON. */
  | 'invalid_json'
  /** The bytes do not follow the framing's structure (a JSON array that is not one, an unknown header type). */
  | 'invalid_frame'
  | 'bad_prelude_crc'
  | 'bad_message_crc'
  /** A frame is larger than the decoder's bound. */
  | 'frame_too_large';

export interface FrameDecoderOptions {
  /** Largest frame accepted, bytes: a message (aws-eventstream), a line (ndjson) or an element (json). */
  maxFrameBytes?: number;
}

/** 16 MiB: the AWS event stream's own bound on a message, applied to every framing. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** The upstream body broke its framing. Carries the events that were complete before the fault. */
export class FrameDecodeError extends Error {
  constructor(
    readonly framing: StreamFraming,
    readonly code: FrameDecodeErrorCode,
    message: string,
    /** Events completed by the same call before the fault: forward them before reporting the error. */
    readonly events: unknown[] = [],
  ) {
    super(message);
    this.name = 'FrameDecodeError';
  }
}

import type { GatewayError } from '@switchyard/contracts';
import type { StreamContext } from '../codecs/client-codec';

/** A stream chunk held from byte `at` on (what comes before it is written at once) until `done` settles. */
export interface ChunkHold {
  at: number;
  done: Promise<void>;
}

/**
 * A front door's look at the answer on its way to the client (the Responses API keeps the response it
 * stores). A returned hold keeps that frame (from a given byte on), and every frame after it, back until it
 * settles: what the client reads last is written only once the tap is done with it (a stored response exists
 * before the client can name it in its next request).
 */
export interface AnswerTap {
  /** One stream chunk (whole events of the client's API); a hold keeps its tail back. */
  chunk(data: Uint8Array): ChunkHold | undefined;
  /** A leading piece of a non-streamed answer. */
  part(data: Uint8Array): void;
  /** A whole non-streamed answer (its last piece when parts came before). */
  response(data: Uint8Array): Promise<void> | undefined;
  /** The stream's closing error, when the tap knows more than the codec does (the events' numbering). */
  streamError?(e: GatewayError, ctx: StreamContext): string;
}

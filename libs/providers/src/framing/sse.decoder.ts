import { SseParser, type SseEvent } from '../sse/sse.parser';
import type { FrameDecoder } from './framing.types';

/**
 * SSE framing: the existing SseParser behind the FrameDecoder interface. SSE cannot be malformed (every
 * byte sequence is a valid event stream), so this decoder never fails; a body cut mid-event still yields
 * that last event (see SseParser.end), and judging completeness is the adapter's job.
 */
export function createSseDecoder(): FrameDecoder<SseEvent> {
  const parser = new SseParser();
  return {
    push: (bytes) => parser.push(bytes),
    end: () => parser.end(),
  };
}

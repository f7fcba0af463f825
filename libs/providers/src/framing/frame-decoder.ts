import { createAwsEventStreamDecoder } from './aws-eventstream.decoder';
import type { FrameDecoder, FrameDecoderOptions, FramedEvent, StreamFraming } from './framing.types';
import { createJsonStreamDecoder } from './json-stream.decoder';
import { createNdjsonDecoder } from './ndjson.decoder';
import { createSseDecoder } from './sse.decoder';

const factories: { [F in StreamFraming]: (opts: FrameDecoderOptions) => FrameDecoder<FramedEvent[F]> } = {
  sse: () => createSseDecoder(),
  'aws-eventstream': createAwsEventStreamDecoder,
  json: createJsonStreamDecoder,
  ndjson: createNdjsonDecoder,
};

/** The decoder for an adapter's declared framing; the event type follows from the framing. */
export function createFrameDecoder<F extends StreamFraming>(
  framing: F,
  opts: FrameDecoderOptions = {},
): FrameDecoder<FramedEvent[F]> {
  const factory: (opts: FrameDecoderOptions) => FrameDecoder<FramedEvent[F]> = factories[framing];
  return factory(opts);
}

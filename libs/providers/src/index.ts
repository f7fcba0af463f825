export * from './openai-types';
export * from './provider-adapter';
export * from './provider.registry';
export * from './upstream-errors';
export * from './sse/sse.parser';
export * from './openai/openai.adapter';
export * from './openai/openai.request';
export * from './openai/openai.response';
export * from './openai/openai.stream';
export * from './openai/openai.errors';
export * from './fake/fake.adapter';
export * from './fake/fake.responder';
export * from './provider-deployment';
export * from './usage/usage.estimate';
export * from './json/json.scan';
// StreamFraming of framing.types is the v2 union; provider-adapter.ts still exports the old one until the
// integrator points it here (then this list becomes `export *`).
export {
  DEFAULT_MAX_FRAME_BYTES,
  FrameDecodeError,
  type AwsEventStreamMessage,
  type AwsHeaderValue,
  type FrameDecodeErrorCode,
  type FrameDecoder,
  type FrameDecoderOptions,
  type FramedEvent,
} from './framing/framing.types';
export * from './framing/frame-decoder';
export * from './framing/sse.decoder';
export * from './framing/ndjson.decoder';
export * from './framing/json-stream.decoder';
export * from './framing/aws-eventstream.decoder';
export * from './framing/bedrock-event';
export * from './framing/crc32';
export * from './params/param-map.types';
export * from './params/param-map.engine';
export * from './canonical/canonical-event.types';
export * from './canonical/encoders/openai-usage';
export * from './canonical/encoders/openai-chat.encoder';
export * from './canonical/encoders/openai-chat.aggregator';
export * from './canonical/decoders/openai-chat.decoder';

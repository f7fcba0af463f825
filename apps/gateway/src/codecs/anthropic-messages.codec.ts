import type { ClientCodec } from './client-codec';
import { anthropicError, anthropicErrorEnvelope } from './anthropic-messages.envelope';
import { validateMessagesRequest } from './anthropic-messages.validator';
import { openAIChatCodec } from './openai-chat.codec';

const EMPTY = new Uint8Array(0);

/**
 * Anthropic's Messages API (`POST /v1/messages`): requests checked as Anthropic checks them
 * (anthropic-messages.validator.ts), errors in `{"type":"error","error":{"type","message"}}` with
 * Anthropic's error type for the status. A stream ends with its own `message_stop` (written by the
 * upstream, or by the translator's encoder), so the gateway adds nothing at its end; one that breaks
 * after it began ends with Anthropic's `error` event, which the SDKs raise as an APIError.
 */
export const anthropicMessagesCodec: ClientCodec = {
  api: 'anthropic.messages',
  summarise: (body, headers) => validateMessagesRequest(body, headers),
  errorBody: anthropicErrorEnvelope.errorBody,
  statusFor: anthropicErrorEnvelope.statusFor,
  streamError: (e) => `event: error\ndata: ${JSON.stringify({ type: 'error', error: anthropicError(e) })}\n\n`,
  terminator: EMPTY,
  streamHeaders: openAIChatCodec.streamHeaders,
  jsonContentType: 'application/json',
};

/**
 * `POST /v1/messages/count_tokens`: the same request without max_tokens, answered `{"input_tokens": N}`
 * by the provider's counting endpoint where it has one, else by the translator's estimate.
 */
export const anthropicCountTokensCodec: ClientCodec = {
  ...anthropicMessagesCodec,
  summarise: (body, headers) => validateMessagesRequest(body, headers, true),
};

import { errorBody, type GatewayError, type RequestSummary } from '@switchyard/contracts';
import { checkEmbeddingsRequest } from '@switchyard/providers';
import type { ClientCodec } from './client-codec';
import { openAIChatCodec } from './openai-chat.codec';
import { readRoutingHints, readTags } from './openai-chat.validator';

/**
 * OpenAI's Embeddings API (`POST /v1/embeddings`): requests checked as OpenAI checks them (input as a string,
 * strings or token arrays; `dimensions`; `encoding_format`), answers always one JSON body, errors in
 * OpenAI's envelope. Never streamed, so the stream members are never written.
 */
export const openAIEmbeddingsCodec: ClientCodec = {
  api: 'openai.embeddings',
  summarise: validateEmbeddingsRequest,
  errorBody: (e) => JSON.stringify(errorBody(e)),
  streamError: (e) => JSON.stringify(errorBody(e)),
  terminator: new Uint8Array(0),
  streamHeaders: openAIChatCodec.streamHeaders,
  jsonContentType: 'application/json',
};

export function validateEmbeddingsRequest(
  body: unknown,
): { ok: true; value: RequestSummary } | { ok: false; error: GatewayError } {
  const checked = checkEmbeddingsRequest(body);
  if (!checked.ok) return checked;
  const doc = checked.body as Record<string, unknown>;
  const routing = readRoutingHints(doc);
  if (!routing.ok) return routing;
  const value: RequestSummary = {
    model: checked.body.model,
    stream: false,
    includeUsage: false,
    tags: readTags(doc['metadata']),
    promptChars: checked.promptChars,
    strip: routing.strip,
  };
  if (typeof checked.body.user === 'string') value.user = checked.body.user.slice(0, 256);
  if (routing.models.length > 0) value.models = routing.models;
  if (routing.provider !== undefined) value.provider = routing.provider;
  if (routing.numRetries !== undefined) value.numRetries = routing.numRetries;
  if (routing.disableFallbacks) value.disableFallbacks = true;
  return { ok: true, value };
}

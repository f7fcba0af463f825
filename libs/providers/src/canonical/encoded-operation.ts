import { Errors, type ClientApi, type RequestSummary } from '@switchyard/contracts';
import { chatInputFromBody } from '../chat-input';
import { messagesToChatRequest } from '../messages/messages-chat.request';
import { chatRequestFromCompletion, type CompletionRequest } from '../completions/completions.request';
import { textCompletionFromChat, textCompletionSse } from '../completions/completions.response';
import type { ChatCompletion } from '../openai-types';
import { badResponse } from '../errors/bad-response';
import {
  ProviderError,
  type ChatInput,
  type ChatOperation,
  type ParsedResponse,
  type ProviderAdapter,
} from '../provider-adapter';
import type { StreamFraming } from '../framing/framing.types';
import { canonicalStreamTranslator } from './canonical-stream';
import { emitChatCompletion, OpenAIChatStreamReader } from './decoders/openai-chat.decoder';
import { AnthropicMessageAggregator } from './encoders/anthropic-messages.aggregator';
import { OpenAIResponsesEncoder } from './encoders/openai-responses.encoder';
import { responsesToChatRequest } from '../responses/responses-chat.request';
import { responseEcho, wantsReasoningSummary } from '../responses/responses.object';

/** The id the translator gives an answer in the client's API (`msg_…` for Anthropic's, `cmpl-…` for legacy completions). */
export function answerIdFor(clientApi: ClientApi, requestId: string): string {
  switch (clientApi) {
    case 'anthropic.messages':
      return `msg_${requestId}`;
    case 'openai.completions':
      return `cmpl-${requestId}`;
    case 'openai.embeddings':
      return `embd-${requestId}`;
    case 'openai.responses':
      return `resp_${requestId}`;
    default:
      return `chatcmpl-${requestId}`;
  }
}

/** A whole chat.completion written in the client's API (its non-streamed answer). */
export function encodeCompletion(
  clientApi: ClientApi,
  completion: ChatCompletion,
  head: { id: string; model: string; clientBody?: unknown },
): string {
  if (clientApi === 'openai.completions') return textCompletionFromChat(JSON.stringify(completion));
  if (clientApi === 'openai.responses') {
    const enc = new OpenAIResponsesEncoder({
      id: head.id,
      model: head.model,
      echo: responseEcho(head.clientBody),
      reasoningSummary: wantsReasoningSummary(head.clientBody),
    });
    emitChatCompletion(completion, { emit: (e) => void enc.push(e), done: () => undefined });
    return JSON.stringify(enc.result());
  }
  if (clientApi !== 'anthropic.messages') return JSON.stringify(completion);
  const agg = new AnthropicMessageAggregator(head);
  emitChatCompletion(completion, { emit: (e) => agg.push(e), done: () => undefined });
  return JSON.stringify(agg.result());
}

/**
 * The adapter's chat operation for a client of another API (a Messages client of a Gemini deployment, a
 * legacy completions client of Anthropic): the request is the chat request translated from the client's
 * (translatedChatInput), built by the adapter as usual; the answer is the adapter's, written in the client's
 * API. Messages streams: a native adapter's canonical events go to that API's encoder
 * (StreamTranslatorOptions.clientApi); an OpenAI-compatible upstream's chunks are read back into canonical
 * events first (OpenAIChatStreamReader); whole answers go through that API's aggregator. Legacy completions
 * are chat with another envelope: the adapter's chat chunks and answer, rewritten as `text_completion`s.
 * Responses answers repeat their request (`clientBody`, the client's parsed request).
 */
export function encodedOperation<F extends StreamFraming>(
  adapter: ProviderAdapter<F>,
  clientApi: ClientApi,
  requestId: string,
  clientBody?: unknown,
): ChatOperation<F> {
  const chat = adapter.chat;
  return {
    buildRequest: (input, deployment, ctx) => chat.buildRequest(input, deployment, ctx),
    ...(chat.signRequest !== undefined && { signRequest: (req, ctx) => chat.signRequest!(req, ctx) }),
    parseResponse: (body, input): ParsedResponse => {
      const parsed = chat.parseResponse(body, input);
      const text =
        parsed.body ??
        (typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
      let completion: ChatCompletion;
      try {
        completion = JSON.parse(text) as ChatCompletion;
      } catch {
        throw badResponse('The provider answered with a body that is not JSON. Retry the request.');
      }
      const out = encodeCompletion(clientApi, completion, {
        id: answerIdFor(clientApi, requestId),
        model: input.summary.model,
        clientBody,
      });
      return { ...parsed, body: out };
    },
    createStreamTranslator: (opts) => {
      if (clientApi === 'openai.completions') {
        const inner = chat.createStreamTranslator(opts);
        return {
          state: inner.state,
          push: (event) => textCompletionSse(inner.push(event)),
          end: () => textCompletionSse(inner.end()),
        };
      }
      const o = { ...opts, clientApi, request: opts.request && { ...opts.request, clientBody } };
      if (adapter.api === 'native') return chat.createStreamTranslator(o);
      // Every OpenAI-compatible adapter streams SSE chunks.
      return canonicalStreamTranslator(o, new OpenAIChatStreamReader()) as unknown as ReturnType<
        ChatOperation<F>['createStreamTranslator']
      >;
    },
  };
}

/** Client APIs whose requests can be translated to chat for any adapter (encodedOperation answers them). */
export const TRANSLATED_CLIENT_APIS: ReadonlySet<ClientApi> = new Set<ClientApi>([
  'anthropic.messages',
  'openai.completions',
  'openai.responses',
]);

/**
 * The chat request an adapter takes, translated from a request in the client's API (`raw`, as the client
 * sent it). Throws a ProviderError (400) for what cannot be translated.
 */
export function translatedChatInput(
  clientApi: ClientApi,
  raw: Uint8Array,
  summary: RequestSummary | undefined,
  adapter: ProviderAdapter,
): ChatInput {
  if (!TRANSLATED_CLIENT_APIS.has(clientApi)) {
    throw new ProviderError({
      ...Errors.invalidRequest(`Requests in the ${clientApi} API cannot be translated for this model.`),
      kind: 'bad_request',
    });
  }
  // Front doors other than chat always send the gateway's summary; a sender that did not is refused.
  if (summary === undefined) {
    throw new ProviderError({
      ...Errors.invalidRequest('The request carries no summary header; send it through the gateway.'),
      kind: 'bad_request',
      retryable: false,
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'));
  } catch {
    throw new ProviderError({ ...Errors.invalidRequest('The request body is not valid JSON.'), kind: 'bad_request' });
  }
  if (clientApi === 'openai.completions') {
    // The prompt as one user message; the gateway's summary (model, stream options, members to strip) holds.
    const asChat = chatRequestFromCompletion(body as CompletionRequest, adapter.provider);
    if ('error' in asChat) throw new ProviderError(asChat.error);
    return chatInputFromBody(asChat.chat, summary);
  }
  if (clientApi === 'openai.responses' && body !== null && typeof body === 'object') {
    // The gateway's members (routing hints, the previous_response_id it expanded into `input`) stay here.
    const own = { ...(body as Record<string, unknown>) };
    for (const member of summary.strip) delete own[member];
    body = own;
  }
  const chat =
    clientApi === 'openai.responses'
      ? responsesToChatRequest(body)
      : messagesToChatRequest(body, { native: adapter.api === 'native' });
  // The summary keeps the client's model and prompt size; its gateway-only members are gone. includeUsage
  // false: OpenAI-compatible adapters then ask for the usage chunk themselves.
  return chatInputFromBody(chat, { ...summary, strip: [], includeUsage: false, streamOptions: undefined });
}

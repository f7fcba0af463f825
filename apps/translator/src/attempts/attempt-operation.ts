import { Errors, type ClientApi, type GatewayError, type RequestSummary } from '@switchyard/contracts';
import {
  chatInput,
  chatRequestFromCompletion,
  embeddingsInput,
  ProviderError,
  textCompletionFromChat,
  textCompletionSse,
  type ChatInput,
  type ChatOperation,
  type CompletionRequest,
  type FramedEvent,
  type ParsedResponse,
  type ProviderAdapter,
  type ProviderDeployment,
  type RequestContext,
  type StreamFraming,
  type StreamTranslator,
  type StreamTranslatorOptions,
  type UpstreamRequest,
} from '@switchyard/providers';

/** What the relays and usage estimates read of a request, whatever its client API. */
export interface AttemptInput {
  readonly summary: RequestSummary;
  readonly stream: boolean;
}

/**
 * One attempt's work for the client API its request speaks, bound to the request: how to ask the upstream,
 * how to read its whole answer, how to translate its stream. The relays see only this, so a new client API
 * is one more case in operationFor(), not a change to them.
 */
export interface AttemptOperation {
  readonly input: AttemptInput;
  buildRequest(deployment: ProviderDeployment, ctx: RequestContext): UpstreamRequest;
  signRequest?(request: UpstreamRequest, ctx: RequestContext): Promise<UpstreamRequest>;
  parseResponse(
    body: string | Uint8Array,
    headers: Readonly<Record<string, string | string[] | undefined>>,
  ): ParsedResponse;
  createStreamTranslator(opts: StreamTranslatorOptions): StreamTranslator<FramedEvent[StreamFraming]>;
  /** Prefix of ids the translator makes for this API's answers (`chatcmpl`, `cmpl`). */
  readonly idPrefix: string;
}

/**
 * The operation that serves `clientApi` on `adapter`, or the error that refuses it: undefined when the
 * adapter cannot serve the API at all (the caller answers with its API-mismatch error, so another
 * deployment may). Throws a ProviderError for a request the API cannot carry to this provider (a 400).
 */
export function operationFor(
  adapter: ProviderAdapter,
  clientApi: ClientApi,
  raw: Uint8Array,
  summary: RequestSummary | undefined,
): AttemptOperation | undefined {
  switch (clientApi) {
    case 'openai.chat': {
      if (adapter.api !== 'openai.chat' && adapter.api !== 'native') return undefined;
      return chatOperation(adapter.chat, chatInput(raw, summary), 'chatcmpl');
    }
    case 'openai.completions': {
      const s = required(summary);
      if (adapter.completions !== undefined) return chatOperation(adapter.completions, chatInput(raw, s), 'cmpl');
      return completionsThroughChat(adapter, raw, s);
    }
    case 'openai.embeddings': {
      const op = adapter.embeddings;
      if (op === undefined) return undefined;
      const input = embeddingsInput(raw, required(summary));
      return {
        // Embeddings are never streamed, whatever the body says.
        input: { summary: input.summary, stream: false },
        idPrefix: 'embd',
        buildRequest: (deployment, ctx) => op.buildRequest(input, deployment, ctx),
        ...(op.signRequest !== undefined && { signRequest: op.signRequest.bind(op) }),
        parseResponse: (body, headers) => op.parseResponse(body, input, headers),
        createStreamTranslator: () => {
          throw new Error('embeddings are never streamed');
        },
      };
    }
    default:
      return undefined;
  }
}

function chatOperation<F extends StreamFraming>(
  op: ChatOperation<F>,
  input: ChatInput,
  idPrefix: string,
): AttemptOperation {
  return {
    input,
    idPrefix,
    buildRequest: (deployment, ctx) => op.buildRequest(input, deployment, ctx),
    ...(op.signRequest !== undefined && { signRequest: op.signRequest.bind(op) }),
    parseResponse: (body) => op.parseResponse(body, input),
    createStreamTranslator: (opts) => op.createStreamTranslator(opts) as StreamTranslator<FramedEvent[StreamFraming]>,
  };
}

/**
 * A legacy completions request to a provider without that endpoint: asked as chat (the prompt as one user
 * message), answered as `text_completion` objects and chunks.
 */
function completionsThroughChat(adapter: ProviderAdapter, raw: Uint8Array, summary: RequestSummary): AttemptOperation {
  let body: CompletionRequest;
  try {
    body = JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8')) as CompletionRequest;
  } catch {
    throw new ProviderError(Errors.invalidRequest('The request body is not valid JSON.'));
  }
  const asChat = chatRequestFromCompletion(body, adapter.provider);
  if ('error' in asChat) throw new ProviderError(asChat.error);
  const input = chatInput(Buffer.from(JSON.stringify(asChat.chat), 'utf8'), summary);
  const chat = adapter.chat;
  return {
    input,
    idPrefix: 'cmpl',
    buildRequest: (deployment, ctx) => chat.buildRequest(input, deployment, ctx),
    ...(chat.signRequest !== undefined && { signRequest: chat.signRequest.bind(chat) }),
    parseResponse: (bytes) => {
      const parsed = chat.parseResponse(bytes, input);
      return { ...parsed, body: textCompletionFromChat(parsed.body ?? bytes) };
    },
    createStreamTranslator: (opts) => {
      const inner = chat.createStreamTranslator(opts) as StreamTranslator<FramedEvent[StreamFraming]>;
      return {
        state: inner.state,
        push: (event) => textCompletionSse(inner.push(event)),
        end: () => textCompletionSse(inner.end()),
      };
    },
  };
}

/** Front doors other than chat always send the gateway's summary; a sender that did not is refused. */
function required(summary: RequestSummary | undefined): RequestSummary {
  if (summary !== undefined) return summary;
  throw new ProviderError(missingSummary);
}

const missingSummary: GatewayError = {
  ...Errors.invalidRequest('The request carries no summary header; send it through the gateway.'),
  retryable: false,
};

import { Errors, type ClientApi, type RequestSummary } from '@switchyard/contracts';
import {
  answerIdFor,
  chatInput,
  embeddingsInput,
  encodedOperation,
  ProviderError,
  TRANSLATED_CLIENT_APIS,
  translatedChatInput,
  type ChatInput,
  type ChatOperation,
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
 * How an attempt serves its client's API on its deployment's adapter:
 * - `same`: the adapter's own API (OpenAI chat to an OpenAI-compatible server, or to a native adapter, which
 *   writes OpenAI chat through the canonical encoder; embeddings through the adapter's embeddings operation);
 * - `passthrough`: the upstream speaks the client's API too (Messages to Anthropic, legacy completions to
 *   OpenAI and Azure): the request goes on as written, answers are only scanned for usage;
 * - `translated`: asked through the adapter's chat, answered in the client's API (encodedOperation).
 */
export type AttemptRoute = 'same' | 'passthrough' | 'translated';

/**
 * One attempt's work for the client API its request speaks, bound to the request: how to ask the upstream,
 * how to read its whole answer, how to translate its stream. The relays see only this, so a new client API
 * is one more case in operationFor(), not a change to them.
 */
export interface AttemptOperation {
  readonly route: AttemptRoute;
  readonly input: AttemptInput;
  /** The id the translator gives this request's answer in the client's API (`chatcmpl-…`, `msg_…`, `cmpl-…`). */
  readonly answerId: string;
  buildRequest(deployment: ProviderDeployment, ctx: RequestContext): UpstreamRequest;
  signRequest?(request: UpstreamRequest, ctx: RequestContext): Promise<UpstreamRequest>;
  parseResponse(
    body: string | Uint8Array,
    headers: Readonly<Record<string, string | string[] | undefined>>,
  ): ParsedResponse;
  createStreamTranslator(opts: StreamTranslatorOptions): StreamTranslator<FramedEvent[StreamFraming]>;
}

/**
 * The one place that decides, per client API and adapter, how an attempt is served (AttemptRoute) and binds
 * the operation to the request (`deployment` is the one it goes to, its model as sent upstream: a pass-through
 * may serve only some models). Undefined when the adapter cannot serve the API at all (the caller answers
 * with its API-mismatch error, so another deployment may). Throws a ProviderError for a request the API
 * cannot carry to this provider (a 400).
 */
export function operationFor(
  adapter: ProviderAdapter,
  clientApi: ClientApi,
  raw: Uint8Array,
  summary: RequestSummary | undefined,
  requestId: string,
  deployment: ProviderDeployment,
): AttemptOperation | undefined {
  const answerId = answerIdFor(clientApi, requestId);
  if (clientApi === 'openai.embeddings') {
    const op = adapter.embeddings;
    if (op === undefined) return undefined;
    const input = embeddingsInput(raw, required(summary));
    return {
      route: 'same',
      // Embeddings are never streamed, whatever the body says.
      input: { summary: input.summary, stream: false },
      answerId,
      buildRequest: (deployment, ctx) => op.buildRequest(input, deployment, ctx),
      ...(op.signRequest !== undefined && { signRequest: op.signRequest.bind(op) }),
      parseResponse: (body, headers) => op.parseResponse(body, input, headers),
      createStreamTranslator: () => {
        throw new Error('embeddings are never streamed');
      },
    };
  }
  const served: ClientApi = adapter.api === 'native' ? 'openai.chat' : adapter.api;
  if (clientApi === served) return bind('same', adapter.chat, chatInput(raw, summary), answerId);
  const passthrough = adapter.passthrough?.[clientApi];
  if (passthrough !== undefined && (passthrough.serves === undefined || passthrough.serves(deployment))) {
    return bind('passthrough', passthrough, chatInput(raw, summary), answerId);
  }
  if (!TRANSLATED_CLIENT_APIS.has(clientApi)) return undefined;
  const input = translatedChatInput(clientApi, raw, summary, adapter);
  // A Responses answer repeats its request (instructions, tools, metadata): its encoder reads the client's body.
  const clientBody = clientApi === 'openai.responses' ? JSON.parse(Buffer.from(raw).toString('utf8')) : undefined;
  return bind('translated', encodedOperation(adapter, clientApi, requestId, clientBody), input, answerId);
}

function bind<F extends StreamFraming>(
  route: AttemptRoute,
  op: ChatOperation<F>,
  input: ChatInput,
  answerId: string,
): AttemptOperation {
  return {
    route,
    input,
    answerId,
    buildRequest: (deployment, ctx) => op.buildRequest(input, deployment, ctx),
    ...(op.signRequest !== undefined && { signRequest: op.signRequest.bind(op) }),
    parseResponse: (body) => op.parseResponse(body, input),
    createStreamTranslator: (opts) => op.createStreamTranslator(opts) as StreamTranslator<FramedEvent[StreamFraming]>,
  };
}

/** Front doors other than chat always send the gateway's summary; a sender that did not is refused. */
function required(summary: RequestSummary | undefined): RequestSummary {
  if (summary !== undefined) return summary;
  throw new ProviderError({
    ...Errors.invalidRequest('The request carries no summary header; send it through the gateway.'),
    retryable: false,
  });
}

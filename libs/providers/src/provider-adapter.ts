import type { ProviderDeployment } from './provider-deployment';
import type { ClientApi, GatewayError, RequestSummary, TokenUsage } from '@switchyard/contracts';
import type { ChatCompletionRequest } from './openai-types';
import type { SseEvent } from './sse/sse.parser';

import type { CredentialSource, RequestContext } from './credentials/credentials.types';
import type { FramedEvent, StreamFraming } from './framing/framing.types';
import type { DroppedParam } from './params/param-map.types';
import type { EmbeddingsInput } from './embeddings/embeddings.types';

/**
 * The API an adapter's upstream speaks, in the gateway's client-API terms: when a request's client API is
 * the same, its bytes pass through (edited only where needed) and answers are only scanned for usage.
 */
export type UpstreamApi = ClientApi | 'native';

/**
 * What the translator got from the client, through the router (made by chatInput()): the raw bytes, kept
 * for pass-through, the gateway's summary of them, and the parsed body, parsed on first use only.
 */
export interface ChatInput {
  /** The client's JSON bytes as received; adapters send these unchanged when they need no edit. */
  readonly raw: Uint8Array;
  /** What the gateway learnt of the body: model, stream, usage options, prompt size, gateway-only members. */
  readonly summary: RequestSummary;
  /** True when the client asked for a stream (`stream: true`). */
  readonly stream: boolean;
  /** The parsed body. Parsed on first read: adapters that translate need it; pass-through does not. */
  readonly body: ChatCompletionRequest;
}

/** A described HTTP request; the translator owns the connection pools and performs it. */
export interface UpstreamRequest {
  url: string;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body: string | Uint8Array;
  /** Request parameters left out because drop_params / additional_drop_params said so: the translator logs them. */
  dropped?: readonly DroppedParam[];
}

/** An upstream reply, as the translator hands it to the adapter's error normaliser. */
export interface UpstreamErrorInput {
  status: number;
  /** Response body as text (may be empty, HTML, or anything a proxy in between produced). */
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface ParsedResponse {
  /** Replacement body for the client, or `null` to forward the upstream bytes unchanged (cheapest). */
  body: string | null;
  /** Usage as the upstream reported it; undefined when the answer carried none (the caller estimates). */
  usage: TokenUsage | undefined;
  /** Characters of generated text, set when `usage` is undefined: what the estimate counts. */
  generatedChars?: number;
}

export interface StreamState {
  /** A chunk with generated content (text, refusal or tool call) went by: time to first token. */
  contentSeen: boolean;
  /** A choice reported its finish_reason. */
  finished: boolean;
  /** The first finish reason reported, in OpenAI's words (`stop`, `length`, `tool_calls`, `content_filter`). */
  finishReason?: string;
  /** The upstream said it is done (`[DONE]`, or its equivalent). */
  done: boolean;
  usage: TokenUsage | undefined;
  /**
   * Characters of generated text (content, refusal, reasoning, tool-call arguments) seen so far: what a
   * usage estimate counts when the stream is cut short before the upstream reported `usage`.
   */
  generatedChars: number;
  /** The upstream reported an error inside the stream; nothing more should be forwarded. */
  error: GatewayError | undefined;
}

/**
 * Turns upstream stream events (of the adapter's framing: SSE events, AWS event-stream messages, JSON
 * values) into the client's wire text: a reducer over typed state that the caller feeds one event at a
 * time. State is updated in place (one object per stream, nothing per event).
 */
export interface StreamTranslator<E = SseEvent> {
  readonly state: Readonly<StreamState>;
  /** Feeds one upstream event; returns the wire text (`data: {...}\n\n`) to forward, or '' for none. */
  push(event: E): string;
  /**
   * The upstream body ended: returns the wire text of any final chunks (a usage chunk, a closing event) to
   * forward, or '', and records an error in state if the stream ended before it was complete.
   */
  end(): string;
}

export interface StreamTranslatorOptions {
  /** The client asked for `stream_options.include_usage`: forward the final usage-only chunk. */
  includeUsage: boolean;
  /**
   * The API the client speaks, when it is not OpenAI chat: native adapters write their canonical events
   * with this API's encoder (canonical-stream encoderFor).
   */
  clientApi?: ClientApi;
  /** What the translator knows of the request, for adapters that write chunks of their own. */
  request?: {
    /** An id for chunks the adapter writes itself when the provider gives none (`chatcmpl-...`). */
    id: string;
    /** The model the client asked for (what its chunks name). */
    model: string;
    /** The number of choices asked for (`n`). */
    n: number;
    /**
     * Characters of prompt text (RequestSummary.promptChars): an estimate of the input tokens for encoders
     * that must state them before the provider reports them (Anthropic's message_start).
     */
    promptChars?: number;
    /**
     * The client's request as parsed, for encoders whose answer repeats it (a Responses API answer echoes
     * its instructions, tools, text format, reasoning and metadata).
     */
    clientBody?: unknown;
  };
}

/** The built-in fake provider's answer (served in process by the translator): status, headers and body pieces. */
export interface LocalReply {
  status: number;
  headers: Record<string, string>;
  /** Body pieces, as an HTTP upstream would deliver them in several reads. */
  chunks: Uint8Array[];
}

/**
 * One provider API. Pure: describes the HTTP request and interprets the reply; does no I/O itself. Its
 * stream framing is declared here and decoded by the decoder made for it (framing/), never by an if-chain.
 */
export interface ProviderAdapter<F extends StreamFraming = StreamFraming> {
  /** Provider name as written in `litellm_params.model` ("openai", "groq", "fake", ...). */
  readonly provider: string;
  /** The API its upstream speaks; `native` when it is none of the gateway's client APIs. */
  readonly api: UpstreamApi;
  /** How its streamed answers are framed: the translator picks the decoder by it. */
  readonly streamFraming: F;
  /** How its credentials are obtained; the translator's credentials service resolves and caches them. */
  readonly credentials: CredentialSource;
  /** Chat completions. Other operations sit beside it, each with its own handlers. */
  readonly chat: ChatOperation<F>;
  /** OpenAI's embeddings (`/v1/embeddings`), translated to the provider's own; absent when it has none. */
  readonly embeddings?: EmbeddingsOperation;
  /**
   * Requests of a client API this upstream speaks natively, other than OpenAI chat (Anthropic's Messages API
   * to Anthropic, OpenAI's legacy completions to OpenAI and Azure): sent on as the client wrote them (the
   * model set, nothing else lost), answers only scanned for usage. Such an operation reads `input.raw` and
   * `input.summary`, never `input.body`. A client API with no entry here is translated to `chat` where it
   * can be (canonical/encoded-operation.ts).
   */
  readonly passthrough?: Partial<Record<ClientApi, PassthroughOperation<F>>>;
  /** Maps a non-2xx upstream reply to the error the client (or the router's retry logic) sees. */
  normaliseError(reply: UpstreamErrorInput, deployment: ProviderDeployment): GatewayError;
}

/**
 * A pass-through of a client API (ProviderAdapter.passthrough), for every deployment of the adapter or, with
 * `serves`, only those whose model speaks that API (Claude among Bedrock's models); the others are translated.
 */
export interface PassthroughOperation<F extends StreamFraming = StreamFraming> extends ChatOperation<F> {
  serves?(deployment: ProviderDeployment): boolean;
}

/** One operation of a provider API: how to ask, and how to read the answer, whole or streamed. */
export interface ChatOperation<F extends StreamFraming = StreamFraming> {
  /** Builds the upstream request for one attempt against `deployment`, with the resolved credentials. */
  buildRequest(input: ChatInput, deployment: ProviderDeployment, ctx: RequestContext): UpstreamRequest;
  /**
   * Signs the built request, for APIs whose authentication covers the body and the clock (AWS SigV4); the
   * translator awaits it before the call. Absent for APIs that take a key in a header (set by buildRequest).
   * Async because the signing library hashes through an async interface.
   */
  signRequest?(request: UpstreamRequest, ctx: RequestContext): Promise<UpstreamRequest>;
  /** Interprets a successful (2xx) non-streaming body (text or UTF-8 bytes). Throws a ProviderError if it is unusable. */
  parseResponse(body: string | Uint8Array, input: ChatInput): ParsedResponse;
  createStreamTranslator(opts: StreamTranslatorOptions): StreamTranslator<FramedEvent[F]>;
}

/** Embeddings: one request, one JSON answer (never streamed). */
export interface EmbeddingsOperation {
  buildRequest(input: EmbeddingsInput, deployment: ProviderDeployment, ctx: RequestContext): UpstreamRequest;
  /** As ChatOperation.signRequest. */
  signRequest?(request: UpstreamRequest, ctx: RequestContext): Promise<UpstreamRequest>;
  /**
   * Reads a 2xx answer into OpenAI's embeddings list (or null to forward the bytes as they are); `headers`
   * are the upstream's (Bedrock reports token counts there). Throws a ProviderError if it is unusable.
   */
  parseResponse(
    body: string | Uint8Array,
    input: EmbeddingsInput,
    headers: Readonly<Record<string, string | string[] | undefined>>,
  ): ParsedResponse;
}

/** Thrown by adapters when a request or response cannot be translated; carries the error to report. */
export class ProviderError extends Error {
  constructor(readonly gatewayError: GatewayError) {
    super(gatewayError.message);
    this.name = 'ProviderError';
  }
}

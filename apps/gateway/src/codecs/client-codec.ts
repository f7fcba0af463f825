import type { IncomingHttpHeaders } from 'node:http';
import type { ClientApi, GatewayError, RequestSummary } from '@switchyard/contracts';

/**
 * One client API at the gateway's edge (OpenAI chat, Anthropic messages; OpenAI responses and embeddings
 * next): how its requests are validated into a RequestSummary, and how the gateway writes what
 * it writes itself in that API (errors, the stream's terminator). Answer bytes come from the translator,
 * already encoded for this API.
 */
/** How one client API writes a whole error response body; every codec is one. */
export interface ErrorEnvelope {
  /** A whole error response body in this API's envelope. */
  errorBody(e: GatewayError): string;
  /** The HTTP status this API gives the error, when not the gateway's own (Anthropic's 529 for overloaded). */
  statusFor?(e: GatewayError): number;
}

/** What a codec may need to write its own stream events: the request's identity. */
export interface StreamContext {
  requestId: string;
  /** The model the client asked for. */
  model: string;
  /** Choices asked for (`n`, 1 by default). */
  n: number;
  /** Seconds since the epoch. */
  created: number;
  /** The answer's id when the stream said it (a Responses stream's `response.id`). */
  responseId?: string;
}

export interface ClientCodec extends ErrorEnvelope {
  readonly api: ClientApi;
  /**
   * Validates a parsed body; the summary is what admission, routing and usage need of it. `headers`: the
   * request's, for APIs whose headers carry what an upstream of the same API needs (anthropic-beta).
   */
  summarise(
    body: unknown,
    headers?: IncomingHttpHeaders,
  ): { ok: true; value: RequestSummary } | { ok: false; error: GatewayError };
  /** An error inside a stream that already started, in this API's framing: the stream's last bytes. */
  streamError(e: GatewayError, ctx: StreamContext): string;
  /** Written when a stream ends normally. */
  readonly terminator: Uint8Array;
  readonly streamHeaders: Readonly<Record<string, string>>;
  readonly jsonContentType: string;
}

import { Errors, GATEWAY_ONLY_FIELDS, type RequestSummary } from '@switchyard/contracts';
import type { ChatCompletionRequest } from './openai-types';
import { parseChatRequest } from './openai/openai.request';
import { ProviderError, type ChatInput } from './provider-adapter';
import { promptCharsOf } from './usage/usage.estimate';

/**
 * A chat request as the translator holds it: the client's bytes, the gateway's summary of them, and the
 * parsed body on demand. Passing a request through to an upstream that speaks the client's own API needs
 * only the summary, so on that hot path the body is never parsed a second time.
 */
class LazyChatInput implements ChatInput {
  constructor(
    readonly raw: Uint8Array,
    readonly summary: RequestSummary,
    private parsed?: ChatCompletionRequest,
  ) {}

  get stream(): boolean {
    return this.summary.stream;
  }

  get body(): ChatCompletionRequest {
    if (this.parsed === undefined) this.parsed = parseOrThrow(this.raw);
    return this.parsed;
  }
}

function parseOrThrow(raw: Uint8Array): ChatCompletionRequest {
  const body = parseChatRequest(raw);
  if (typeof body === 'string') throw new ProviderError({ ...Errors.invalidRequest(body), retryable: false });
  return body;
}

/**
 * The ChatInput for `raw`. Without a summary (a sender that gave none) the body is parsed now and
 * summarised here; a body that is not a chat request throws a ProviderError (400).
 */
export function chatInput(raw: Uint8Array, summary?: RequestSummary): ChatInput {
  if (summary !== undefined) return new LazyChatInput(raw, summary);
  const body = parseOrThrow(raw);
  return new LazyChatInput(raw, summariseChatBody(body), body);
}

/** The summary of a parsed chat body, as the gateway's OpenAI codec makes it (for senders that gave none). */
export function summariseChatBody(body: ChatCompletionRequest): RequestSummary {
  const so = body.stream_options;
  const metadata = body['metadata'];
  const summary: RequestSummary = {
    model: typeof body.model === 'string' ? body.model : '',
    stream: body.stream === true,
    includeUsage: isObject(so) && so['include_usage'] === true,
    tags: [],
    promptChars: promptCharsOf(body.messages),
    strip: GATEWAY_ONLY_FIELDS.filter((f) => body[f] !== undefined),
  };
  if (isObject(so)) summary.streamOptions = so;
  if (isObject(metadata) && Object.values(metadata).some((v) => typeof v !== 'string'))
    summary.metadataNeedsEdit = true;
  return summary;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The ChatInput of a chat request the translator made itself (from another client API's request): its
 * bytes are the body's JSON, which pass-through adapters send.
 */
export function chatInputFromBody(body: ChatCompletionRequest, summary: RequestSummary): ChatInput {
  return new LazyChatInput(Buffer.from(JSON.stringify(body), 'utf8'), summary, body);
}

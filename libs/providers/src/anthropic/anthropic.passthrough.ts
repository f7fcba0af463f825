import type { TokenUsage } from '@switchyard/contracts';
import { canonicalStreamTranslator } from '../canonical/canonical-stream';
import { badResponse } from '../errors/bad-response';
import { editTopLevel, topLevelObjectFromEnd } from '../json/json.scan';
import type { ChatInput, ChatOperation, ParsedResponse, UpstreamRequest } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import type { RequestContext } from '../credentials/credentials.types';
import type { SseEvent } from '../sse/sse.parser';
import { ANTHROPIC_VERSION, mergeBetas, type AnthropicApiVariant } from './anthropic.request';
import { anthropicTokenUsage, hasUsage, readAnthropicMessage } from './anthropic.response';
import { AnthropicStreamReader } from './anthropic.stream';
import type { AnthropicUsage } from './anthropic.types';

/** Headers of the Messages API a client sends that the upstream must get as they are. */
export const ANTHROPIC_CLIENT_HEADERS = ['anthropic-version', 'anthropic-beta'] as const;

/**
 * The body sent upstream: the client's bytes with only `model` set to the deployment's (and the variant's
 * own edits: Vertex AI moves the model to the URL and takes the version in the body) and the gateway-only
 * members removed. Edited in place (editTopLevel); re-serialised only when that cannot be done safely.
 */
function passthroughBody(
  variant: AnthropicApiVariant,
  input: ChatInput,
  deployment: ProviderDeployment,
  countTokens: boolean,
  betas: string | undefined,
): Uint8Array {
  const edits: Record<string, string | null> = {};
  for (const f of input.summary.strip) edits[f] = null;
  Object.assign(edits, variant.bodyEdits);
  // Vertex AI's count-tokens endpoint names the model in the body; its rawPredict takes it in the URL.
  const modelInBody = countTokens ? (variant.countTokens?.modelInBody ?? true) : edits['model'] !== null;
  if (modelInBody) edits['model'] = JSON.stringify(deployment.model);
  if (betas !== undefined) edits['anthropic_beta'] = JSON.stringify(betas.split(','));
  // Bedrock counts the tokens of a whole InvokeModel body, which needs max_tokens; a count request has none.
  if (countTokens && variant.countTokens !== undefined && input.summary.maxTokens === undefined) {
    edits['max_tokens'] ??= '1';
  }
  const edited = editTopLevel(input.raw, edits);
  if (edited !== undefined) return edited;
  const body = JSON.parse(Buffer.from(input.raw).toString('utf8')) as Record<string, unknown>;
  for (const [k, v] of Object.entries(edits)) {
    if (v === null) delete body[k];
    else body[k] = JSON.parse(v) as unknown;
  }
  return Buffer.from(JSON.stringify(body), 'utf8');
}

export function buildPassthroughRequest(
  variant: AnthropicApiVariant,
  input: ChatInput,
  deployment: ProviderDeployment,
  ctx: RequestContext,
): UpstreamRequest {
  const client = input.summary.clientHeaders ?? {};
  const countTokens = input.summary.countTokens === true;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: input.stream ? (variant.streamAccept ?? 'text/event-stream') : 'application/json',
  };
  if (variant.versionHeader) headers['anthropic-version'] = client['anthropic-version'] ?? ANTHROPIC_VERSION;
  Object.assign(headers, variant.authHeaders(ctx, deployment));
  let extraBeta: string | undefined;
  for (const [k, v] of Object.entries(deployment.params?.extra_headers ?? {})) {
    const name = k.toLowerCase();
    if (name === 'anthropic-beta') extraBeta = v;
    else headers[name] = v;
  }
  // The client's betas (Claude Code's features) and the deployment's, merged.
  const beta = mergeBetas(client['anthropic-beta'], extraBeta);
  const betaInBody = variant.betas === 'body';
  if (beta !== undefined && !betaInBody) headers['anthropic-beta'] = beta;
  const url = countTokens ? variant.countTokensUrl(deployment, ctx) : variant.url(deployment, input.stream, ctx);
  const body = passthroughBody(variant, input, deployment, countTokens, betaInBody ? beta : undefined);
  const wrap = countTokens ? variant.countTokens?.wrap : undefined;
  return { url, method: 'POST', headers, body: wrap !== undefined ? wrap(body) : body };
}

/** The usage of a whole Messages answer, read from its last member where it sits, else by parsing it all. */
function scanUsage(body: string | Uint8Array): TokenUsage | undefined {
  const bytes =
    typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const text = topLevelObjectFromEnd(bytes, 'usage');
  let usage: AnthropicUsage | undefined;
  let thinkingChars = 0;
  if (text !== undefined && !text.includes('"thinking_tokens"')) {
    try {
      usage = JSON.parse(text) as AnthropicUsage;
    } catch {
      usage = undefined;
    }
  }
  // Thinking text counts toward reasoning tokens: without the API's own count, the content is read too.
  if (usage === undefined || bytes.includes('"type":"thinking"')) {
    const msg = readAnthropicMessage(bytes);
    usage = msg.usage;
    for (const b of msg.content) if (b.type === 'thinking') thinkingChars += String(b['thinking'] ?? '').length;
  }
  return hasUsage(usage) ? anthropicTokenUsage(usage, thinkingChars) : undefined;
}

/**
 * A whole pass-through answer: the upstream's bytes, read for usage; a token count's answer is checked, and
 * rewritten as Anthropic's `{input_tokens}` where the API answers in its own shape (Bedrock's `inputTokens`).
 */
export function parsePassthroughResponse(
  variant: AnthropicApiVariant,
  body: string | Uint8Array,
  input: ChatInput,
): ParsedResponse {
  if (input.summary.countTokens === true) {
    const doc = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8')) as unknown;
    const read = variant.countTokens?.read;
    const count = read !== undefined ? read(doc) : (doc as { input_tokens?: unknown } | null)?.input_tokens;
    if (typeof count !== 'number') {
      throw badResponse('The provider answered count_tokens without input_tokens. Retry the request.');
    }
    // Counting tokens generates nothing and is not billed.
    return {
      body: read !== undefined ? JSON.stringify({ input_tokens: count }) : null,
      usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    };
  }
  const usage = scanUsage(body);
  return usage === undefined ? { body: null, usage, generatedChars: 0 } : { body: null, usage };
}

/** An SSE event written back as the upstream sent it (its name, its data lines). */
export function renderSseEvent(e: SseEvent): string {
  const name = e.event.length > 0 ? `event: ${e.event}\n` : '';
  return `${name}data: ${e.data.split('\n').join('\ndata: ')}\n\n`;
}

/**
 * Anthropic's Messages API for a client that speaks it (`/v1/messages`): the client's body and its
 * anthropic-version / anthropic-beta headers go upstream as they are, only the model set; answers and
 * stream events come back byte for byte as the upstream sent them, read on the side for usage, the commit
 * point and errors (AnthropicStreamReader). A stream's `error` event is not relayed: the attempt fails with
 * it, before the commit (so routing may retry) or as the stream's last event, written by the gateway.
 */
export function createAnthropicPassthrough(variant: AnthropicApiVariant): ChatOperation<'sse'> {
  return {
    buildRequest: (input, deployment, ctx) => buildPassthroughRequest(variant, input, deployment, ctx),
    parseResponse: (body, input) => parsePassthroughResponse(variant, body, input),
    createStreamTranslator: (opts) =>
      canonicalStreamTranslator(opts, new AnthropicStreamReader({ model: opts.request?.model }), {
        passthrough: (e) => renderSseEvent(e as SseEvent),
      }),
  };
}

import type { ProviderDeployment } from '../provider-deployment';
import type { ChatCompletionRequest } from '../openai-types';
import type { RequestContext } from '../credentials/credentials.types';
import type { ChatInput, UpstreamRequest } from '../provider-adapter';
import { editTopLevel } from '../json/json.scan';
import { applyParamMap } from '../params/param-map.engine';
import type { DroppedParam, OpenAIChatParams, ParamMap } from '../params/param-map.types';
import { dropSettingsFor } from '../params/drop-settings';
import { CEREBRAS_PARAMS, GROQ_PARAMS, MISTRAL_PARAMS, XAI_PARAMS } from './openai-quirks';

/** Per-provider defaults of the OpenAI-compatible family: where the API lives when no api_base is set. */
export interface OpenAICompatibleProfile {
  provider: string;
  defaultApiBase?: string;
  /**
   * The server's OpenAI-compatible API lives under `/v1` of the address users configure (Ollama's
   * `http://host:11434`): appended when the api_base does not end with it.
   */
  appendV1?: boolean;
  /**
   * The server speaks OpenAI's Responses API (`/responses`) too: Responses clients pass through to it. Only
   * OpenAI's own API (provider `openai`, whatever its api_base) is assumed to; other compatible servers get
   * Responses requests translated to chat.
   */
  responses?: boolean;
  /** The server refuses `stream_options` (Mistral; its last chunk carries usage anyway): never sent. */
  noStreamOptions?: boolean;
  /** Parameters the server refuses or names otherwise, applied when the request uses one of them. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each profile's map has a wire type of its own
  params?: ParamMap<any>;
}

export const OPENAI_COMPATIBLE_PROFILES: Readonly<Record<string, OpenAICompatibleProfile>> = {
  openai: { provider: 'openai', defaultApiBase: 'https://api.openai.com/v1', responses: true },
  groq: { provider: 'groq', defaultApiBase: 'https://api.groq.com/openai/v1', params: GROQ_PARAMS },
  deepseek: { provider: 'deepseek', defaultApiBase: 'https://api.deepseek.com/v1' },
  mistral: {
    provider: 'mistral',
    defaultApiBase: 'https://api.mistral.ai/v1',
    noStreamOptions: true,
    params: MISTRAL_PARAMS,
  },
  cerebras: { provider: 'cerebras', defaultApiBase: 'https://api.cerebras.ai/v1', params: CEREBRAS_PARAMS },
  together_ai: { provider: 'together_ai', defaultApiBase: 'https://api.together.xyz/v1' },
  fireworks_ai: { provider: 'fireworks_ai', defaultApiBase: 'https://api.fireworks.ai/inference/v1' },
  openrouter: { provider: 'openrouter', defaultApiBase: 'https://openrouter.ai/api/v1' },
  xai: { provider: 'xai', defaultApiBase: 'https://api.x.ai/v1', params: XAI_PARAMS },
  perplexity: { provider: 'perplexity', defaultApiBase: 'https://api.perplexity.ai' },
  deepinfra: { provider: 'deepinfra', defaultApiBase: 'https://api.deepinfra.com/v1/openai' },
  // Local servers, at their usual addresses unless api_base says otherwise.
  ollama: { provider: 'ollama', defaultApiBase: 'http://localhost:11434', appendV1: true },
  ollama_chat: { provider: 'ollama_chat', defaultApiBase: 'http://localhost:11434', appendV1: true },
  lm_studio: { provider: 'lm_studio', defaultApiBase: 'http://localhost:1234/v1' },
  // Self-hosted OpenAI-compatible servers: api_base is required.
  hosted_vllm: { provider: 'hosted_vllm' },
  openai_compatible: { provider: 'openai_compatible' },
};

export function chatCompletionsUrl(profile: OpenAICompatibleProfile, deployment: ProviderDeployment): string {
  return openAIUrl(profile, deployment, 'chat/completions');
}

/** The URL of one of the OpenAI API's operations (`chat/completions`, `embeddings`, `completions`) on the deployment's server. */
export function openAIUrl(profile: OpenAICompatibleProfile, deployment: ProviderDeployment, path: string): string {
  const base = deployment.apiBase ?? profile.defaultApiBase;
  if (base === undefined) {
    throw new Error(
      `ProviderDeployment '${deployment.id}' (${deployment.provider}/${deployment.model}) has no api_base; set litellm_params.api_base to the server's URL (ending in /v1).`,
    );
  }
  if (profile.appendV1 && !/\/v1$/.test(base)) return `${base}/v1/${path}`;
  return `${base}/${path}`;
}

/** OpenAI's authentication: the token or key as a bearer. */
export function bearerAuth(ctx: RequestContext): Record<string, string> {
  const bearer = ctx.credentials.token?.value ?? ctx.credentials.apiKey;
  return bearer ? { authorization: `Bearer ${bearer}` } : {};
}

/**
 * The headers of an OpenAI-API request: JSON, `auth` (a bearer unless the caller authenticates otherwise,
 * as Azure's `api-key` does), then the deployment's extra_headers, which win.
 */
export function openAIHeaders(
  deployment: ProviderDeployment,
  ctx: RequestContext,
  auth: Record<string, string> = bearerAuth(ctx),
): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...auth };
  // litellm_params.extra_headers: sent with every request of the deployment, and they win.
  const extra = deployment.params?.extra_headers;
  if (extra !== undefined) for (const [k, v] of Object.entries(extra)) h[k.toLowerCase()] = v;
  if (deployment.organization) h['openai-organization'] = deployment.organization;
  return h;
}

/**
 * The `metadata` to send upstream, when it must differ from the client's: OpenAI takes a map of string
 * values only and rejects anything else, while LiteLLM-style clients put `tags` (an array, read by the
 * gateway) and other values there. Non-string entries are dropped; string ones are kept as they are (the
 * provider's own limits on count and length are left to it, which answers with a 400 the client sees).
 * Undefined: send it unchanged. Null: leave the member out (nothing was left).
 */
export function upstreamMetadata(metadata: unknown): Record<string, string> | null | undefined {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return undefined;
  const kept: Record<string, string> = {};
  let dropped = false;
  let any = false;
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v === 'string') {
      kept[k] = v;
      any = true;
    } else dropped = true;
  }
  if (!dropped) return undefined;
  return any ? kept : null;
}

/**
 * The upstream body: the client's request unchanged except `model` (the deployment's), for streams
 * `stream_options.include_usage: true` (so usage is always recorded), and `metadata` without non-string
 * values. When nothing needs changing, the client's bytes go out as they came in; otherwise only the
 * edited top-level members are rewritten in the client's bytes (messages are never re-serialised), with
 * a full JSON.stringify as the fallback when the bytes cannot be edited safely (see editTopLevel).
 */
export function openAIRequestBody(
  input: ChatInput,
  deployment: ProviderDeployment,
  profile?: OpenAICompatibleProfile,
  dropped?: DroppedParam[],
): string | Uint8Array {
  if (profile?.params !== undefined && usesAny(input, deployment, profile.params)) {
    return quirkBody(input, deployment, profile, profile.params, dropped);
  }
  // Decided from the gateway's summary: the body itself is parsed only when metadata needs cleaning, or
  // when the bytes cannot be edited in place (see below).
  const s = input.summary;
  const edits: Record<string, string | null> = {};
  let edited = false;
  if (s.model !== deployment.model) {
    edits['model'] = JSON.stringify(deployment.model);
    edited = true;
  }
  let streamOptions: ChatCompletionRequest['stream_options'];
  if (profile?.noStreamOptions) {
    if (s.streamOptions !== undefined) {
      edits['stream_options'] = null;
      edited = true;
    }
  } else if (input.stream && !s.includeUsage) {
    streamOptions = { ...(s.streamOptions ?? {}), include_usage: true };
    edits['stream_options'] = JSON.stringify(streamOptions);
    edited = true;
  }
  const metadata = s.metadataNeedsEdit ? upstreamMetadata(input.body['metadata']) : undefined;
  if (metadata !== undefined) {
    edits['metadata'] = metadata === null ? null : JSON.stringify(metadata);
    edited = true;
  }
  // Members only the gateway reads (routing hints): a provider would refuse them as unknown parameters.
  for (const member of s.strip) {
    edits[member] = null;
    edited = true;
  }
  // Request parameters given in litellm_params are defaults, as in LiteLLM: they fill what the client left out.
  const defaults = missingDefaults(input, deployment);
  if (defaults !== undefined) {
    for (const [k, v] of Object.entries(defaults)) edits[k] = JSON.stringify(v);
    edited = true;
  }
  if (!edited) return input.raw;
  const spliced = editTopLevel(input.raw, edits);
  if (spliced !== undefined) return spliced;
  const out: ChatCompletionRequest = { ...input.body, model: deployment.model };
  if (streamOptions !== undefined) out.stream_options = streamOptions;
  if (profile?.noStreamOptions) delete out.stream_options;
  if (metadata === null) delete out['metadata'];
  else if (metadata !== undefined) out['metadata'] = metadata;
  for (const member of s.strip) delete out[member];
  if (defaults !== undefined) Object.assign(out, defaults);
  return JSON.stringify(out);
}

/**
 * The request (or the deployment's defaults for it) sets a parameter the profile's map has a rule for;
 * the body is parsed to know, which only these profiles pay for.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function usesAny(input: ChatInput, deployment: ProviderDeployment, map: ParamMap<any>): boolean {
  const body = input.body as Record<string, unknown>;
  const defaults = deployment.requestDefaults;
  const extra = deployment.params?.extra_body;
  for (const param of Object.keys(map.rules)) {
    if (body[param] !== undefined && body[param] !== null) return true;
    if (defaults?.[param] !== undefined || extra?.[param] !== undefined) return true;
  }
  return false;
}

/**
 * The upstream body for a server with parameter quirks (Mistral, Cerebras), when the request uses one of
 * them: the client's members through the profile's map (renamed, translated, or refused with a 400 unless
 * drop_params drops them), every other member as it came, then the same edits as the pass-through path.
 */
function quirkBody(
  input: ChatInput,
  deployment: ProviderDeployment,
  profile: OpenAICompatibleProfile,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  map: ParamMap<any>,
  dropped: DroppedParam[] | undefined,
): string {
  const s = input.summary;
  // The deployment's defaults fill what the client left out, and go through the map like the client's own.
  const body: Record<string, unknown> = { ...missingDefaults(input, deployment), ...input.body };
  for (const member of s.strip) delete body[member];
  const result = applyParamMap(
    map,
    body as unknown as OpenAIChatParams,
    { model: deployment.model },
    dropSettingsFor(input, deployment),
  );
  dropped?.push(...result.dropped);
  const out: Record<string, unknown> = { ...result.passthrough, ...result.wire, model: deployment.model };
  if (profile.noStreamOptions) delete out['stream_options'];
  else if (input.stream && !s.includeUsage) out['stream_options'] = { ...(s.streamOptions ?? {}), include_usage: true };
  if (s.metadataNeedsEdit && out['metadata'] !== undefined) {
    const metadata = upstreamMetadata(out['metadata']);
    if (metadata === null) delete out['metadata'];
    else if (metadata !== undefined) out['metadata'] = metadata;
  }
  return JSON.stringify(out);
}

/**
 * The deployment's request defaults and `extra_body` members the client did not set; undefined when there
 * are none (the body is then not parsed).
 */
function missingDefaults(input: ChatInput, deployment: ProviderDeployment): Record<string, unknown> | undefined {
  const extraBody = deployment.params?.extra_body;
  if (deployment.requestDefaults === undefined && extraBody === undefined) return undefined;
  const defaults: Record<string, unknown> = { ...extraBody, ...deployment.requestDefaults };
  let missing: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(defaults)) {
    if (v === undefined) continue;
    const given = (input.body as Record<string, unknown>)[k];
    if (given !== undefined && given !== null) continue;
    (missing ??= {})[k] = v;
  }
  return missing;
}

/**
 * The client's request body, parsed, with the few checks translation relies on (the gateway validated
 * the rest). Returns what is wrong as text, for a 400.
 */
export function parseChatRequest(data: string | Uint8Array): ChatCompletionRequest | string {
  let doc: unknown;
  try {
    doc = JSON.parse(
      typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'),
    );
  } catch {
    return 'The request body is not valid JSON. Send a JSON object with "model" and "messages".';
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    return 'The request body must be a JSON object with "model" and "messages".';
  if (!Array.isArray((doc as ChatCompletionRequest).messages)) return 'The request body needs a "messages" array.';
  return doc as ChatCompletionRequest;
}

export function buildOpenAIRequest(
  profile: OpenAICompatibleProfile,
  input: ChatInput,
  deployment: ProviderDeployment,
  ctx: RequestContext,
  url = chatCompletionsUrl(profile, deployment),
  headers = openAIHeaders(deployment, ctx),
): UpstreamRequest {
  if (input.stream) headers['accept'] = 'text/event-stream';
  const dropped: DroppedParam[] = [];
  const body = openAIRequestBody(input, deployment, profile, dropped);
  return { url, method: 'POST', headers, body, ...(dropped.length > 0 && { dropped }) };
}

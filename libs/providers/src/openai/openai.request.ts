import type { ProviderDeployment } from '../provider-deployment';
import type { ChatCompletionRequest } from '../openai-types';
import type { ChatInput, UpstreamRequest } from '../provider-adapter';

/** Per-provider defaults of the OpenAI-compatible family: where the API lives when no api_base is set. */
export interface OpenAICompatibleProfile {
  provider: string;
  defaultApiBase?: string;
}

export const OPENAI_COMPATIBLE_PROFILES: Readonly<Record<string, OpenAICompatibleProfile>> = {
  openai: { provider: 'openai', defaultApiBase: 'https://api.openai.com/v1' },
  groq: { provider: 'groq', defaultApiBase: 'https://api.groq.com/openai/v1' },
  deepseek: { provider: 'deepseek', defaultApiBase: 'https://api.deepseek.com/v1' },
  mistral: { provider: 'mistral', defaultApiBase: 'https://api.mistral.ai/v1' },
  together_ai: { provider: 'together_ai', defaultApiBase: 'https://api.together.xyz/v1' },
  fireworks_ai: { provider: 'fireworks_ai', defaultApiBase: 'https://api.fireworks.ai/inference/v1' },
  openrouter: { provider: 'openrouter', defaultApiBase: 'https://openrouter.ai/api/v1' },
  xai: { provider: 'xai', defaultApiBase: 'https://api.x.ai/v1' },
  perplexity: { provider: 'perplexity', defaultApiBase: 'https://api.perplexity.ai' },
  deepinfra: { provider: 'deepinfra', defaultApiBase: 'https://api.deepinfra.com/v1/openai' },
  // Self-hosted OpenAI-compatible servers: api_base is required.
  hosted_vllm: { provider: 'hosted_vllm' },
  openai_compatible: { provider: 'openai_compatible' },
};

export function chatCompletionsUrl(profile: OpenAICompatibleProfile, deployment: ProviderDeployment): string {
  const base = deployment.apiBase ?? profile.defaultApiBase;
  if (base === undefined) {
    throw new Error(
      `ProviderDeployment '${deployment.id}' (${deployment.provider}/${deployment.model}) has no api_base; set litellm_params.api_base to the server's URL (ending in /v1).`,
    );
  }
  return `${base}/chat/completions`;
}

export function openAIHeaders(deployment: ProviderDeployment): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (deployment.apiKey) h['authorization'] = `Bearer ${deployment.apiKey}`;
  if (deployment.organization) h['openai-organization'] = deployment.organization;
  return h;
}

/**
 * The upstream body: the client's request unchanged except `model` (the deployment's), and for streams
 * `stream_options.include_usage: true`, so usage is always recorded. When neither needs changing, the
 * client's bytes go out as they came in.
 */
export function openAIRequestBody(input: ChatInput, deployment: ProviderDeployment): string | Uint8Array {
  const b = input.body;
  const needsModel = b.model !== deployment.model;
  const needsUsage = input.stream && b.stream_options?.include_usage !== true;
  if (!needsModel && !needsUsage) return input.raw;
  const out: ChatCompletionRequest = { ...b, model: deployment.model };
  if (needsUsage) out.stream_options = { ...(b.stream_options ?? {}), include_usage: true };
  return JSON.stringify(out);
}

export function buildOpenAIRequest(
  profile: OpenAICompatibleProfile,
  input: ChatInput,
  deployment: ProviderDeployment,
  url = chatCompletionsUrl(profile, deployment),
): UpstreamRequest {
  const headers = openAIHeaders(deployment);
  if (input.stream) headers['accept'] = 'text/event-stream';
  return { url, method: 'POST', headers, body: openAIRequestBody(input, deployment) };
}

import type { ProviderDeployment } from './provider-deployment';
import { anthropicAdapter } from './anthropic/anthropic.adapter';
import { isVertexAnthropicModel, vertexAnthropicAdapter } from './anthropic/anthropic-vertex.adapter';
import { azureAdapter } from './azure/azure.adapter';
import { cohereAdapter, cohereChatAdapter } from './cohere/cohere.adapter';
import { bedrockAdapter } from './bedrock/bedrock.adapter';
import { bedrockConfigProblem } from './bedrock/bedrock.credentials';
import { fakeAdapter } from './fake/fake.adapter';
import { geminiAdapter } from './gemini/gemini.adapter';
import { createOpenAICompatibleAdapter } from './openai/openai.adapter';
import { OPENAI_COMPATIBLE_PROFILES } from './openai/openai.request';
import type { ProviderAdapter } from './provider-adapter';
import { vertexAdapter } from './vertex/vertex.adapter';

/** Providers whose API is not OpenAI's even behind an api_base: they need their own adapter. */
const NOT_OPENAI_COMPATIBLE = new Set([
  'azure',
  'azure_ai',
  'anthropic',
  'gemini',
  'vertex_ai',
  'bedrock',
  'cohere',
  'cohere_chat',
  'sagemaker',
]);

export class UnsupportedProviderError extends Error {
  constructor(readonly provider: string) {
    super(
      `provider '${provider}' is not supported yet; supported: openai, fake, or any OpenAI-compatible server via api_base`,
    );
    this.name = 'UnsupportedProviderError';
  }
}

/** Providers with an adapter of their own, by prefix. */
const NATIVE_ADAPTERS: Readonly<Record<string, ProviderAdapter>> = {
  azure: azureAdapter,
  cohere: cohereAdapter,
  cohere_chat: cohereChatAdapter,
};

const cache = new Map<string, ProviderAdapter>();

/**
 * Vertex AI serves other publishers' models too (Claude, Llama...); the Gemini adapter speaks only Google's
 * (Gemini for chat, and Google's embedding models through `:predict`).
 */
const VERTEX_GOOGLE_MODEL = /gemini|gemma|learnlm|embedding/i;

/** The adapter for a deployment, by its provider prefix. Throws UnsupportedProviderError for an unknown one. */
export function adapterFor(
  deployment: Pick<ProviderDeployment, 'provider' | 'apiBase'> &
    Partial<Pick<ProviderDeployment, 'model' | 'params' | 'apiKey'>>,
): ProviderAdapter {
  const { provider } = deployment;
  if (provider === 'fake') return fakeAdapter;
  if (provider === 'anthropic') return anthropicAdapter;
  if (provider === 'gemini') return geminiAdapter;
  if (provider === 'bedrock') {
    // Settings it cannot act on are refused when the config loads, not at the first request.
    const problem = bedrockConfigProblem({ ...deployment, model: deployment.model ?? '' });
    if (problem !== undefined) throw new Error(problem);
    return bedrockAdapter;
  }
  if (provider === 'vertex_ai' || provider === 'vertex_ai_beta') {
    const model = deployment.model;
    if (isVertexAnthropicModel(model)) return vertexAnthropicAdapter;
    if (model === undefined || model.includes('*') || VERTEX_GOOGLE_MODEL.test(model)) return vertexAdapter;
    throw new UnsupportedProviderError(
      `${provider} (model ${model}: Google's Gemini models and Anthropic's Claude models on Vertex AI)`,
    );
  }
  if (Object.hasOwn(NATIVE_ADAPTERS, provider)) return NATIVE_ADAPTERS[provider]!;
  const known = OPENAI_COMPATIBLE_PROFILES[provider];
  if (known === undefined && (deployment.apiBase === undefined || NOT_OPENAI_COMPATIBLE.has(provider))) {
    throw new UnsupportedProviderError(provider);
  }
  let adapter = cache.get(provider);
  if (adapter === undefined) {
    adapter = createOpenAICompatibleAdapter(known ?? { provider });
    cache.set(provider, adapter);
  }
  return adapter;
}

export function supportedProviders(): string[] {
  return [
    'fake',
    'anthropic',
    'gemini',
    'vertex_ai',
    'bedrock',
    ...Object.keys(OPENAI_COMPATIBLE_PROFILES),
    ...Object.keys(NATIVE_ADAPTERS),
  ];
}

import type { ProviderDeployment } from '../provider-deployment';
import { staticKeyCredentials } from '../credentials/credentials.types';
import type { ProviderAdapter } from '../provider-adapter';
import { normaliseOpenAIError } from './openai.errors';
import { buildOpenAIRequest, OPENAI_COMPATIBLE_PROFILES, type OpenAICompatibleProfile } from './openai.request';
import { parseOpenAIResponse } from './openai.response';
import { createOpenAIStreamTranslator } from './openai.stream';
import { openAIEmbeddings } from './openai.embeddings';
import { openAICompletions } from './openai.completions';
import { openAIResponses } from './openai.responses';

/**
 * The OpenAI-compatible family: OpenAI itself and every server speaking its Chat Completions API
 * (named providers with a default api_base, or any deployment that sets api_base).
 */
export function createOpenAICompatibleAdapter(profile: OpenAICompatibleProfile): ProviderAdapter {
  return {
    provider: profile.provider,
    api: 'openai.chat',
    streamFraming: 'sse',
    credentials: staticKeyCredentials,
    chat: {
      buildRequest: (input, deployment: ProviderDeployment, ctx) => buildOpenAIRequest(profile, input, deployment, ctx),
      parseResponse: (body) => parseOpenAIResponse(body),
      createStreamTranslator: (opts) => createOpenAIStreamTranslator(opts),
    },
    embeddings: openAIEmbeddings(profile),
    passthrough: {
      'openai.completions': openAICompletions(profile),
      ...(profile.responses === true && { 'openai.responses': openAIResponses(profile) }),
    },
    normaliseError: (reply, deployment) => normaliseOpenAIError(reply, deployment),
  };
}

export const openAIAdapter: ProviderAdapter = createOpenAICompatibleAdapter(OPENAI_COMPATIBLE_PROFILES['openai']!);

import { parseOpenAIResponse } from '../openai/openai.response';
import type { ProviderAdapter } from '../provider-adapter';
import { azureCredentials } from './azure.credentials';
import { normaliseAzureError } from './azure.errors';
import { buildAzureRequest, azureAuth, azureUrl } from './azure.request';
import { buildOpenAIEmbeddingsRequest, parseOpenAIEmbeddingsResponse } from '../openai/openai.embeddings';
import { openAIHeaders } from '../openai/openai.request';
import { buildOpenAICompletionsRequest } from '../openai/openai.completions';
import { createAzureStreamTranslator } from './azure.stream';

/**
 * Azure OpenAI (`azure/<deployment name>`): OpenAI's Chat Completions API at Azure's URLs, authenticated
 * by a resource key or Entra ID. Bodies pass through as they do for OpenAI.
 */
export const azureAdapter: ProviderAdapter<'sse'> = {
  provider: 'azure',
  api: 'openai.chat',
  streamFraming: 'sse',
  credentials: azureCredentials,
  chat: {
    buildRequest: (input, deployment, ctx) => buildAzureRequest(input, deployment, ctx),
    parseResponse: (body) => parseOpenAIResponse(body),
    createStreamTranslator: (opts) => createAzureStreamTranslator(opts),
  },
  embeddings: {
    buildRequest: (input, deployment, ctx) =>
      buildOpenAIEmbeddingsRequest(
        input,
        deployment,
        ctx,
        azureUrl(deployment, 'embeddings'),
        openAIHeaders(deployment, ctx, azureAuth(ctx)),
      ),
    parseResponse: (body, input) => parseOpenAIEmbeddingsResponse(body, input),
  },
  passthrough: {
    'openai.completions': {
      buildRequest: (input, deployment, ctx) =>
        buildOpenAICompletionsRequest(
          input,
          deployment,
          ctx,
          azureUrl(deployment, 'completions'),
          openAIHeaders(deployment, ctx, azureAuth(ctx)),
        ),
      parseResponse: (body) => parseOpenAIResponse(body),
      createStreamTranslator: (opts) => createAzureStreamTranslator(opts),
    },
  },
  normaliseError: (reply, deployment) => normaliseAzureError(reply, deployment),
};

import { canonicalStreamTranslator } from '../canonical/canonical-stream';
import type { RequestContext } from '../credentials/credentials.types';
import { normaliseGoogleError } from '../gemini/gemini.errors';
import { buildGenerateContentBody, geminiModelId, googleHeaders } from '../gemini/gemini.request';
import { parseGeminiResponse } from '../gemini/gemini.response';
import { GeminiStreamReader } from '../gemini/gemini.stream';
import { vertexEmbeddings } from '../gemini/gemini.embeddings';
import type { ChatInput, ProviderAdapter, UpstreamRequest } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { vertexCredentials } from './vertex.credentials';
import { vertexPublisherUrl } from './vertex.url';

/**
 * Gemini on Vertex AI: the same GenerateContent body and answers as the Gemini API (the fields this adapter
 * writes are accepted by both), at the publisher-model URL, with a service account's bearer token.
 */
export function buildVertexGeminiRequest(
  input: ChatInput,
  deployment: ProviderDeployment,
  ctx: RequestContext,
): UpstreamRequest {
  const token = ctx.credentials.token?.value;
  if (token === undefined || token.length === 0) {
    throw new Error(
      `deployment '${deployment.id}' (vertex_ai/${deployment.model}) has no access token from its service account.`,
    );
  }
  const method = input.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
  return {
    url: vertexPublisherUrl(deployment, 'google', geminiModelId(deployment.model), method, ctx.credentials.projectId),
    method: 'POST',
    headers: googleHeaders(deployment, input.stream, { authorization: `Bearer ${token}` }),
    body: JSON.stringify(buildGenerateContentBody(input, deployment)),
  };
}

export const vertexAdapter: ProviderAdapter<'sse'> = {
  provider: 'vertex_ai',
  api: 'native',
  streamFraming: 'sse',
  credentials: vertexCredentials,
  chat: {
    buildRequest: (input, deployment, ctx) => buildVertexGeminiRequest(input, deployment, ctx),
    parseResponse: (body, input) => parseGeminiResponse(body, input),
    createStreamTranslator: (opts) =>
      canonicalStreamTranslator(
        opts,
        new GeminiStreamReader({ id: opts.request?.id, model: opts.request?.model, modelName: opts.request?.model }),
      ),
  },
  embeddings: vertexEmbeddings,
  normaliseError: (reply, deployment) => normaliseGoogleError(reply, deployment, 'vertex_ai'),
};

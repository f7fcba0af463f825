import type { CredentialSource } from '../credentials/credentials.types';
import type { ProviderAdapter } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { vertexCredentials } from '../vertex/vertex.credentials';
import { vertexPublisherUrl } from '../vertex/vertex.url';
import { createAnthropicAdapter } from './anthropic.adapter';
import { normaliseVertexAnthropicError } from './anthropic-vertex.errors';
import type { AnthropicApiVariant } from './anthropic.request';

/** The Messages API version Vertex AI takes, in the body (it has no anthropic-version header). */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';
/**
 * {origin}/v1/projects/{project}/locations/{location}/publishers/anthropic/models/{model}:rawPredict, or
 * :streamRawPredict for streams (vertexPublisherUrl: the region's host, or the global one, or api_base).
 * The project is vertex_project, else the service account's own.
 */
export function vertexAnthropicUrl(deployment: ProviderDeployment, stream: boolean, projectId?: string): string {
  const model = encodeURIComponent(deployment.model).replace(/%40/g, '@');
  return vertexPublisherUrl(deployment, 'anthropic', model, stream ? 'streamRawPredict' : 'rawPredict', projectId);
}

/**
 * Anthropic models on Vertex AI: the Messages body without `model` (it is in the URL) and with
 * `anthropic_version`, a Google OAuth bearer token instead of x-api-key. Everything else (translation,
 * answers, streams) is the Anthropic adapter's; errors read both of Vertex's envelopes (anthropic-vertex.errors).
 */
export const VERTEX_ANTHROPIC_API: AnthropicApiVariant = {
  provider: 'vertex_ai',
  url: (deployment, stream, ctx) => vertexAnthropicUrl(deployment, stream, ctx.credentials.projectId),
  authHeaders: (ctx, deployment) => {
    const token = ctx.credentials.token?.value;
    if (token === undefined || token.length === 0) {
      throw new Error(`Deployment '${deployment.id}' (vertex_ai/${deployment.model}) has no Google access token.`);
    }
    return { authorization: `Bearer ${token}` };
  },
  versionHeader: false,
  editBody: ({ model: _model, ...body }) => ({ ...body, anthropic_version: VERTEX_ANTHROPIC_VERSION }),
  bodyEdits: { model: null, anthropic_version: JSON.stringify(VERTEX_ANTHROPIC_VERSION) },
  // Vertex AI counts tokens of Claude models at one publisher model, `count-tokens`, with the model in the body.
  countTokensUrl: (deployment, ctx) =>
    vertexPublisherUrl(deployment, 'anthropic', 'count-tokens', 'rawPredict', ctx.credentials.projectId),
};

/** `vertex_ai/claude-*`: the Anthropic adapter on Vertex AI, authenticated by the Vertex service account. */
export function createVertexAnthropicAdapter(
  credentials: CredentialSource = vertexCredentials,
): ProviderAdapter<'sse'> {
  // Errors come from two places on Vertex (the model, in Anthropic's envelope; the platform, in Google's).
  return {
    ...createAnthropicAdapter(VERTEX_ANTHROPIC_API, credentials),
    normaliseError: normaliseVertexAnthropicError,
  };
}

export const vertexAnthropicAdapter: ProviderAdapter<'sse'> = createVertexAnthropicAdapter();

/** Whether a Vertex AI model id is one of Anthropic's (served by this adapter rather than Gemini's). */
export function isVertexAnthropicModel(model: string | undefined): boolean {
  return model !== undefined && /^claude-/i.test(model);
}

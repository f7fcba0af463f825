import type { CredentialSource } from '../credentials/credentials.types';
import type { ProviderAdapter } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { createAnthropicAdapter } from './anthropic.adapter';
import type { AnthropicApiVariant } from './anthropic.request';

/** The Messages API version Vertex AI takes, in the body (it has no anthropic-version header). */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';
/** LiteLLM's default region for Vertex AI. */
export const DEFAULT_VERTEX_LOCATION = 'us-central1';

function vertexSetting(deployment: ProviderDeployment, name: 'vertex_project' | 'vertex_location'): string | undefined {
  const v = (deployment.params as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * {api_base}/v1/projects/{project}/locations/{location}/publishers/anthropic/models/{model}:rawPredict, or
 * :streamRawPredict for streams. Without api_base the host is the region's ({location}-aiplatform...),
 * or the global endpoint's for location "global".
 */
export function vertexAnthropicUrl(deployment: ProviderDeployment, stream: boolean): string {
  const project = vertexSetting(deployment, 'vertex_project');
  if (project === undefined) {
    throw new Error(
      `Deployment '${deployment.id}' (vertex_ai/${deployment.model}) has no vertex_project; set litellm_params.vertex_project (or VERTEXAI_PROJECT).`,
    );
  }
  const location = vertexSetting(deployment, 'vertex_location') ?? DEFAULT_VERTEX_LOCATION;
  const host = location === 'global' ? 'aiplatform.googleapis.com' : `${location}-aiplatform.googleapis.com`;
  const base = (deployment.apiBase ?? `https://${host}`).replace(/\/+$/, '');
  const path = `/v1/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/publishers/anthropic/models/${encodeURIComponent(deployment.model).replace(/%40/g, '@')}`;
  return `${base}${path}:${stream ? 'streamRawPredict' : 'rawPredict'}`;
}

/**
 * Anthropic models on Vertex AI: the Messages body without `model` (it is in the URL) and with
 * `anthropic_version`, a Google OAuth bearer token instead of x-api-key. Everything else (translation,
 * answers, streams, errors) is the Anthropic adapter's.
 */
export const VERTEX_ANTHROPIC_API: AnthropicApiVariant = {
  provider: 'vertex_ai',
  url: vertexAnthropicUrl,
  authHeaders: (ctx, deployment) => {
    const token = ctx.credentials.token?.value;
    if (token === undefined || token.length === 0) {
      throw new Error(`Deployment '${deployment.id}' (vertex_ai/${deployment.model}) has no Google access token.`);
    }
    return { authorization: `Bearer ${token}` };
  },
  versionHeader: false,
  editBody: ({ model: _model, ...body }) => ({ ...body, anthropic_version: VERTEX_ANTHROPIC_VERSION }),
};

/**
 * A stand-in until the Vertex credentials helper (service account → access token, refreshed) is wired in:
 * takes the deployment's api_key as an access token minted elsewhere (`gcloud auth print-access-token`).
 */
export const vertexAccessTokenPlaceholder: CredentialSource = {
  kind: 'vertex access token (api_key, placeholder)',
  resolve: (deployment) =>
    deployment.apiKey ? { token: { value: deployment.apiKey, expiresAt: Number.MAX_SAFE_INTEGER } } : {},
};

/** `vertex_ai/claude-*`: the Anthropic adapter on Vertex AI with the given token source. */
export function createVertexAnthropicAdapter(
  credentials: CredentialSource = vertexAccessTokenPlaceholder,
): ProviderAdapter<'sse'> {
  return createAnthropicAdapter(VERTEX_ANTHROPIC_API, credentials);
}

export const vertexAnthropicAdapter: ProviderAdapter<'sse'> = createVertexAnthropicAdapter();

/** Whether a Vertex AI model id is one of Anthropic's (served by this adapter rather than Gemini's). */
export function isVertexAnthropicModel(model: string | undefined): boolean {
  return model !== undefined && /^claude-/i.test(model);
}

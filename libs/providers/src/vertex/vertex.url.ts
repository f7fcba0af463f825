import type { ProviderDeployment } from '../provider-deployment';

/*
 * Vertex AI's publisher-model URLs, for every publisher Vertex serves (google for Gemini, anthropic for
 * Claude on Vertex, ...): https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/
 * {location}/publishers/{publisher}/models/{model}:{method}. The `global` location has no regional host.
 */

export const VERTEX_DEFAULT_LOCATION = 'us-central1';

/** Settings the Vertex family reads from litellm_params. */
function vertexParam(deployment: ProviderDeployment, field: 'vertex_project' | 'vertex_location'): string | undefined {
  const v = (deployment.params as Record<string, unknown> | undefined)?.[field];
  return typeof v === 'string' && v.trim().length > 0 ? v.trim() : undefined;
}

/** litellm_params.vertex_location, else us-central1. Throws for a value that cannot be a location (it names a host). */
export function vertexLocation(deployment: ProviderDeployment): string {
  const location = vertexParam(deployment, 'vertex_location') ?? VERTEX_DEFAULT_LOCATION;
  if (!/^[a-z][a-z0-9-]*$/.test(location)) {
    throw new Error(
      `deployment '${deployment.id}': vertex_location '${location}' is not a Vertex AI location (like us-central1, europe-west4 or global).`,
    );
  }
  return location;
}

/**
 * litellm_params.vertex_project, else the service account's project_id (`fromCredentials`, which the Vertex
 * credential source returns as `Credentials.projectId`). Throws when neither is known.
 */
export function vertexProject(deployment: ProviderDeployment, fromCredentials?: string): string {
  const project = vertexParam(deployment, 'vertex_project') ?? fromCredentials;
  if (project === undefined) {
    throw new Error(
      `deployment '${deployment.id}': no Vertex AI project; set litellm_params.vertex_project, or use a service-account key with a project_id.`,
    );
  }
  if (!/^[a-z0-9][a-z0-9.:-]*$/i.test(project)) {
    throw new Error(`deployment '${deployment.id}': vertex_project '${project}' is not a Google Cloud project id.`);
  }
  return project;
}

/** The API's origin: api_base when set (a proxy, a private endpoint), else the location's host. */
export function vertexOrigin(deployment: ProviderDeployment, location = vertexLocation(deployment)): string {
  if (deployment.apiBase !== undefined) return deployment.apiBase.replace(/\/+$/, '');
  return location === 'global' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`;
}

/**
 * The URL of a publisher model's method on Vertex AI, e.g. `vertexPublisherUrl(d, 'anthropic', model,
 * 'streamRawPredict', ctx.credentials.projectId)`. `method` may carry a query (`streamGenerateContent?alt=sse`).
 */
export function vertexPublisherUrl(
  deployment: ProviderDeployment,
  publisher: string,
  model: string,
  method: string,
  projectId?: string,
): string {
  const location = vertexLocation(deployment);
  const project = vertexProject(deployment, projectId);
  return `${vertexOrigin(deployment, location)}/v1/projects/${project}/locations/${location}/publishers/${publisher}/models/${model}:${method}`;
}

import type { RequestContext } from '../credentials/credentials.types';
import { buildOpenAIRequest, openAIHeaders } from '../openai/openai.request';
import type { ChatInput, UpstreamRequest } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';

/** The newest GA api-version of Azure OpenAI's dated data-plane API, used when the deployment names none. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

/** api_version values that select Azure's v1 API (`/openai/v1/...`, no deployment in the path). */
const V1_VERSIONS = new Set(['v1', 'latest', 'preview']);

/**
 * Where a chat completion goes. Two forms:
 * - the deployments API, `{api_base}/openai/deployments/{model}/chat/completions?api-version={version}`,
 *   where `model` is the Azure deployment name and the version is the deployment's api_version (the
 *   config fills it from AZURE_API_VERSION) or AZURE_DEFAULT_API_VERSION;
 * - the v1 API, `{api_base}/openai/v1/chat/completions`, when api_version is `v1`, `latest` or `preview`
 *   (the last two are sent as `?api-version=`, as Azure's v1 API takes them) or api_base already ends in
 *   `/openai/v1`; the deployment name then travels as the body's `model`.
 */
export function azureChatUrl(deployment: ProviderDeployment): string {
  return azureUrl(deployment, 'chat/completions');
}

/** The URL of one of the OpenAI API's operations (`chat/completions`, `embeddings`, `completions`) on Azure, as azureChatUrl. */
export function azureUrl(deployment: ProviderDeployment, path: string): string {
  const base = deployment.apiBase?.replace(/\/+$/, '');
  if (base === undefined || base.length === 0) {
    throw new Error(
      `Azure deployment '${deployment.id}' (${deployment.model}) has no api_base; set litellm_params.api_base (or AZURE_API_BASE) to the resource's endpoint, e.g. https://<resource>.openai.azure.com.`,
    );
  }
  const version = deployment.apiVersion ?? AZURE_DEFAULT_API_VERSION;
  if (/\/openai\/v1$/.test(base) || V1_VERSIONS.has(version)) {
    const root = base.replace(/\/openai(\/v1)?$/, '');
    const query = version === 'preview' || version === 'latest' ? `?api-version=${version}` : '';
    return `${root}/openai/v1/${path}${query}`;
  }
  const root = base.replace(/\/openai$/, '');
  return `${root}/openai/deployments/${encodeURIComponent(deployment.model)}/${path}?api-version=${encodeURIComponent(version)}`;
}

/** Azure's authentication: an Entra ID token as a bearer, or the resource key in `api-key`. */
export function azureAuth(ctx: RequestContext): Record<string, string> {
  if (ctx.credentials.token !== undefined) return { authorization: `Bearer ${ctx.credentials.token.value}` };
  if (ctx.credentials.apiKey) return { 'api-key': ctx.credentials.apiKey };
  return {};
}

/** The body is OpenAI's, passed through as the OpenAI adapter does; only the URL and authentication differ. */
export function buildAzureRequest(
  input: ChatInput,
  deployment: ProviderDeployment,
  ctx: RequestContext,
): UpstreamRequest {
  return buildOpenAIRequest(
    { provider: 'azure' },
    input,
    deployment,
    ctx,
    azureChatUrl(deployment),
    openAIHeaders(deployment, ctx, azureAuth(ctx)),
  );
}

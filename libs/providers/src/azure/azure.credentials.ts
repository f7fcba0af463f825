import type { Credentials, CredentialSource } from '../credentials/credentials.types';
import { createRedactor } from '../errors/secret-redaction';
import type { ProviderDeployment } from '../provider-deployment';

/** Entra ID's public cloud; AZURE_AUTHORITY_HOST overrides it, as azure-identity reads it (sovereign clouds, tests). */
export const AZURE_DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';
/** The scope of Azure OpenAI tokens (LiteLLM's default too). */
export const AZURE_DEFAULT_SCOPE = 'https://cognitiveservices.azure.com/.default';

const TOKEN_TIMEOUT_MS = 15_000;

export interface AzureCredentialOptions {
  /** The HTTP client for the token endpoint (tests inject one); global fetch by default. */
  fetch?: typeof fetch;
  /** Where AZURE_AUTHORITY_HOST is read; process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
}

interface AzureSettings {
  azure_ad_token?: string;
  tenant_id?: string;
  client_id?: string;
  client_secret?: string;
  azure_username?: string;
  azure_password?: string;
  azure_scope?: string;
}

function settingsOf(d: ProviderDeployment): AzureSettings {
  return (d.params ?? {}) as AzureSettings;
}

interface TokenReply {
  access_token?: unknown;
  expires_in?: unknown;
  error?: unknown;
  error_description?: unknown;
}

/**
 * The client-credentials flow (a service principal): POST {authority}/{tenant}/oauth2/v2.0/token. Errors
 * name what Entra ID said (its error code and the first line of its description), never the secret.
 */
async function clientCredentialsToken(
  s: Required<Pick<AzureSettings, 'tenant_id' | 'client_id' | 'client_secret'>> & AzureSettings,
  now: number,
  opts: AzureCredentialOptions,
): Promise<Credentials> {
  const env = opts.env ?? process.env;
  const host = (env['AZURE_AUTHORITY_HOST'] || AZURE_DEFAULT_AUTHORITY).replace(/\/+$/, '');
  // azure-identity takes a bare host name too ("login.microsoftonline.us").
  const authority = /^https?:\/\//.test(host) ? host : `https://${host}`;
  const url = `${authority}/${encodeURIComponent(s.tenant_id)}/oauth2/v2.0/token`;
  const redact = createRedactor([s.client_secret]);
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: s.client_id,
        client_secret: s.client_secret,
        scope: s.azure_scope ?? AZURE_DEFAULT_SCOPE,
      }).toString(),
      signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: unknown } } | null)?.cause?.code;
    const why = typeof cause === 'string' ? cause : (e as Error).name === 'TimeoutError' ? 'timed out' : 'failed';
    throw new Error(`the Entra ID token request to ${authority} ${why === 'failed' ? 'failed' : `failed (${why})`}`);
  }
  let reply: TokenReply = {};
  try {
    reply = (await res.json()) as TokenReply;
  } catch {
    // Judged by the status below.
  }
  if (!res.ok || typeof reply.access_token !== 'string' || reply.access_token.length === 0) {
    const code = typeof reply.error === 'string' ? reply.error : `HTTP ${res.status}`;
    const desc = typeof reply.error_description === 'string' ? reply.error_description.split(/\r?\n/)[0] : '';
    throw new Error(
      redact(
        `Entra ID refused the client credentials of tenant '${s.tenant_id}', client '${s.client_id}' (${code}${desc ? `: ${desc}` : ''}); check tenant_id, client_id and client_secret`,
      ),
    );
  }
  const seconds = Number(reply.expires_in);
  // Without a lifetime, assume Entra's usual hour minus a margin rather than caching forever.
  const lifetimeMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 3_300_000;
  return { token: { value: reply.access_token, expiresAt: now + lifetimeMs } };
}

/**
 * Azure OpenAI's credentials, in LiteLLM's order: the resource key (`api_key`, sent as `api-key`); a
 * static Entra ID token (`azure_ad_token`); a service principal (`tenant_id` + `client_id` +
 * `client_secret`), whose token the credentials service caches and refreshes before it expires. The
 * username/password flow is refused when a request needs it, with what to use instead.
 */
export function createAzureCredentials(opts: AzureCredentialOptions = {}): CredentialSource {
  return {
    kind: 'azure api key or Entra ID',
    resolve(deployment, now) {
      const s = settingsOf(deployment);
      if (deployment.apiKey) return { apiKey: deployment.apiKey };
      if (s.azure_ad_token) return { token: { value: s.azure_ad_token, expiresAt: Number.POSITIVE_INFINITY } };
      if (s.tenant_id && s.client_id && s.client_secret) {
        return clientCredentialsToken(
          { ...s, tenant_id: s.tenant_id, client_id: s.client_id, client_secret: s.client_secret },
          now,
          opts,
        );
      }
      if (s.tenant_id || s.client_id || s.client_secret) {
        const missing = (['tenant_id', 'client_id', 'client_secret'] as const).filter((f) => !s[f]);
        throw new Error(
          `Entra ID client credentials need tenant_id, client_id and client_secret; ${missing.join(', ')} missing`,
        );
      }
      if (s.azure_username || s.azure_password) {
        throw new Error(
          'the Entra ID username/password flow (azure_username, azure_password) is not supported; use api_key, azure_ad_token, or a service principal (tenant_id, client_id, client_secret)',
        );
      }
      throw new Error(
        'no credentials configured: set api_key (or AZURE_API_KEY), azure_ad_token, or tenant_id + client_id + client_secret',
      );
    },
  };
}

export const azureCredentials: CredentialSource = createAzureCredentials();

import { readFileSync } from 'node:fs';
import { JWT, type Credentials as GoogleCredentials } from 'google-auth-library';
import type { CredentialSource, Credentials } from '../credentials/credentials.types';
import { redactKeyShapes } from '../errors/secret-redaction';
import type { ProviderDeployment } from '../provider-deployment';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** Where google-auth-library sends every service-account token request (it ignores a key's token_uri). */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const TOKEN_TIMEOUT_MS = 10_000;

/** The members of a service-account key file the token exchange needs. */
export interface ServiceAccountKey {
  type: 'service_account';
  client_email: string;
  private_key: string;
  private_key_id?: string;
  project_id?: string;
  token_uri?: string;
}

/** Where the key came from, for messages (never its content). */
function describeSource(source: unknown, fromEnv: boolean): string {
  if (fromEnv) return 'the file named by GOOGLE_APPLICATION_CREDENTIALS';
  if (typeof source === 'string' && !source.trim().startsWith('{')) return `the file ${source}`;
  return 'vertex_credentials';
}

/**
 * The service-account key of a deployment: litellm_params.vertex_credentials as a path to the JSON key file,
 * the JSON itself as a string, or the parsed object; without it, the file GOOGLE_APPLICATION_CREDENTIALS
 * names. Throws with what is wrong (never the key's content).
 */
export function loadServiceAccountKey(source: unknown, env: NodeJS.ProcessEnv = process.env): ServiceAccountKey {
  const fromEnv = source === undefined || source === null || source === '';
  const input = fromEnv ? env['GOOGLE_APPLICATION_CREDENTIALS'] : source;
  const where = describeSource(input, fromEnv);
  if (input === undefined || input === '') {
    throw new Error(
      'no service account: set litellm_params.vertex_credentials (a key file path, or its JSON) or GOOGLE_APPLICATION_CREDENTIALS',
    );
  }
  let doc: unknown = input;
  if (typeof input === 'string') {
    let text = input;
    if (!input.trim().startsWith('{')) {
      try {
        text = readFileSync(input, 'utf8');
      } catch (e) {
        throw new Error(`cannot read ${where} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      }
    }
    try {
      doc = JSON.parse(text);
    } catch {
      throw new Error(`${where} is not JSON; it must be a Google service-account key`);
    }
  }
  const k = doc as Partial<ServiceAccountKey> | null;
  if (k === null || typeof k !== 'object') throw new Error(`${where} is not a service-account key object`);
  if (k.type !== 'service_account') {
    throw new Error(`${where} has type ${JSON.stringify(k.type)}; only "service_account" keys are supported`);
  }
  if (typeof k.client_email !== 'string' || typeof k.private_key !== 'string') {
    throw new Error(`${where} lacks client_email or private_key`);
  }
  return k as ServiceAccountKey;
}

function failure(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return redactKeyShapes(m.length > 300 ? `${m.slice(0, 300)}…` : m);
}

/**
 * An OAuth access token for the key (scope cloud-platform), through google-auth-library's JWT client: the
 * assertion is signed with the key and exchanged at the key's token_uri (redirected there when it is not
 * Google's default, which the library would otherwise always use).
 */
export async function serviceAccountToken(key: ServiceAccountKey, now: number): Promise<Credentials> {
  const jwt = new JWT({
    email: key.client_email,
    key: key.private_key,
    ...(key.private_key_id !== undefined && { keyId: key.private_key_id }),
    scopes: [CLOUD_PLATFORM_SCOPE],
    transporterOptions: { timeout: TOKEN_TIMEOUT_MS },
  });
  const tokenUri = key.token_uri;
  if (tokenUri !== undefined && tokenUri !== GOOGLE_TOKEN_URL) {
    let target: URL;
    try {
      target = new URL(tokenUri);
    } catch {
      throw new Error('the service-account key has a token_uri that is not a URL');
    }
    jwt.transporter.interceptors.request.add({
      resolved: async (config) => {
        if (config.url.href === GOOGLE_TOKEN_URL) config.url = new URL(target.href);
        return config;
      },
    });
  }
  let tokens: GoogleCredentials;
  try {
    tokens = await jwt.authorize();
  } catch (e) {
    // Not "token endpoint": a scheme word before another word reads as a credential to the redactors.
    throw new Error(`the OAuth endpoint (token_uri) refused the service-account key: ${failure(e)}`);
  }
  if (typeof tokens.access_token !== 'string' || tokens.access_token.length === 0) {
    throw new Error('the OAuth endpoint (token_uri) answered without an access_token');
  }
  const expiresAt = typeof tokens.expiry_date === 'number' ? tokens.expiry_date : now + 3_600_000;
  return {
    token: { value: tokens.access_token, expiresAt },
    ...(key.project_id !== undefined && { projectId: key.project_id }),
  };
}

/**
 * Vertex AI credentials: a service account's access token, resolved by the translator's credentials service,
 * which caches it and refreshes it shortly before it expires (one token request per deployment per token
 * lifetime, off the request path). The key's project_id comes along for URLs when vertex_project is unset.
 */
export const vertexCredentials: CredentialSource = {
  kind: 'vertex service account',
  resolve: (deployment: ProviderDeployment, now: number) =>
    serviceAccountToken(
      loadServiceAccountKey((deployment.params as Record<string, unknown> | undefined)?.['vertex_credentials']),
      now,
    ),
};

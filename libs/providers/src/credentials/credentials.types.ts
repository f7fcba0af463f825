import type { ProviderDeployment } from '../provider-deployment';

/**
 * What an adapter needs to authenticate one request, resolved by the translator's credentials service
 * (the only place provider secrets live): a static key, a short-lived token, or signing keys.
 */
export interface Credentials {
  /** A static API key (OpenAI-style bearer, `x-api-key`, `api-key`, ...). */
  apiKey?: string;
  /** A short-lived bearer token (OAuth service account, Entra ID), with its expiry in epoch ms. */
  token?: { value: string; expiresAt: number };
  /** Request-signing keys (AWS SigV4): the adapter signs each request with `RequestContext.now()`. */
  aws?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string; region: string };
  /** The cloud project the credentials belong to (a Google service account's project_id), for URLs naming one. */
  projectId?: string;
}

/**
 * How a provider's credentials are obtained. `resolve` may exchange something for a token (OAuth, Entra
 * ID); the credentials service caches the result until shortly before `expiresAt` and refreshes it once,
 * whatever the number of requests waiting. Sources never log or return secrets in errors.
 */
export interface CredentialSource {
  /** Names the mechanism in logs and errors ("static key", "vertex service account", ...). */
  readonly kind: string;
  resolve(deployment: ProviderDeployment, now: number): Credentials | Promise<Credentials>;
}

/** The context one upstream request is built in. */
export interface RequestContext {
  /** Epoch ms: request dates and signatures (SigV4), token expiry. A clock tests can set. */
  now(): number;
  credentials: Credentials;
}

/** The deployment's static key (`api_key`), as it is: OpenAI and the OpenAI-compatible family. */
export const staticKeyCredentials: CredentialSource = {
  kind: 'static key',
  resolve: (deployment) => (deployment.apiKey ? { apiKey: deployment.apiKey } : {}),
};

/** A RequestContext with the deployment's static key and the real clock: for tests and simple callers. */
export function staticRequestContext(deployment: ProviderDeployment, now: () => number = Date.now): RequestContext {
  return { now, credentials: deployment.apiKey ? { apiKey: deployment.apiKey } : {} };
}

import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { GatewayError } from '@switchyard/contracts';
import type { Credentials, ProviderAdapter, ProviderDeployment } from '@switchyard/providers';

/** Token for the clock the service uses (epoch ms); the real clock unless a test provides one. */
export const CLOCK = Symbol('CLOCK');

interface Entry {
  credentials?: Credentials;
  /** When the credentials stop working (epoch ms); Infinity for static keys. */
  expiresAt: number;
  /** When to start refreshing them: a margin before expiresAt. */
  refreshAt: number;
  refreshing?: Promise<Credentials>;
  /** A failed resolve is remembered this long, so a flood of requests does not hammer a token endpoint. */
  failedUntil?: number;
  failure?: GatewayError;
}

/**
 * Resolves each deployment's credentials through its adapter's CredentialSource, and caches them: static
 * keys for good, tokens until shortly before they expire. A token within its refresh margin is still
 * served while one refresh runs in the background; an expired or missing one is awaited, once for all the
 * requests that need it. The hot path (a cached credential) is synchronous: no promise, no allocation.
 */
@Injectable()
export class CredentialsService {
  private readonly logger = new Logger('Credentials');
  private readonly entries = new Map<string, Entry>();
  /** Refresh this long before expiry, or at 90% of a shorter lifetime. */
  static readonly REFRESH_MARGIN_MS = 5 * 60_000;
  static readonly FAILURE_BACKOFF_MS = 5_000;
  static readonly INVALIDATE_INTERVAL_MS = 10_000;
  private readonly invalidatedAt = new Map<string, number>();
  private readonly now: () => number;

  constructor(@Optional() @Inject(CLOCK) clock?: () => number) {
    this.now = clock ?? Date.now;
  }

  /** The deployment's credentials: at once when cached and fresh, else a promise. Rejects with a GatewayError. */
  get(adapter: ProviderAdapter, deployment: ProviderDeployment): Credentials | Promise<Credentials> {
    const now = this.now();
    const e = this.entries.get(deployment.id);
    if (e?.credentials !== undefined && now < e.refreshAt) return e.credentials;
    if (e?.credentials !== undefined && now < e.expiresAt) {
      // Still valid: serve it, and refresh in the background (once).
      if (e.refreshing === undefined && (e.failedUntil ?? 0) <= now) {
        this.refresh(adapter, deployment, e).catch(() => undefined);
      }
      return e.credentials;
    }
    if (e?.refreshing !== undefined) return e.refreshing;
    if (e?.failure !== undefined && (e.failedUntil ?? 0) > now) return Promise.reject(e.failure);
    return this.refresh(adapter, deployment, e ?? this.newEntry(deployment.id));
  }

  /**
   * The provider refused the deployment's credentials (HTTP 401): a short-lived token (OAuth, Entra ID) is
   * dropped, so the next request fetches a new one instead of failing until the cached one expires. Static
   * keys are kept (a new fetch would return the same key). A refresh already running is left to finish, and
   * a deployment is invalidated at most once per INVALIDATE_INTERVAL_MS, so a provider that refuses every
   * token cannot turn each request into a token exchange.
   */
  invalidate(deploymentId: string): void {
    const e = this.entries.get(deploymentId);
    if (e?.credentials?.token === undefined || e.refreshing !== undefined) return;
    const now = this.now();
    const last = this.invalidatedAt.get(deploymentId);
    if (last !== undefined && now - last < CredentialsService.INVALIDATE_INTERVAL_MS) return;
    this.invalidatedAt.set(deploymentId, now);
    this.entries.delete(deploymentId);
    this.logger.warn(
      `deployment ${deploymentId}: the provider refused its access token; a new one is fetched on the next request`,
    );
  }

  /** The clock credentials are judged by (adapters sign requests with the same one). */
  clock(): number {
    return this.now();
  }

  private newEntry(id: string): Entry {
    const e: Entry = { expiresAt: 0, refreshAt: 0 };
    this.entries.set(id, e);
    return e;
  }

  private refresh(adapter: ProviderAdapter, deployment: ProviderDeployment, e: Entry): Promise<Credentials> {
    const started = this.now();
    const run = (async () => {
      try {
        const credentials = await adapter.credentials.resolve(deployment, started);
        const expiresAt = credentials.token?.expiresAt ?? Number.POSITIVE_INFINITY;
        const lifetime = expiresAt - started;
        const margin = Math.min(CredentialsService.REFRESH_MARGIN_MS, lifetime * 0.1);
        e.credentials = credentials;
        e.expiresAt = expiresAt;
        e.refreshAt = expiresAt - margin;
        e.failure = undefined;
        e.failedUntil = undefined;
        return credentials;
      } catch (err) {
        const failure = credentialsFailed(adapter, deployment, err);
        e.failure = failure;
        e.failedUntil = this.now() + CredentialsService.FAILURE_BACKOFF_MS;
        this.logger.error(failure.message);
        throw failure;
      } finally {
        e.refreshing = undefined;
      }
    })();
    e.refreshing = run;
    return run;
  }
}

function credentialsFailed(adapter: ProviderAdapter, deployment: ProviderDeployment, err: unknown): GatewayError {
  // The source's own message may name what is wrong (a file, a missing field); it never carries the secret.
  const detail = err instanceof Error ? err.message : String(err);
  return {
    kind: 'auth',
    status: 502,
    type: 'api_error',
    code: 'upstream_credentials_failed',
    param: null,
    retryable: true,
    message: `Could not obtain credentials (${adapter.credentials.kind}) for deployment '${deployment.id}': ${detail}. The gateway operator should check that deployment's credentials; another deployment may serve the request.`,
  };
}

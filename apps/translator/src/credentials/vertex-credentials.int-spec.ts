import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { vertexAdapter, type Credentials, type ProviderDeployment } from '@switchyard/providers';
import { startFakeGemini, waitFor, type FakeGemini } from '@switchyard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialsService } from './credentials.service';

/**
 * The Vertex token path is off the request path: the service-account exchange (an RS256 signature and a
 * token request) happens once per token lifetime; every request in between gets the cached token
 * synchronously. Measured against the fake's real OAuth endpoint.
 */
describe('Vertex service-account credentials through the CredentialsService', () => {
  let fake: FakeGemini;
  beforeAll(async () => {
    fake = await startFakeGemini();
  });
  afterAll(() => fake.close());

  it('exchanges once, serves the token from cache synchronously, refreshes in the background before expiry', async () => {
    const sa = fake.createServiceAccount({ projectId: 'cache-project' });
    const deployment = {
      id: 'vertex-cached',
      modelName: 'gemini',
      provider: 'vertex_ai',
      model: 'gemini-2.5-flash',
      params: { family: 'vertex_ai', vertex_credentials: sa.json },
    } as ProviderDeployment;
    let now = Date.now();
    const svc = new CredentialsService(() => now);

    const t0 = performance.now();
    const first = svc.get(vertexAdapter, deployment);
    expect(first).toBeInstanceOf(Promise);
    const creds = await first;
    const exchangeMs = performance.now() - t0;
    expect(creds.token?.value).toMatch(/^ya29\./);
    expect(creds.projectId).toBe('cache-project');
    expect(fake.tokenRequests).toBe(1);

    // The hot path: no promise, no token request, microseconds.
    const rounds = 20_000;
    const t1 = performance.now();
    let same = 0;
    for (let i = 0; i < rounds; i++) if (svc.get(vertexAdapter, deployment) === creds) same++;
    const cachedUs = ((performance.now() - t1) * 1000) / rounds;
    expect(same).toBe(rounds);
    expect(fake.tokenRequests).toBe(1);
    expect(cachedUs, `cached get ${cachedUs.toFixed(3)} µs vs first exchange ${exchangeMs.toFixed(1)} ms`).toBeLessThan(
      20,
    );
    expect(exchangeMs).toBeGreaterThan(cachedUs / 1000);

    // Inside the refresh margin: the still-valid token is served at once while one refresh runs.
    now = creds.token!.expiresAt - 60_000;
    expect(svc.get(vertexAdapter, deployment)).toBe(creds);
    expect(svc.get(vertexAdapter, deployment)).toBe(creds);
    await waitFor(() => fake.tokenRequests === 2, { what: 'the background refresh' });
    const refreshed = await waitFor(() => {
      const c = svc.get(vertexAdapter, deployment) as Credentials;
      return c !== creds && !(c instanceof Promise) ? c : undefined;
    });
    expect(refreshed.token!.value).not.toBe(creds.token!.value);
    expect(fake.tokenRequests).toBe(2);
  });

  it('reports a refused key as the deployment’s credentials failing (auth, retryable), without the key', async () => {
    const sa = fake.createServiceAccount();
    const other = fake.createServiceAccount();
    const broken = { ...sa.key, private_key: other.key.private_key };
    const deployment = {
      id: 'vertex-broken',
      modelName: 'gemini',
      provider: 'vertex_ai',
      model: 'gemini-2.5-flash',
      params: { family: 'vertex_ai', vertex_credentials: broken },
    } as ProviderDeployment;
    const svc = new CredentialsService();
    const error = await (svc.get(vertexAdapter, deployment) as Promise<Credentials>).then(
      () => undefined,
      (e: unknown) => e as { kind: string; status: number; code: string; message: string },
    );
    expect(error).toMatchObject({ kind: 'auth', status: 502, code: 'upstream_credentials_failed' });
    expect(error!.message).toContain('vertex service account');
    expect(error!.message).toContain('Invalid JWT Signature');
    expect(error!.message).not.toContain('PRIVATE KEY');
  });
});

import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { Credentials, CredentialSource, ProviderAdapter, ProviderDeployment } from '@switchyard/providers';
import { openAIAdapter } from '@switchyard/providers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CredentialsService } from './credentials.service';

const dep: ProviderDeployment = { id: 'dep-1', modelName: 'm', provider: 'vertex_ai', model: 'gemini' };

/** An adapter whose credentials come from `resolve`, counting calls. */
function adapterWith(resolve: CredentialSource['resolve']): ProviderAdapter & { calls: () => number } {
  let calls = 0;
  return {
    ...openAIAdapter,
    credentials: {
      kind: 'test token',
      resolve: (d, now) => {
        calls++;
        return resolve(d, now);
      },
    },
    calls: () => calls,
  };
}

describe('CredentialsService', () => {
  afterEach(() => vi.restoreAllMocks());

  it('serves a static key synchronously after the first resolve, for good', () => {
    let t = 1_000;
    const svc = new CredentialsService(() => t);
    const a = adapterWith(() => ({ apiKey: 'k' }));
    expect(svc.get(a, dep)).toBeInstanceOf(Promise);
    return (svc.get(a, dep) as Promise<Credentials>).then(() => {
      t += 365 * 86_400_000;
      expect(svc.get(a, dep)).toEqual({ apiKey: 'k' });
      expect(a.calls()).toBe(1);
    });
  });

  it('resolves a token once for concurrent requests, refreshes it in the background before it expires, and awaits it once expired', async () => {
    let t = 0;
    let n = 0;
    const svc = new CredentialsService(() => t);
    const a = adapterWith(async (_d, now) => ({ token: { value: `tok-${++n}`, expiresAt: now + 3_600_000 } }));
    const [x, y] = await Promise.all([svc.get(a, dep), svc.get(a, dep)]);
    expect(x).toEqual(y);
    expect(a.calls()).toBe(1);

    // Inside the refresh margin (5 min before expiry): the old token is still served, one refresh starts.
    t = 3_600_000 - 60_000;
    expect(svc.get(a, dep)).toMatchObject({ token: { value: 'tok-1' } });
    expect(svc.get(a, dep)).toMatchObject({ token: { value: 'tok-1' } });
    await vi.waitFor(() => expect(a.calls()).toBe(2));
    expect(svc.get(a, dep)).toMatchObject({ token: { value: 'tok-2' } });

    // Past expiry with no refresh: the request waits for the new token.
    t = 10 * 3_600_000;
    const next = svc.get(a, dep);
    expect(next).toBeInstanceOf(Promise);
    expect(await next).toMatchObject({ token: { value: 'tok-3' } });
  });

  it('drops a token the provider refused (401), so the next request fetches a new one; a static key stays', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    let n = 0;
    let t = 0;
    const svc = new CredentialsService(() => t);
    const a = adapterWith(async (_d, now) => ({ token: { value: `tok-${++n}`, expiresAt: now + 3_600_000 } }));
    await svc.get(a, dep);
    expect(svc.get(a, dep)).toMatchObject({ token: { value: 'tok-1' } });
    svc.invalidate(dep.id);
    expect(await svc.get(a, dep)).toMatchObject({ token: { value: 'tok-2' } });
    expect(a.calls()).toBe(2);
    // A provider refusing every token does not make every request a token exchange: once per interval.
    svc.invalidate(dep.id);
    expect(svc.get(a, dep)).toMatchObject({ token: { value: 'tok-2' } });
    t += CredentialsService.INVALIDATE_INTERVAL_MS;
    svc.invalidate(dep.id);
    expect(await svc.get(a, dep)).toMatchObject({ token: { value: 'tok-3' } });

    const keyed = adapterWith(() => ({ apiKey: 'k' }));
    const other = { ...dep, id: 'dep-2' };
    await svc.get(keyed, other);
    svc.invalidate(other.id);
    expect(svc.get(keyed, other)).toEqual({ apiKey: 'k' });
    expect(keyed.calls()).toBe(1);
  });

  it('reports a failure as a retryable auth error naming the deployment, never the secret, and backs off', async () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    let t = 0;
    const svc = new CredentialsService(() => t);
    let fail = true;
    const a = adapterWith(async () => {
      if (fail) throw new Error('token endpoint answered 400 invalid_grant');
      return { token: { value: 'ok', expiresAt: t + 3_600_000 } };
    });
    const err = await Promise.resolve(svc.get(a, dep)).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'auth', status: 502, retryable: true, code: 'upstream_credentials_failed' });
    expect((err as { message: string }).message).toContain("deployment 'dep-1'");
    expect((err as { message: string }).message).toContain('invalid_grant');
    // Within the backoff the failure is answered without asking the source again.
    fail = false;
    await Promise.resolve(svc.get(a, dep)).catch(() => undefined);
    expect(a.calls()).toBe(1);
    t += CredentialsService.FAILURE_BACKOFF_MS + 1;
    expect(await svc.get(a, dep)).toMatchObject({ token: { value: 'ok' } });
    expect(a.calls()).toBe(2);
  });
});

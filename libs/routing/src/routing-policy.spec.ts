import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  cooldownMsFor,
  FailureWindow,
  fallbackCandidates,
  nextFallback,
  pickDeployment,
  pickLeastBusy,
  pickLowestLatency,
  LatencyWindow,
  retriesFor,
  retryWaitMs,
  type CooldownRules,
  type FallbackSettings,
  type RoutableDeployment,
} from './index';

describe('retriesFor (num_retries and retry_policy)', () => {
  it('takes router num_retries for errors another attempt may fix, none for errors of the request', () => {
    expect(retriesFor({ kind: 'upstream_5xx', numRetries: 2 })).toBe(2);
    expect(retriesFor({ kind: 'rate_limited', numRetries: 2 })).toBe(2);
    expect(retriesFor({ kind: 'bad_request', numRetries: 2 })).toBe(0);
    expect(retriesFor({ kind: 'context_window', numRetries: 2 })).toBe(0);
    expect(retriesFor({ kind: 'content_policy', numRetries: 2 })).toBe(0);
  });
  it('lets the request win over the deployment, and the deployment over the router', () => {
    expect(retriesFor({ kind: 'timeout', numRetries: 2, deploymentMaxRetries: 4 })).toBe(4);
    expect(retriesFor({ kind: 'timeout', numRetries: 2, deploymentMaxRetries: 4, requestNumRetries: 1 })).toBe(1);
  });
  it("applies LiteLLM's retry_policy by error class, the group's policy first", () => {
    const retryPolicy = { RateLimitErrorRetries: 5, BadRequestErrorRetries: 1, InternalServerErrorRetries: 0 };
    expect(retriesFor({ kind: 'rate_limited', numRetries: 1, requestNumRetries: 2, retryPolicy })).toBe(5);
    expect(retriesFor({ kind: 'bad_request', numRetries: 1, retryPolicy })).toBe(1);
    expect(retriesFor({ kind: 'context_window', numRetries: 1, retryPolicy })).toBe(1);
    expect(retriesFor({ kind: 'overloaded', numRetries: 3, retryPolicy })).toBe(0);
    expect(retriesFor({ kind: 'timeout', numRetries: 3, retryPolicy })).toBe(3);
    expect(
      retriesFor({ kind: 'rate_limited', numRetries: 1, retryPolicy, groupRetryPolicy: { RateLimitErrorRetries: 0 } }),
    ).toBe(0);
    expect(retriesFor({ kind: 'auth', numRetries: 2, retryPolicy: { AuthenticationErrorRetries: 0 } })).toBe(0);
    expect(
      retriesFor({ kind: 'content_policy', numRetries: 0, retryPolicy: { ContentPolicyViolationErrorRetries: 2 } }),
    ).toBe(2);
  });
});

describe('backoff and retry waits', () => {
  it('grows exponentially with jitter, capped', () => {
    expect(backoffMs(1, {}, () => 0)).toBe(250);
    expect(backoffMs(1, {}, () => 1)).toBe(500);
    expect(backoffMs(3, {}, () => 1)).toBe(2000);
    expect(backoffMs(10, {}, () => 1)).toBe(8000);
    expect(backoffMs(1, { minMs: 1000 }, () => 0)).toBe(1000);
    const seen = new Set(Array.from({ length: 50 }, () => backoffMs(2)));
    expect(seen.size).toBeGreaterThan(5);
    for (const w of seen) expect(w >= 500 && w <= 1000).toBe(true);
  });
  const base = { now: 1_000_000, deadline: 1_000_000 + 60_000, random: () => 0 };
  it('retries another deployment at once', () => {
    expect(retryWaitMs({ ...base, retry: 1, retryAfterS: 7, otherDeployment: true })).toBe(0);
  });
  it("honours the upstream's retry-after in full on the same deployment", () => {
    expect(retryWaitMs({ ...base, retry: 1, retryAfterS: 1, otherDeployment: false })).toBe(1000);
    expect(retryWaitMs({ ...base, retry: 1, retryAfterS: 0.1, otherDeployment: false })).toBe(250);
  });
  it('waits for the cooldown to end', () => {
    expect(retryWaitMs({ ...base, retry: 1, otherDeployment: true, availableAt: base.now + 3000 })).toBe(3000);
  });
  it('never waits past the deadline', () => {
    expect(retryWaitMs({ ...base, deadline: base.now + 5000, retry: 1, retryAfterS: 7, otherDeployment: false })).toBe(
      undefined,
    );
    expect(
      retryWaitMs({
        ...base,
        deadline: base.now + 1500,
        retry: 1,
        retryAfterS: 1,
        otherDeployment: false,
        minAttemptMs: 600,
      }),
    ).toBe(undefined);
    expect(
      retryWaitMs({
        ...base,
        deadline: base.now + 1700,
        retry: 1,
        retryAfterS: 1,
        otherDeployment: false,
        minAttemptMs: 600,
      }),
    ).toBe(1000);
  });
});

describe('cooldowns', () => {
  const rules: CooldownRules = { allowedFails: 2, cooldownTimeMs: 5000 };
  it('cools down at once on 429, 401, 404 and timeouts, for the retry-after when given', () => {
    expect(cooldownMsFor({ kind: 'rate_limited', status: 429, retryAfterS: 7 }, 1, rules)).toBe(7000);
    expect(cooldownMsFor({ kind: 'rate_limited', status: 429 }, 1, rules)).toBe(5000);
    expect(cooldownMsFor({ kind: 'auth', status: 401 }, 1, rules)).toBe(5000);
    expect(cooldownMsFor({ kind: 'not_found', status: 404 }, 1, rules)).toBe(5000);
    expect(cooldownMsFor({ kind: 'timeout', status: 504 }, 1, rules)).toBe(5000);
  });
  it('cools down on other failures only past allowed_fails within the minute', () => {
    expect(cooldownMsFor({ kind: 'upstream_5xx', status: 500 }, 2, rules)).toBeUndefined();
    expect(cooldownMsFor({ kind: 'upstream_5xx', status: 500 }, 3, rules)).toBe(5000);
    expect(cooldownMsFor({ kind: 'overloaded', status: 529 }, 3, rules)).toBe(5000);
  });
  it("never cools a deployment down for the request's own errors, nor when disabled", () => {
    expect(cooldownMsFor({ kind: 'context_window', status: 400 }, 99, rules)).toBeUndefined();
    expect(cooldownMsFor({ kind: 'bad_request', status: 400 }, 99, rules)).toBeUndefined();
    expect(cooldownMsFor({ kind: 'rate_limited', status: 429 }, 1, { ...rules, disabled: true })).toBeUndefined();
  });
  it('counts failures in a one-minute window', () => {
    const w = new FailureWindow();
    expect(w.record('a', 0)).toBe(1);
    expect(w.record('a', 59_000)).toBe(2);
    expect(w.record('b', 59_000)).toBe(1);
    expect(w.count('a', 59_999)).toBe(2);
    expect(w.record('a', 60_000)).toBe(1);
    w.prune(200_000);
    expect(w.count('b', 200_000)).toBe(0);
  });
});

describe('pickDeployment', () => {
  const d = (id: string): RoutableDeployment => ({ id, modelName: 'g', weight: 1 });
  const deps = [d('a'), d('b'), d('c')];
  const view = (m: Record<string, number>) => ({ cooldownUntil: (id: string) => m[id] ?? 0 });
  it('skips deployments cooling down', () => {
    const r = pickDeployment(deps, view({ a: 2000, b: 2000 }), 1000, new Set(), () => 0);
    expect(r).toEqual({ ok: true, deployment: deps[2] });
  });
  it('prefers a deployment the request has not tried, else takes a tried one', () => {
    expect(pickDeployment(deps, view({}), 0, new Set(['a', 'b']), () => 0)).toEqual({ ok: true, deployment: deps[2] });
    expect(pickDeployment(deps, view({ c: 10 }), 0, new Set(['a', 'b']), () => 0)).toEqual({
      ok: true,
      deployment: deps[0],
    });
  });
  it('says when the earliest recovers when all cool down; a past cooldown is over', () => {
    expect(pickDeployment(deps, view({ a: 3000, b: 2000, c: 4000 }), 1000)).toEqual({ ok: false, availableAt: 2000 });
    expect(pickDeployment(deps, view({ a: 3000, b: 1000, c: 4000 }), 1000, new Set(), () => 0)).toEqual({
      ok: true,
      deployment: deps[1],
    });
  });
});

describe('fallbacks', () => {
  const settings: FallbackSettings = {
    fallbacks: { small: ['medium', 'large'], other: [] },
    contextWindowFallbacks: { small: ['large'] },
    contentPolicyFallbacks: { small: ['lenient'] },
    defaultFallbacks: ['default'],
    maxFallbacks: 2,
  };
  const input = { original: 'small', tried: new Set(['small']), used: 0, kind: 'upstream_5xx' as const };
  const resolve = (m: string) => (m === 'missing' ? undefined : m);

  it("takes the group's fallbacks, the specific lists for context-window and content-policy errors", () => {
    expect(fallbackCandidates(settings, input)).toEqual(['medium', 'large']);
    expect(fallbackCandidates(settings, { ...input, kind: 'context_window' })).toEqual(['large']);
    expect(fallbackCandidates(settings, { ...input, kind: 'content_policy' })).toEqual(['lenient']);
    expect(fallbackCandidates(settings, { ...input, original: 'x', kind: 'context_window' })).toEqual(['default']);
    expect(fallbackCandidates(settings, { ...input, original: 'other' })).toEqual([]);
  });
  it("lets the request's list replace them, and disable_fallbacks or a bad request stop them", () => {
    expect(fallbackCandidates(settings, { ...input, requestModels: ['a', 'b'] })).toEqual(['a', 'b']);
    expect(fallbackCandidates(settings, { ...input, disabled: true })).toEqual([]);
    expect(fallbackCandidates(settings, { ...input, kind: 'bad_request' })).toEqual([]);
  });
  it('skips tried and unknown models, and stops at max_fallbacks', () => {
    expect(nextFallback(settings, input, resolve)).toEqual({ model: 'medium', group: 'medium' });
    expect(nextFallback(settings, { ...input, tried: new Set(['small', 'medium']), used: 1 }, resolve)).toEqual({
      model: 'large',
      group: 'large',
    });
    expect(nextFallback(settings, { ...input, used: 2 }, resolve)).toBeUndefined();
    expect(nextFallback(settings, { ...input, requestModels: ['small', 'missing', 'b'] }, resolve)).toEqual({
      model: 'b',
      group: 'b',
    });
  });
});

describe('least-busy', () => {
  const d = (id: string, weight = 1): RoutableDeployment => ({ id, modelName: 'g', weight });
  const deps = [d('a'), d('b'), d('c'), d('z', 0)];
  const load = (m: Record<string, number>) => ({ inFlight: (id: string) => m[id] ?? 0 });
  it('takes the deployment with the fewest requests in flight', () => {
    expect(pickLeastBusy(deps, load({ a: 3, b: 1, c: 2 }))?.id).toBe('b');
  });
  it('breaks ties at random, and skips excluded and zero-weight deployments', () => {
    expect(pickLeastBusy(deps, load({ a: 1, b: 1, c: 5 }), () => 0)?.id).toBe('a');
    expect(pickLeastBusy(deps, load({ a: 1, b: 1, c: 5 }), () => 0.99)?.id).toBe('b');
    expect(pickLeastBusy(deps, load({ a: 0, b: 1, c: 5 }), () => 0, new Set(['a']))?.id).toBe('b');
    expect(pickLeastBusy([d('z', 0)], load({}))).toBeUndefined();
  });
  it('plugs into pickDeployment, which still skips deployments cooling down', () => {
    const view = { cooldownUntil: (id: string) => (id === 'b' ? 10 : 0) };
    const choose = (ds: readonly RoutableDeployment[], ex: ReadonlySet<string>) =>
      pickLeastBusy(ds, load({ a: 3, b: 0, c: 2 }), () => 0, ex);
    expect(pickDeployment(deps, view, 0, new Set(), Math.random, choose)).toEqual({ ok: true, deployment: deps[2] });
  });
});

describe('latency-based', () => {
  const d = (id: string): RoutableDeployment => ({ id, modelName: 'g', weight: 1 });
  const deps = [d('a'), d('b'), d('c')];
  const view = (m: Record<string, number>) => ({ latencyMs: (id: string) => m[id] });
  it('takes the lowest recent latency; an unmeasured deployment first', () => {
    expect(pickLowestLatency(deps, view({ a: 300, b: 100, c: 200 }))?.id).toBe('b');
    expect(pickLowestLatency(deps, view({ a: 300, b: 100 }))?.id).toBe('c');
  });
  it('shares the load among deployments within the buffer', () => {
    const lat = view({ a: 100, b: 108, c: 150 });
    expect(pickLowestLatency(deps, lat, () => 0.99, undefined, 0.1)?.id).toBe('b');
    expect(pickLowestLatency(deps, lat, () => 0.99, undefined, 0)?.id).toBe('a');
    expect(pickLowestLatency(deps, lat, () => 0.99, new Set(['a', 'b']), 0.1)?.id).toBe('c');
  });
  it('averages the last ten samples', () => {
    const w = new LatencyWindow();
    for (let i = 1; i <= 12; i++) w.record('a', i * 10);
    expect(w.totalOf('a')).toEqual({ sum: 30 + 40 + 50 + 60 + 70 + 80 + 90 + 100 + 110 + 120, count: 10 });
    w.record('a', Number.NaN);
    expect(w.totalOf('a').count).toBe(10);
    expect(w.totals().map(([id]) => id)).toEqual(['a']);
  });
});

import type { Msg, MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { buildRoutingConfig } from '@switchyard/config';
import { decodeSummary, encodeSummary, Errors, H, type GatewayError, type RequestSummary } from '@switchyard/contracts';
import {
  errorFrame,
  frameHeaders,
  natsHeaders,
  NatsRequest,
  parseMeta,
  readErrorFrame,
  type NatsClient,
} from '@switchyard/nats';
import { cooldownMsFor, FailureWindow, type DeploymentFailure } from '@switchyard/routing';
import type { DeploymentState } from './deployment-state/deployment-state.service';
import { RequestRouter } from './request-router.service';

const CONFIG = `
model_list:
  - { model_name: pair, litellm_params: { model: openai/x, api_key: k }, model_info: { id: p1 } }
  - { model_name: pair, litellm_params: { model: openai/x, api_key: k }, model_info: { id: p2 } }
  - { model_name: solo, litellm_params: { model: openai/x, api_key: k }, model_info: { id: s1 } }
  - { model_name: small, litellm_params: { model: openai/x, api_key: k }, model_info: { id: small1 } }
  - { model_name: large, litellm_params: { model: openai/x, api_key: k }, model_info: { id: large1 } }
  - { model_name: other, litellm_params: { model: openai/x, api_key: k }, model_info: { id: other1 } }
router_settings:
  num_retries: 2
  allowed_fails: 0
  cooldown_time: 5
  fallbacks: [{ solo: [other] }]
  context_window_fallbacks: [{ small: [large] }]
`;

/** The cooldown view, without Redis: the same rules over a map. */
class FakeState {
  readonly cooldowns = new Map<string, number>();
  private readonly window = new FailureWindow();
  readonly failures: [string, DeploymentFailure][] = [];
  readonly latencies = new Map<string, number>();
  latencyMs(id: string): number | undefined {
    return this.latencies.get(id);
  }
  recordLatency(id: string, ms: number): void {
    this.latencies.set(id, ms);
  }
  readonly outcomes: [string, boolean][] = [];
  recordOutcome(id: string, ok: boolean): void {
    this.outcomes.push([id, ok]);
  }
  readonly flying = new Map<string, number>();
  inFlight(id: string): number {
    return this.flying.get(id) ?? 0;
  }
  started(id: string): void {
    this.flying.set(id, this.inFlight(id) + 1);
  }
  finished(id: string): void {
    this.flying.set(id, this.inFlight(id) - 1);
  }
  cooldownUntil(id: string): number {
    return this.cooldowns.get(id) ?? 0;
  }
  recordFailure(id: string, f: DeploymentFailure): number {
    this.failures.push([id, f]);
    const ms = cooldownMsFor(f, this.window.record(id, Date.now()), { allowedFails: 0, cooldownTimeMs: 5000 });
    if (ms !== undefined) this.cooldowns.set(id, Date.now() + ms);
    return this.cooldownUntil(id);
  }
}

interface Sent {
  headers: MsgHdrs;
  data: Uint8Array;
  next: (m: Msg) => void;
}

describe('RequestRouter', () => {
  let sent: Sent[];
  let published: { subject: string; data: Uint8Array; headers?: MsgHdrs }[];
  let responded: { data: Uint8Array; headers?: MsgHdrs }[];
  let state: FakeState;
  let router: RequestRouter;
  const body = new TextEncoder().encode('{"model":"pair","messages":[]}');

  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    sent = [];
    published = [];
    responded = [];
    state = new FakeState();
    const client = {
      pending: 0,
      send: (_cmd: unknown, m: { data: Uint8Array; headers: MsgHdrs }) => ({
        subscribe: (o: { next: (m: Msg) => void }) => {
          sent.push({ ...m, next: o.next });
          return { unsubscribe: () => undefined };
        },
      }),
    } as unknown as NatsClient;
    const nc = {
      publish: (subject: string, data: Uint8Array, opts?: { headers?: MsgHdrs }) =>
        published.push({ subject, data, headers: opts?.headers }),
    } as unknown as NatsConnection;
    makeRouter = (yaml: string) =>
      (router = new RequestRouter(
        nc,
        client,
        buildRoutingConfig(parse(yaml), {}),
        state as unknown as DeploymentState,
      ));
    makeRouter(CONFIG);
  });
  let makeRouter: (yaml: string) => RequestRouter;

  afterEach(() => vi.useRealTimers());

  function route(model: string, summary: Partial<RequestSummary> = {}, timeoutMs = 60_000): void {
    const s: RequestSummary = {
      model,
      stream: false,
      includeUsage: false,
      tags: [],
      promptChars: 2,
      strip: [],
      ...summary,
    };
    const headers = natsHeaders({
      [H.requestId]: 'req-1',
      [H.model]: model,
      [H.summary]: encodeSummary(s),
      [H.timeoutMs]: String(timeoutMs),
      [H.stream]: '0',
    });
    const msg = {
      data: body,
      headers,
      reply: '_INBOX.gateway.1',
      respond: (data: Uint8Array, opts?: { headers?: MsgHdrs }) => {
        responded.push({ data, headers: opts?.headers });
        return true;
      },
    } as unknown as Msg;
    router.route(new NatsRequest(msg, 'router.chat.route'));
  }

  /** The translator answers attempt `i` with `error`, as its error frame does. */
  function failAttempt(i: number, error: GatewayError): void {
    const a = sent[i]!;
    const attempt = Number(a.headers.get(H.attempt));
    const deploymentId = a.headers.get(H.deployment);
    const trail = [...JSON.parse(a.headers.get(H.trail) || '[]'), { attempt, deploymentId, status: error.status }];
    const frame = errorFrame(error, { deploymentId, trail }, 'req-1', attempt);
    a.next({ data: frame.data, headers: frame.headers } as unknown as Msg);
  }

  const deploymentOf = (i: number) => sent[i]!.headers.get(H.deployment);

  it('retries a failed attempt at once on the other deployment of the group: same bytes, next attempt, trail', () => {
    route('pair');
    expect(sent).toHaveLength(1);
    const first = deploymentOf(0);
    failAttempt(0, Errors.upstreamFailed('boom'));
    expect(sent).toHaveLength(2);
    expect(deploymentOf(1)).not.toBe(first);
    expect(sent[1]!.data).toBe(body);
    expect(sent[1]!.headers.get(H.attempt)).toBe('2');
    expect(JSON.parse(sent[1]!.headers.get(H.trail))).toEqual([{ attempt: 1, deploymentId: first, status: 502 }]);
    expect(state.failures.map(([id]) => id)).toEqual([first]);
    expect(published).toEqual([]);
    // In flight: the first attempt reported, the retry has not.
    expect(state.inFlight(first)).toBe(0);
    expect(state.inFlight(deploymentOf(1))).toBe(1);
  });

  it("waits for the upstream's retry-after on a single deployment, not a moment less", () => {
    // With a fallback group, the request would go there at once rather than wait.
    route('solo', { disableFallbacks: true }, 60_000);
    failAttempt(0, Errors.rateLimited('slow down', 1));
    vi.advanceTimersByTime(999);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(2);
    expect(deploymentOf(1)).toBe('s1');
    expect(Number(sent[1]!.headers.get(H.timeoutMs))).toBeLessThanOrEqual(59_000);
  });

  it('falls back rather than wait past the deadline, and relays the error when nothing is left', () => {
    route('solo', { disableFallbacks: true }, 3_000);
    failAttempt(0, Errors.rateLimited('slow down', 7));
    expect(sent).toHaveLength(1);
    expect(published).toHaveLength(1);
    expect(published[0]!.subject).toBe('_INBOX.gateway.1');
    expect(readErrorFrame(published[0]!, parseMeta(published[0]!))).toMatchObject({ status: 429, retryAfter: 7 });

    route('solo', {}, 3_000);
    // s1 is cooling down (the 429 above), so this request goes straight to the fallback group.
    expect(deploymentOf(1)).toBe('other1');
  });

  it('falls back to context_window_fallbacks on a context-window error, naming the new model to the translator', () => {
    route('small');
    failAttempt(0, {
      ...Errors.invalidRequest('too long', 'messages', 'context_length_exceeded'),
      kind: 'context_window',
    });
    expect(sent).toHaveLength(2);
    expect(deploymentOf(1)).toBe('large1');
    expect(decodeSummary(sent[1]!.headers.get(H.summary))?.model).toBe('large');
    expect(sent[0]!.headers.has(H.fallbackDepth)).toBe(false);
    expect(sent[1]!.headers.get(H.fallbackDepth)).toBe('1');
    // The fallback fails too: the client gets its error, marked one fallback deep.
    failAttempt(1, { ...Errors.invalidRequest('still too long'), kind: 'context_window' });
    expect(published).toHaveLength(1);
    expect(parseMeta(published[0]!)).toMatchObject({ status: 400, fallbackDepth: 1, attempt: 2 });
    // Not the deployment's fault: no cooldown.
    expect(state.cooldownUntil('small1')).toBe(0);
  });

  it("does not hold a translator's own capacity refusal against the deployment", () => {
    route('pair');
    failAttempt(0, { ...Errors.unavailable('busy'), kind: 'overloaded', code: 'translator_overloaded', retryAfter: 1 });
    expect(state.failures).toEqual([]);
    expect(sent).toHaveLength(2);
  });

  it('neither retries nor falls back on a bad request', () => {
    route('solo');
    failAttempt(0, Errors.invalidRequest('bad', 'temperature'));
    expect(sent).toHaveLength(1);
    expect(published).toHaveLength(1);
  });

  it("tries the request's own models in order, skipping unknown ones", () => {
    route('solo', { models: ['solo', 'nope', 'pair'] });
    failAttempt(0, Errors.upstreamFailed('boom'));
    // s1 cools down at once (allowed_fails 0): the request list wins over waiting and over the configured fallback.
    expect(deploymentOf(1)).toMatch(/^p[12]$/);
    expect(decodeSummary(sent[1]!.headers.get(H.summary))?.model).toBe('pair');
  });

  it('answers 503 with retry-after until the earliest recovers when a whole group cools down', () => {
    state.cooldowns.set('p1', Date.now() + 3_000);
    state.cooldowns.set('p2', Date.now() + 8_000);
    route('pair');
    expect(sent).toHaveLength(0);
    expect(responded).toHaveLength(1);
    expect(readErrorFrame(responded[0]!)).toMatchObject({ status: 503, retryAfter: 3 });
  });

  it('sends each request to the deployment with the fewest in flight under least-busy', () => {
    makeRouter(`${CONFIG}  routing_strategy: least-busy\n`);
    for (let i = 0; i < 6; i++) route('pair');
    expect(sent.map((_, i) => deploymentOf(i)).sort()).toEqual(['p1', 'p1', 'p1', 'p2', 'p2', 'p2']);
    state.flying.set('p1', 10);
    route('pair');
    expect(deploymentOf(6)).toBe('p2');
  });

  it('follows recent latency under latency-based-routing, measured from successful outcomes', () => {
    makeRouter(`${CONFIG}  routing_strategy: latency-based-routing\n`);
    route('pair');
    const first = deploymentOf(0)!;
    const meta = { status: 200, attempt: 1, deploymentId: first, latencyMs: 900, ttftMs: 700 };
    sent[0]!.next({ data: new Uint8Array(), headers: frameHeaders('done', meta, 'req-1', 1) } as unknown as Msg);
    expect(state.latencyMs(first)).toBe(700);
    // The other deployment, never measured, counts as fastest; once measured faster, it keeps the traffic.
    route('pair');
    const other = deploymentOf(1)!;
    expect(other).not.toBe(first);
    state.recordLatency(other, 100);
    for (let i = 0; i < 5; i++) route('pair');
    expect(sent.slice(2).map((_, i) => deploymentOf(i + 2))).toEqual(Array(5).fill(other));
  });

  it('serves `models` when `model` is unknown, and says model_not_found when nothing serves any', () => {
    route('unknown', { models: ['unknown', 'pair'] });
    expect(deploymentOf(0)).toMatch(/^p[12]$/);
    route('unknown');
    expect(readErrorFrame(responded[0]!)).toMatchObject({ status: 404, code: 'model_not_found' });
  });
});

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainStream, startFakeOpenAI, startStack, waitFor, type FakeUpstream, type Stack } from '@switchyard/testing';

/**
 * Routing decisions a client can see, through the five services: `order`, retries across deployments on a 529,
 * streams that stall, are cut before their first chunk or mid-answer, request and group timeouts, simple-shuffle by
 * rpm, and the x-switchyard-* headers naming what answered.
 */
describe('routing resilience end to end', () => {
  const fakes: Record<string, FakeUpstream> = {};
  let stack: Stack;
  let openai: OpenAI;

  beforeAll(async () => {
    for (const name of ['first', 'second', 'light', 'heavy', 'grouped']) fakes[name] = await startFakeOpenAI();
    const dep = (group: string, id: string, fake: string, extra = '') =>
      `  - model_name: ${group}
    litellm_params: { model: openai/fake-gpt, api_base: ${fakes[fake]!.url}, api_key: sk-fake${extra} }
    model_info: { id: ${id} }`;
    stack = await startStack({
      configYaml: `
model_list:
${dep('ordered', 'ordered-1', 'first', ', order: 1')}
${dep('ordered', 'ordered-2', 'second', ', order: 2')}
${dep('by-rpm', 'rpm-100', 'light', ', rpm: 100')}
${dep('by-rpm', 'rpm-300', 'heavy', ', rpm: 300')}
${dep('slow-group', 'slow-1', 'grouped')}
router_settings:
  provider_routes: true
  num_retries: 2
  allowed_fails: 100
  cooldown_time: 1
  model_group_timeouts:
    slow-group: { timeout: 1 }
`,
    });
    openai = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all(Object.values(fakes).map((f) => f.close()));
  });

  const ask = (model: string, extra: Record<string, unknown> = {}) =>
    openai.chat.completions
      .create({
        model,
        messages: [{ role: 'user', content: 'Hi' }],
        ...extra,
      } as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .withResponse();
  const route = (h: Headers) => ({
    deployment: h.get('x-switchyard-deployment'),
    group: h.get('x-switchyard-model-group'),
    attempts: h.get('x-switchyard-attempts'),
    fallbacks: h.get('x-switchyard-fallbacks'),
  });
  /** Waits until `ordered-1` (cooled down by an earlier test, cooldown_time 1 s) serves again. */
  const firstServesAgain = () =>
    waitFor(async () => route((await ask('ordered')).response.headers).deployment === 'ordered-1', {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: 'ordered-1 to serve again after its cooldown',
    });

  it('serves a group from its lowest order, naming the deployment, group, attempts and fallbacks', async () => {
    const before = fakes.second!.requests;
    for (let i = 0; i < 10; i++) {
      const { response } = await ask('ordered');
      expect(route(response.headers)).toEqual({
        deployment: 'ordered-1',
        group: 'ordered',
        attempts: '1',
        fallbacks: '0',
      });
    }
    expect(fakes.second!.requests).toBe(before);
    // Streams carry the same headers, before their first byte.
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'ordered', messages: [{ role: 'user', content: 'Hi' }], stream: true })
      .withResponse();
    expect(route(response.headers)).toEqual({
      deployment: 'ordered-1',
      group: 'ordered',
      attempts: '1',
      fallbacks: '0',
    });
    expect((await drainStream(stream)).text).toBeTruthy();
  });

  it('retries a 529 on the next order, and says it took two attempts', async () => {
    fakes.first!.failNext(1, { status: 529 });
    const { data, response } = await ask('ordered');
    expect(data.choices[0]?.message.content).toBeTruthy();
    expect(route(response.headers)).toMatchObject({ deployment: 'ordered-2', attempts: '2', fallbacks: '0' });
  });

  it('fails a stream over when it is cut before its first chunk', async () => {
    await firstServesAgain();
    fakes.first!.failNext(1, { mode: 'cut-early' });
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'ordered', messages: [{ role: 'user', content: 'Hi' }], stream: true })
      .withResponse();
    expect(route(response.headers)).toMatchObject({ deployment: 'ordered-2', attempts: '2' });
    const drained = await drainStream(stream);
    expect(drained.error).toBeUndefined();
    expect(drained.text).toMatch(/^Hello from the fake/);
  });

  it('ends a stream cut mid-answer with the typed error, without failing over', async () => {
    await firstServesAgain();
    const second = fakes.second!.requests;
    fakes.first!.failNext(1, { mode: 'cut-mid' });
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'ordered', messages: [{ role: 'user', content: 'Hi' }], stream: true })
      .withResponse();
    expect(route(response.headers)).toMatchObject({ deployment: 'ordered-1', attempts: '1' });
    const drained = await drainStream(stream);
    expect(drained.text).toBe('Hello');
    expect(drained.error).toBeDefined();
    expect(fakes.second!.requests).toBe(second);
  });

  it("fails a stalled stream over after the request's stream_timeout (time to first chunk)", async () => {
    await firstServesAgain();
    fakes.first!.failNext(1, { mode: 'hang' });
    const started = Date.now();
    const { data: stream, response } = await openai.chat.completions
      .create({
        model: 'ordered',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
        stream_timeout: 1,
      } as OpenAI.ChatCompletionCreateParamsStreaming)
      .withResponse();
    expect(route(response.headers)).toMatchObject({ deployment: 'ordered-2', attempts: '2' });
    expect((await drainStream(stream)).text).toBeTruthy();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(5_000);
  });

  it('ends a request at its own timeout (body field or x-switchyard-timeout header) with a 504', async () => {
    await firstServesAgain();
    for (const how of ['body', 'header'] as const) {
      // The deployment never answers a non-streamed request; the deadline leaves no time for another attempt.
      fakes.first!.failNext(1, { mode: 'hang' });
      const started = Date.now();
      const failure = await openai.chat.completions
        .create(
          {
            model: 'ordered',
            messages: [{ role: 'user', content: 'Hi' }],
            ...(how === 'body' && { timeout: 1 }),
          } as OpenAI.ChatCompletionCreateParamsNonStreaming,
          how === 'header' ? { headers: { 'x-switchyard-timeout': '1' } } : {},
        )
        .then(
          () => undefined,
          (e: unknown) => e as { status?: number; error?: unknown },
        );
      expect(failure?.status).toBe(504);
      expect(failure?.error).toMatchObject({ type: 'api_error', code: 'timeout' });
      expect(Date.now() - started).toBeLessThan(4_500);
      await firstServesAgain();
    }
    const bad = await ask('ordered', { timeout: -1 }).then(
      () => undefined,
      (e: unknown) => e as { status?: number; error?: unknown },
    );
    expect(bad?.status).toBe(400);
    expect(bad?.error).toMatchObject({ param: 'timeout', code: 'invalid_value' });
  });

  it("ends a request at its model group's timeout", async () => {
    fakes.grouped!.failNext(1, { mode: 'hang' });
    const started = Date.now();
    const failure = await ask('slow-group').then(
      () => undefined,
      (e: unknown) => e as { status?: number; error?: unknown },
    );
    expect(failure?.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(4_500);
  });

  it('weighs simple-shuffle by rpm when no deployment sets a weight', async () => {
    const queue = Array.from({ length: 200 }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (queue.shift() !== undefined) await ask('by-rpm');
      }),
    );
    expect(fakes.light!.requests + fakes.heavy!.requests).toBe(200);
    // 1 : 3 expected (50 : 150); six standard deviations of slack either way.
    expect(fakes.heavy!.requests / fakes.light!.requests).toBeGreaterThan(2);
    expect(fakes.heavy!.requests / fakes.light!.requests).toBeLessThan(5);
  });

  it("serves a plain provider/model name through provider_routes, with the first entry's key and base", async () => {
    const before = fakes.first!.requests;
    const { data, response } = await ask('openai/fake-gpt');
    expect(data.choices[0]?.message.content).toBeTruthy();
    expect(route(response.headers)).toEqual({
      deployment: 'provider-route:openai',
      group: 'openai/*',
      attempts: '1',
      fallbacks: '0',
    });
    expect(fakes.first!.requests).toBe(before + 1);
    expect((fakes.first!.lastRequest?.body as { model?: string }).model).toBe('fake-gpt');
  });

  it('lists deployments with their live state on GET /v1/deployments (admin, also on the gateway port)', async () => {
    // A 429 with retry-after: 30 cools the group's only deployment down for 30 s, as the provider asked.
    // The group's deployment may still cool down from the timeout test (1 s): ask until the 429 was answered.
    const before = fakes.grouped!.requests;
    fakes.grouped!.failNext(1, { status: 429, retryAfter: 30 });
    await waitFor(
      async () => {
        await ask('slow-group').catch(() => undefined);
        return fakes.grouped!.requests > before;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'the 429 to reach slow-1' },
    );
    type Listed = {
      data: Array<Record<string, unknown> & { id: string }>;
      routers: number;
      live_state: boolean;
    };
    const get = async (base: string): Promise<Listed> => {
      const r = await fetch(`${base}/v1/deployments`, { headers: { authorization: `Bearer ${stack.masterKey}` } });
      expect(r.status).toBe(200);
      return (await r.json()) as Listed;
    };
    let listed: Listed | undefined;
    // Routers share their numbers every second: wait for this minute's to arrive.
    await waitFor(
      async () => {
        listed = await get(stack.adminUrl);
        const first = listed.data.find((d) => d.id === 'ordered-1');
        return (first?.requests_1m as number) > 0 && (first?.errors_1m as number) > 0;
      },
      { timeoutMs: 10_000, intervalMs: 200, what: 'shared attempt counts in GET /v1/deployments' },
    );
    expect(listed!.live_state).toBe(true);
    expect(listed!.routers).toBe(1);
    const byId = Object.fromEntries(listed!.data.map((d) => [d.id, d]));
    expect(Object.keys(byId).sort()).toEqual([
      'ordered-1',
      'ordered-2',
      'provider-route:openai',
      'rpm-100',
      'rpm-300',
      'slow-1',
    ]);
    expect(byId['ordered-1']).toMatchObject({ model_name: 'ordered', provider: 'openai', order: 1, in_flight: 0 });
    expect(byId['ordered-1']!.latency_ms).toEqual(expect.any(Number));
    expect(byId['ordered-1']!.error_rate).toBeGreaterThan(0);
    expect(byId['ordered-1']!.error_rate).toBeLessThan(1);
    expect(byId['rpm-300']).toMatchObject({ rpm: 300, errors_1m: 0, cooldown_until: null });
    const until = Date.parse(byId['slow-1']!.cooldown_until as string);
    expect(until - Date.now()).toBeGreaterThan(20_000);
    expect(until - Date.now()).toBeLessThanOrEqual(31_000);
    // The gateway's port answers it too; a wrong key is refused.
    expect((await get(stack.gatewayUrl)).data).toHaveLength(6);
    const refused = await fetch(`${stack.adminUrl}/v1/deployments`, { headers: { authorization: 'Bearer sk-nope' } });
    expect(refused.status).toBe(401);
  });
});

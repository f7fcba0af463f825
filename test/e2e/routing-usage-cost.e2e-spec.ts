import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, startStack, type FakeUpstream, type Stack } from '@switchyard/testing';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** usage-based-routing-v2 through two routers: each deployment's rpm holds, then the group answers 429. */
describe('usage-based routing end to end', () => {
  let small: FakeUpstream;
  let large: FakeUpstream;
  let stack: Stack;

  beforeAll(async () => {
    [small, large] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
    stack = await startStack({
      routers: 2,
      configYaml: `
model_list:
  - model_name: limited
    litellm_params: { model: openai/fake-gpt, api_base: ${small.url}, api_key: sk-fake, rpm: 2 }
    model_info: { id: rpm-2 }
  - model_name: limited
    litellm_params: { model: openai/fake-gpt, api_base: ${large.url}, api_key: sk-fake, rpm: 3 }
    model_info: { id: rpm-3 }
router_settings:
  routing_strategy: usage-based-routing-v2
`,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([small?.close(), large?.close()]);
  });

  it('keeps every deployment under its rpm across routers, then refuses with 429 until the minute ends', async () => {
    const openai = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
    const ask = () =>
      openai.chat.completions
        .create({ model: 'limited', messages: [{ role: 'user', content: 'Hi' }] })
        .withResponse()
        .then(
          (r) => ({ status: 200, deployment: r.response.headers.get('x-switchyard-deployment'), error: undefined }),
          (e: { status?: number; error?: { message?: string }; headers?: Headers }) => ({
            status: e.status,
            deployment: null,
            error: e,
          }),
        );
    // Per-minute counts start again each minute: begin where eleven seconds of this one are left at least.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 48_000) await pause(60_000 - intoMinute + 100);
    const served: (string | null)[] = [];
    // Spaced past the routers' one-second refresh, so whichever router takes a request knows what the other served.
    for (let i = 0; i < 5; i++) {
      const r = await ask();
      expect(r.status).toBe(200);
      served.push(r.deployment);
      await pause(1_200);
    }
    expect(served.filter((d) => d === 'rpm-2')).toHaveLength(2);
    expect(served.filter((d) => d === 'rpm-3')).toHaveLength(3);
    expect(small.requests).toBe(2);
    expect(large.requests).toBe(3);
    const refused = await ask();
    expect(refused.status).toBe(429);
    expect(refused.error?.error?.message).toMatch(/`limited` is at its rpm \/ tpm limit for this minute/);
    const retryAfter = Number(refused.error?.headers?.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(small.requests + large.requests).toBe(5);
  });
});

/** cost-based-routing: the cheaper model serves; when it fails, the retry goes to the dearer one. */
describe('cost-based routing end to end', () => {
  let cheap: FakeUpstream;
  let dear: FakeUpstream;
  let stack: Stack;

  beforeAll(async () => {
    [cheap, dear] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
    stack = await startStack({
      configYaml: `
model_list:
  - model_name: smart
    litellm_params: { model: openai/gpt-4o, api_base: ${dear.url}, api_key: sk-fake }
    model_info: { id: dear-4o }
  - model_name: smart
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${cheap.url}, api_key: sk-fake }
    model_info: { id: cheap-mini }
router_settings:
  routing_strategy: cost-based-routing
  num_retries: 1
`,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([cheap?.close(), dear?.close()]);
  });

  it('sends every request to the cheapest deployment, and a retry to the next cheapest', async () => {
    const openai = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
    const ask = () =>
      openai.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    for (let i = 0; i < 20; i++) {
      const { response } = await ask();
      expect(response.headers.get('x-switchyard-deployment')).toBe('cheap-mini');
    }
    expect(cheap.requests).toBe(20);
    expect(dear.requests).toBe(0);
    cheap.failNext(1, { status: 500 });
    const { response } = await ask();
    expect(response.headers.get('x-switchyard-deployment')).toBe('dear-4o');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
  });
});

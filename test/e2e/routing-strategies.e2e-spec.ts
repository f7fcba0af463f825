import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, type Stack, startFakeOpenAI, startStack } from '@switchyard/testing';

/** Routing strategies through the five services, two routers deciding together, against slow fake upstreams. */
describe('routing strategies end to end', () => {
  let heavy: FakeUpstream;
  let light: FakeUpstream;
  let stack: Stack;

  beforeAll(async () => {
    [heavy, light] = await Promise.all([startFakeOpenAI({ latencyMs: 600 }), startFakeOpenAI({ latencyMs: 600 })]);
    stack = await startStack({
      routers: 2,
      configYaml: `
model_list:
  # Weighted 9:1, which simple-shuffle would follow; least-busy balances what is in flight instead.
  - model_name: busy
    litellm_params: { model: openai/fake-gpt, api_base: ${heavy.url}, api_key: sk-fake, weight: 9 }
    model_info: { id: heavy }
  - model_name: busy
    litellm_params: { model: openai/fake-gpt, api_base: ${light.url}, api_key: sk-fake, weight: 1 }
    model_info: { id: light }
router_settings:
  routing_strategy: least-busy
`,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([heavy?.close(), light?.close()]);
  });

  it('least-busy spreads 100 concurrent slow requests evenly over the deployments', async () => {
    const openai = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        openai.chat.completions.create({ model: 'busy', messages: [{ role: 'user', content: 'Hi' }] }),
      ),
    );
    expect(answers.every((a) => a.choices[0]?.message.content)).toBe(true);
    expect(heavy.requests + light.requests).toBe(100);
    expect(Math.abs(heavy.requests - light.requests)).toBeLessThanOrEqual(10);
  });
});

describe('latency-based routing end to end', () => {
  let one: FakeUpstream;
  let two: FakeUpstream;
  let stack: Stack;

  beforeAll(async () => {
    [one, two] = await Promise.all([startFakeOpenAI({ latencyMs: 20 }), startFakeOpenAI({ latencyMs: 20 })]);
    stack = await startStack({
      routers: 2,
      configYaml: `
model_list:
  - model_name: quick
    litellm_params: { model: openai/fake-gpt, api_base: ${one.url}, api_key: sk-fake }
    model_info: { id: one }
  - model_name: quick
    litellm_params: { model: openai/fake-gpt, api_base: ${two.url}, api_key: sk-fake }
    model_info: { id: two }
router_settings:
  routing_strategy: latency-based-routing
  routing_strategy_args: { lowest_latency_buffer: 1.0 }
`,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([one?.close(), two?.close()]);
  });

  it('shares the load between near-equals, and moves traffic off a deployment that turns slow', async () => {
    const openai = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
    const ask = () => openai.chat.completions.create({ model: 'quick', messages: [{ role: 'user', content: 'Hi' }] });
    for (let i = 0; i < 30; i++) await ask();
    expect(one.requests).toBeGreaterThan(3);
    expect(two.requests).toBeGreaterThan(3);
    one.setLatency(1500);
    const before = { one: one.requests, two: two.requests };
    for (let i = 0; i < 30; i++) await ask();
    // Each router may send the slow one a request before its own or the shared samples say it turned slow.
    expect(one.requests - before.one).toBeLessThanOrEqual(3);
    expect(two.requests - before.two).toBeGreaterThanOrEqual(27);
  });
});

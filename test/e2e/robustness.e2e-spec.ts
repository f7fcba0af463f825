import { createServer } from 'node:net';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import OpenAI, { InternalServerError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsClient } from '@switchyard/analytics';
import { H, subjects } from '@switchyard/contracts';
import { startFakeOpenAI, startStack, waitFor, type FakeUpstream, type Stack } from '@switchyard/testing';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * What a demanding user hits after the happy path: balancing they can observe, upstreams and services
 * that are down, and a message bus that carries garbage. None of it may cost a 500 or a service.
 */
describe('robustness', () => {
  let heavy: FakeUpstream;
  let light: FakeUpstream;
  let stack: Stack;
  let nc: NatsConnection;
  let openai: OpenAI;

  beforeAll(async () => {
    [heavy, light] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
    const dead = await closedPort();
    stack = await startStack({
      // 400 concurrent requests from one address: lift the per-client connection limit (a 429 would be retried by the SDK and billed twice).
      env: { UPSTREAM_KEY: 'sk-robustness-upstream', SWITCHYARD_MAX_CONNECTIONS_PER_CLIENT: '0' },
      configYaml: `
model_list:
  - model_name: balanced
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${heavy.url}, api_key: os.environ/UPSTREAM_KEY, weight: 3 }
  - model_name: balanced
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${light.url}, api_key: os.environ/UPSTREAM_KEY, weight: 1 }
  - model_name: nowhere
    litellm_params: { model: openai/gpt-4o-mini, api_base: http://127.0.0.1:${dead}/v1, api_key: os.environ/UPSTREAM_KEY }
`,
    });
    nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
    openai = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
    await Promise.all([heavy?.close(), light?.close()]);
  });

  const ask = (model: string) => openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

  it('balances a group by weight, as the upstreams see it', async () => {
    const total = 400;
    const before = { heavy: heavy.requests, light: light.requests };
    for (let sent = 0; sent < total; sent += 8) await Promise.all(Array.from({ length: 8 }, () => ask('balanced')));
    const toHeavy = heavy.requests - before.heavy;
    const toLight = light.requests - before.light;
    expect(toHeavy + toLight).toBe(total);
    // Weight 3:1 → 75 % to the heavy deployment; 0.07 is over three standard deviations at n = 400.
    expect(Math.abs(toHeavy / total - 0.75)).toBeLessThan(0.07);
  });

  it('answers 502 with an OpenAI error when the upstream cannot be reached', async () => {
    const err = await ask('nowhere').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalServerError);
    expect((err as InternalServerError).status).toBe(502);
    expect((err as InternalServerError).message).toMatch(/\S{10,}/);
  });

  it('survives garbage on every subject it listens to, and still records exactly one usage row per request', async () => {
    const s = subjects(stack.natsPrefix);
    const junk = [
      new Uint8Array(0),
      new TextEncoder().encode('{not json'),
      new TextEncoder().encode('{"model":5}'),
      new Uint8Array([0xff, 0x00, 0xfe]),
    ];
    const inbox = `${s.gatewayReply}.junk.1`;
    for (const data of junk) {
      // Commands without headers, with a reply and without, with headers that lie.
      nc.publish(s.routeRequest, data);
      nc.publish(s.routeRequest, data, { reply: inbox });
      const h = headers();
      h.set(H.requestId, 'req_junk');
      h.set(H.model, 'balanced');
      h.set(H.timeoutMs, 'soon');
      nc.publish(s.routeRequest, data, { reply: inbox, headers: h });
      const e = headers();
      e.set(H.requestId, 'req_junk');
      e.set(H.deployment, 'no-such-deployment');
      e.set(H.clientReply, inbox);
      nc.publish(s.executeAttempt, data, { reply: inbox, headers: e });
      nc.publish(s.executeAttempt, data);
      nc.publish(s.attemptCancel, data);
      nc.publish(s.keyChanged, data);
      nc.publish(`${s.gatewayReply}.whatever.1`, data);
    }
    // Invalid usage events go through JetStream too: spend must drop them, not stall on them.
    const js = jetstream(nc);
    await js.publish(s.usageRecorded, new TextEncoder().encode('{"requestId": 1}'), { msgID: 'junk-1' });
    await js.publish(s.usageRecorded, new TextEncoder().encode('not json at all'), { msgID: 'junk-2' });
    await nc.flush();

    const before = heavy.requests + light.requests;
    const res = await ask('balanced');
    expect(res.choices[0]?.message.content).toBeTruthy();
    expect(heavy.requests + light.requests).toBe(before + 1);
    for (const svc of ['gateway', 'admin']) {
      const url = svc === 'gateway' ? stack.gatewayUrl : stack.adminUrl;
      expect((await fetch(`${url}/health`)).status).toBe(200);
    }
    for (const [svc, pid] of Object.entries(stack.pids))
      expect(() => process.kill(pid, 0), `${svc} is still running`).not.toThrow();

    // Every real request so far is one row; the junk is none. (400 balanced + 1 nowhere + 1 here.)
    const ch = createAnalyticsClient({ url: stack.clickhouse.url });
    try {
      const rows = await waitFor(
        async () => {
          const r = await ch.query({
            query: `SELECT count() AS n FROM ${stack.clickhouse.database}.usage FINAL`,
            format: 'JSONEachRow',
          });
          const n = Number(((await r.json()) as { n: string }[])[0]?.n);
          return n >= 402 ? n : undefined;
        },
        { timeoutMs: 20_000, what: '402 usage rows' },
      );
      expect(rows).toBe(402);
    } finally {
      await ch.close();
    }
  });

  it('answers 503 when no translator is running, and stays healthy', async () => {
    process.kill(stack.pids.translator!, 'SIGTERM');
    await waitFor(
      () => {
        try {
          process.kill(stack.pids.translator!, 0);
          return false;
        } catch {
          return true;
        }
      },
      { timeoutMs: 10_000, what: 'the translator to exit' },
    );
    const err = await ask('balanced').catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(503);
    expect((err as Error).message).toMatch(/translator/i);
    expect((await fetch(`${stack.gatewayUrl}/health`)).status).toBe(200);
  });
});
